"""One answer to "what radius should we spray?", agreeing with the backtest.

Two analyses speak about the radius. The ring analysis (`recommended_radius`) finds where case
pairs one generation apart stop being closer than chance: a *candidate*. The out-of-sample
backtest (`rolling_backtest`) asks what each radius would have covered, judged step by step
against chance: the *supported* radius. The advice is the supported radius, so the headline
and the backtest never disagree; the candidate explains it, or is named as not confirmed when
the backtest does not support going that far. With too few cases or follow-on cases the
advice is the policy, said plainly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from analysis.dengue.radius import POLICY_RADIUS_M, RadiusRecommendation
from analysis.dengue.rolling import BacktestOption, RollingBacktest

__all__ = ["RadiusAdvice", "radius_advice"]

#: Follow-on cases in the test periods from which the answer counts as reliable.
RELIABLE_FOLLOW_ON = 100

Confidence = Literal["reliable", "some", "too_little"]
Reason = Literal[
    "wider",  # the backtest supports a radius wider than the policy
    "narrower",  # ... narrower than the policy
    "policy_holds",  # the policy, and the ring analysis did not suggest otherwise
    "wider_not_confirmed",  # the ring analysis suggested wider; the backtest does not support it
    "narrower_not_confirmed",  # ... narrower; the backtest does not support it
    "too_few_cases",  # too little data for either analysis
]


@dataclass(frozen=True)
class RadiusAdvice:
    """The radius to spray, how sure the data is, and what it covers and costs against 100 m."""

    radius_m: float
    policy_m: float
    confidence: Confidence
    reason: Reason
    candidate_m: float | None
    """The ring analysis' 90% radius (None when its evidence is insufficient)."""
    share: float | None
    """Follow-on cases covered at the advised radius, out of sample."""
    share_policy: float | None
    area_km2: float | None
    area_policy_km2: float | None
    households: int | None
    households_policy: int | None
    n_follow_on: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return asdict(self)


def radius_advice(
    recommendation: RadiusRecommendation,
    backtest: RollingBacktest,
    *,
    policy_m: float = POLICY_RADIUS_M,
) -> RadiusAdvice:
    """The advice: the backtest's supported radius, explained by the ring analysis.

    Parameters
    ----------
    recommendation : RadiusRecommendation
        The ring analysis on all cases.
    backtest : RollingBacktest
        The out-of-sample backtest on the same cases (it must have scored the policy radius).
    policy_m : float, default 100
        The radius in use today.

    Returns
    -------
    RadiusAdvice
        ``radius_m`` is ``backtest.supported_m`` (the policy when the backtest cannot tell);
        ``confidence`` is "reliable" when the ring analysis found clustering and the backtest
        had at least `RELIABLE_FOLLOW_ON` follow-on cases, "too_little" when the backtest could
        not tell, else "some".

    Examples
    --------
    >>> import geopandas as gpd
    >>> import pandas as pd
    >>> from analysis.dengue import recommended_radius, rolling_backtest
    >>> no_cases = gpd.GeoDataFrame(
    ...     {"onset_date": pd.to_datetime([])}, geometry=[], crs="EPSG:32647"
    ... )
    >>> advice = radius_advice(recommended_radius(no_cases), rolling_backtest(no_cases))
    >>> advice.radius_m, advice.confidence, advice.reason
    (100.0, 'too_little', 'too_few_cases')
    """
    policy = float(policy_m)
    sufficient = recommendation.evidence == "sufficient"
    candidate = float(recommendation.radius_m_90) if sufficient else None
    if backtest.verdict == "insufficient":
        radius, confidence, reason = policy, "too_little", "too_few_cases"
    else:
        radius = float(backtest.supported_m)
        reliable = sufficient and backtest.n_follow_on >= RELIABLE_FOLLOW_ON
        confidence = "reliable" if reliable else "some"
        reason = _reason(radius, candidate, policy)
    chosen, base = backtest.option(radius), backtest.option(policy)
    return RadiusAdvice(
        radius_m=radius,
        policy_m=policy,
        confidence=confidence,  # type: ignore[arg-type]
        reason=reason,  # type: ignore[arg-type]
        candidate_m=candidate,
        share=_get(chosen, "share"),
        share_policy=_get(base, "share"),
        area_km2=_get(chosen, "area_km2"),
        area_policy_km2=_get(base, "area_km2"),
        households=_get(chosen, "households"),
        households_policy=_get(base, "households"),
        n_follow_on=backtest.n_follow_on,
    )


def _reason(radius: float, candidate: float | None, policy: float) -> str:
    if radius > policy:
        return "wider"
    if radius < policy:
        return "narrower"
    if candidate is not None and candidate > policy:
        return "wider_not_confirmed"
    if candidate is not None and candidate < policy:
        return "narrower_not_confirmed"
    return "policy_holds"


def _get(option: BacktestOption | None, name: str):
    return None if option is None else getattr(option, name)
