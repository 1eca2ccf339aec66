"""An out-of-sample backtest of spraying radii that can say no (DESIGN.md section 3, "Backtest").

The question a health officer asks: "had we sprayed this radius around every case house, how
many of the cases that followed would have lived inside a zone already sprayed, and at what
cost?" Three choices keep the answer honest:

1. **Follow-on cases do not depend on the radius tested.** A case is a follow-on case when an
   earlier case lies within ``max_distance_m`` (1 km) with its onset ``follow_min_days`` to
   ``follow_max_days`` (8-35) days before. Its distance to the nearest such case is recorded. A
   radius of 100 m does not cover every follow-on case by construction, as it did when follow-on
   cases were those within 100 m.
2. **Out of sample, with a rolling origin.** Time is cut into periods (calendar quarters, or
   ``period_days`` blocks when onsets are day numbers). Each period is scored only with what
   was known before it: the radius the rule would have chosen is chosen on the cases of the
   ``train_days`` before the period (at least ``min_train_days`` of history), and coverage is
   counted on the follow-on cases whose onset falls in the period. Every fixed option is scored
   on the same follow-on cases.
3. **A larger radius can lose.** A wider ring always covers at least as many cases, so each
   step outwards (from one option to the next) is judged by what it adds against what it would
   add by chance: the same backtest on the same houses with the onset dates shuffled among them
   (``permutations`` times), where place and time are unrelated. A step's gain is the share of
   the follow-on cases left uncovered by the smaller radius that the larger one covers (chance
   leaves more uncovered at small radii than transmission does, so raw differences would
   favour the smaller radius). A step is worth it when the lower end of its bootstrap interval
   is above the chance gain. The
   supported radius starts at the policy (100 m) and grows while each step is worth it; it
   shrinks below the policy only when the step it gives up is plainly not worth it (the upper
   end of its interval below the chance gain). Each option also gets its sprayed area and
   households, and its coverage per km2, so the page can show what each step costs.

Coverage is counted as in `analysis.dengue.backtest`: a follow-on case is covered at radius
``r`` when an earlier case within ``r`` (onset at most ``follow_max_days`` before) had its
first round sprayed (report, or onset, plus the first of ``round_days``) before its onset.
Cost is the area of each period's zones (the circles around its case houses merged, clipped to
the town's boundary: no one sprays, and no case falls, outside it) and the households inside,
summed over the periods. Intervals are percentile bootstraps over the follow-on cases of the
test periods.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from analysis.dengue._common import (
    Onsets,
    check_non_negative,
    check_positive,
    finite_json,
    onset_days,
    pairs_within,
    point_xy,
    require_columns,
    require_metric_frame,
)
from analysis.dengue.radius import POLICY_RADIUS_M, recommended_radius
from analysis.dengue.zones import circle_polygons

__all__ = [
    "DEFAULT_OPTIONS_M",
    "BacktestOption",
    "BacktestPeriod",
    "RollingBacktest",
    "follow_on_cases",
    "rolling_backtest",
]

#: The radius options scored by default (metres).
DEFAULT_OPTIONS_M = (50, 75, 100, 125, 150, 200, 300)
#: Fewer follow-on cases than this in the test periods: no verdict beyond the policy.
MIN_FOLLOW_ON = 20


@dataclass(frozen=True)
class BacktestOption:
    """One radius scored on the follow-on cases of every test period (``to_dict`` for JSON)."""

    radius_m: float
    covered: int
    """Follow-on cases inside a zone sprayed before their onset."""
    secondary: int
    """Follow-on cases in the test periods (the same for every option)."""
    share: float | None
    share_low: float | None
    share_high: float | None
    """95% bootstrap interval of ``share``."""
    chance_share: float | None
    """The share with onset dates shuffled among the houses (mean over the permutations)."""
    area_km2: float
    """Area sprayed over the test periods (each period's zones merged, clipped to the town)."""
    households: int | None
    share_per_km2: float | None
    gain: float | None
    """The step from the next smaller option: of the follow-on cases that option leaves
    uncovered, the share this one covers (None for the smallest)."""
    gain_low: float | None
    gain_high: float | None
    chance_gain: float | None
    """What the same step adds by chance."""
    added_km2: float | None
    """Area the step adds."""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class BacktestPeriod:
    """A test period: its days, the radius the rule chose from the history before it."""

    start: str
    end: str
    """Inclusive, as ISO dates (or day numbers when onsets are numbers)."""
    train_cases: int
    chosen_m: float
    follow_on: int
    covered_at_chosen: int
    covered_at_policy: int


@dataclass(frozen=True)
class RollingBacktest:
    """The answer of `rolling_backtest`."""

    options: tuple[BacktestOption, ...]
    periods: tuple[BacktestPeriod, ...]
    rule: BacktestOption
    """The rolling-origin rule: each period sprayed at the radius chosen before it."""
    supported_m: float
    """The radius the backtest supports (the policy without enough follow-on cases)."""
    verdict: str
    """"wider" / "narrower" (than the policy, supported), "policy" (the policy holds) or
    "insufficient" (too few follow-on cases to tell)."""
    n_cases: int
    n_follow_on: int
    permutations: int

    def option(self, radius_m: float) -> BacktestOption | None:
        """The scored option of this radius, if it was scored."""
        return next((o for o in self.options if o.radius_m == float(radius_m)), None)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        out: dict[str, object] = finite_json(asdict(self))  # type: ignore[assignment]
        return out


def follow_on_cases(
    cases: gpd.GeoDataFrame,
    *,
    time_col: str = "onset_date",
    follow_min_days: float = 8,
    follow_max_days: float = 35,
    max_distance_m: float = 1000,
) -> pd.DataFrame:
    """Which cases follow an earlier case, and how far away that case is.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    time_col : str, default "onset_date"
        Onset column (dates or day numbers).
    follow_min_days, follow_max_days : float, default 8 and 35
        Onset gap (inclusive) to an earlier case.
    max_distance_m : float, default 1000
        Largest distance considered; never the radius being tested.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``cases``: ``follow_on`` (bool) and ``distance_m`` to the nearest earlier
        case in the window (NaN for cases that follow none).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> cases = gpd.GeoDataFrame(
    ...     {"onset_date": pd.to_datetime(["2025-01-01", "2025-01-20", "2025-01-21"])},
    ...     geometry=[Point(0, 0), Point(400, 0), Point(5000, 0)],
    ...     crs="EPSG:32647",
    ... )
    >>> follow_on_cases(cases)["follow_on"].tolist()
    [False, True, False]
    """
    require_metric_frame(cases, name="cases")
    require_columns(cases, [time_col], name="cases")
    check_positive(max_distance_m=max_distance_m)
    onset = onset_days(cases[time_col], column=time_col).days
    rule = _Rule(follow_min_days, follow_max_days, max_distance_m)
    pairs = _Pairs.find(point_xy(cases, name="cases"), distance_m=max_distance_m)
    distance = pairs.links(onset, first_spray=onset, rule=rule)[0]
    return pd.DataFrame(
        {
            "follow_on": np.isfinite(distance),
            "distance_m": np.where(np.isfinite(distance), distance, np.nan),
        },
        index=cases.index,
    )


def rolling_backtest(
    cases: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame | None = None,
    *,
    radii_m: Sequence[float] = DEFAULT_OPTIONS_M,
    policy_m: float = POLICY_RADIUS_M,
    time_col: str = "onset_date",
    report_col: str | None = None,
    round_days: tuple[float, ...] = (0, 7),
    follow_min_days: float = 8,
    follow_max_days: float = 35,
    max_distance_m: float = 1000,
    period_days: int = 91,
    train_days: float = 730,
    min_train_days: float = 120,
    choose_radius: Callable[[gpd.GeoDataFrame], float | None] | None = None,
    bootstrap: int = 999,
    permutations: int = 99,
    seed: int | None = None,
    boundary: BaseGeometry | None = None,
) -> RollingBacktest:
    """Score radius options out of sample, and the rule that picks one, on the case history.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    households : geopandas.GeoDataFrame, optional
        Household points or building footprints (counted by a point inside each) in the same
        CRS, for the households sprayed.
    radii_m : sequence of float
        Options to score; the policy radius is always added.
    policy_m : float, default 100
        The radius in use today (DDC practice).
    time_col, report_col : str
        Onset column; report column (spraying counts from the report when given, else from
        the onset, which is optimistic).
    round_days : tuple of float, default (0, 7)
        Days after the report of each round; the first decides coverage.
    follow_min_days, follow_max_days, max_distance_m : float
        The follow-on rule (8-35 days, 1 km).
    period_days : int, default 91
        Length of a test period when onsets are day numbers (dates use calendar quarters).
    train_days, min_train_days : float, default 730 and 120
        The history the rule may look at before a period, and the least history a period
        needs to be scored.
    choose_radius : callable, optional
        The rule: takes the training cases, returns a radius (None for the policy). By default
        `recommended_radius` (199 permutations) and its 90% radius when the evidence is
        sufficient, else the policy.
    bootstrap : int, default 999
        Bootstrap resamples of the follow-on cases for the intervals (0 for none).
    permutations : int, default 99
        Shuffles of the onset dates for the chance gains (0: no verdict beyond the policy).
    seed : int, optional
        Seed of the bootstrap, the shuffles and the default rule's permutations.
    boundary : shapely geometry, optional
        The town in the cases' CRS; zones are clipped to it. Default: the convex hull of the
        case houses.

    Returns
    -------
    RollingBacktest
        Each option's coverage with its interval and its chance share, the cost and each
        step's gain against chance, the rule's score and each period's choice, and the
        supported radius with its verdict.

    Raises
    ------
    TypeError
        If ``cases`` is not a GeoDataFrame.
    ValueError
        If the CRS is not metric, a column is missing or unparseable, or a parameter is out
        of range.
    """
    require_metric_frame(cases, name="cases")
    require_columns(cases, [time_col, report_col], name="cases")
    options = sorted({float(r) for r in radii_m} | {float(policy_m)})
    for radius in options:
        check_positive(radius_m=radius)
    check_positive(max_distance_m=max_distance_m, period_days=period_days)
    check_non_negative(
        follow_min_days=follow_min_days,
        train_days=train_days,
        min_train_days=min_train_days,
        permutations=permutations,
    )
    if follow_min_days > follow_max_days:
        raise ValueError("follow_min_days must not exceed follow_max_days")
    rounds = tuple(round_days)
    if not rounds or any(not math.isfinite(r) or r < 0 for r in rounds):
        raise ValueError(f"round_days must be one or more days >= 0, got {round_days!r}")
    onsets = onset_days(cases[time_col], column=time_col)
    first_spray = _spray_base(cases, onsets, report_col=report_col) + min(rounds)
    xy = point_xy(cases, name="cases")
    rule = _Rule(follow_min_days, follow_max_days, max_distance_m)
    pairs = _Pairs.find(xy, distance_m=max(max_distance_m, max(options)))
    follow, cover = pairs.links(onsets.days, first_spray=first_spray, rule=rule)
    periods = _test_periods(onsets, period_days=period_days, min_train_days=min_train_days)
    tally = _Tally(options=options, policy_m=float(policy_m))
    choose = choose_radius or _default_rule(time_col=time_col, seed=seed)
    town = shapely.convex_hull(shapely.multipoints(xy)) if boundary is None else boundary
    homes_xy = None if households is None else _home_points(households, cases)
    for first, last in periods:
        in_period = (onsets.days >= first) & (onsets.days <= last)
        train = (onsets.days < first) & (onsets.days >= first - train_days)
        chosen = choose(cases.iloc[np.flatnonzero(train)])
        chosen_m = float(policy_m if chosen is None else chosen)
        costs = _period_costs(
            xy[in_period], homes_xy, radii=sorted({*options, chosen_m}), boundary=town
        )
        tally.add(
            follow=np.flatnonzero(in_period & np.isfinite(follow)),
            cover=cover,
            chosen_m=chosen_m,
            costs=costs,
            period=(_label(onsets, first), _label(onsets, last), int(train.sum())),
        )
    chance = _chance_shares(
        pairs,
        onsets.days,
        first_spray,
        rule=rule,
        periods=periods,
        options=options,
        permutations=permutations,
        seed=seed,
    )
    return tally.result(
        chance=chance,
        with_households=households is not None,
        bootstrap=bootstrap,
        seed=seed,
        n_cases=len(cases),
        permutations=permutations,
    )


# --- Links between cases -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """The follow-on rule: an earlier case ``min_days``-``max_days`` before, within ``max_m``."""

    min_days: float
    max_days: float
    max_m: float


@dataclass(frozen=True)
class _Pairs:
    """Every pair of case houses within reach, found once: places do not move when dates do."""

    i: np.ndarray
    j: np.ndarray
    distance: np.ndarray

    @classmethod
    def find(cls, xy: np.ndarray, *, distance_m: float) -> _Pairs:
        i, j, distance = pairs_within(xy, distance_m=distance_m)
        return cls(i=i, j=j, distance=distance)

    def links(
        self, onset: np.ndarray, *, first_spray: np.ndarray, rule: _Rule
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per case: how far the earlier case it follows is, and the nearest one covering it.

        Covering: sprayed before this onset, at most ``rule.max_days`` earlier. Infinity where
        there is none.
        """
        forward = onset[self.i] <= onset[self.j]
        earlier = np.where(forward, self.i, self.j)
        later = np.where(forward, self.j, self.i)
        gap = onset[later] - onset[earlier]
        follows = (gap >= rule.min_days) & (gap <= rule.max_days) & (self.distance <= rule.max_m)
        covers = (gap > 0) & (gap <= rule.max_days) & (first_spray[earlier] < onset[later])
        n = len(onset)
        return (
            _nearest(n, later[follows], self.distance[follows]),
            _nearest(n, later[covers], self.distance[covers]),
        )


def _spray_base(cases: gpd.GeoDataFrame, onsets: Onsets, *, report_col: str | None) -> np.ndarray:
    """The day spraying is counted from: the report when there is one, else the onset."""
    if report_col is None:
        return onsets.days
    reports = onset_days(cases[report_col], column=report_col)
    if reports.is_date != onsets.is_date:
        raise ValueError(f"{report_col!r} and the onsets must both be dates or both days")
    return reports.days


def _label(onsets: Onsets, day: float) -> str:
    """A day as the user wrote it: an ISO date for dates, else the day number."""
    if not onsets.is_date:
        return f"{day:g}"
    stamp = onsets.to_output(float(day))
    assert isinstance(stamp, pd.Timestamp)
    return stamp.date().isoformat()


def _nearest(n: int, target: np.ndarray, distance: np.ndarray) -> np.ndarray:
    nearest = np.full(n, np.inf)
    np.minimum.at(nearest, target, distance)
    return nearest


def _chance_shares(
    pairs: _Pairs,
    onset: np.ndarray,
    first_spray: np.ndarray,
    *,
    rule: _Rule,
    periods: list[tuple[float, float]],
    options: list[float],
    permutations: int,
    seed: int | None,
) -> np.ndarray | None:
    """The share covered at each option with (onset, spray day) pairs shuffled among houses.

    Returns the mean over ``permutations`` shuffles, one value per option (None without
    shuffles or test periods).
    """
    if not permutations or not periods:
        return None
    rng = np.random.default_rng(None if seed is None else seed + 1)
    radii = np.asarray(options)
    totals = np.zeros(len(options))
    counted = 0
    for _ in range(permutations):
        order = rng.permutation(len(onset))
        shuffled, spray = onset[order], first_spray[order]
        follow, cover = pairs.links(shuffled, first_spray=spray, rule=rule)
        tested = np.isfinite(follow) & _in_periods(shuffled, periods)
        if tested.any():
            totals += (cover[tested][:, None] <= radii[None, :]).mean(axis=0)
            counted += 1
    return totals / counted if counted else None


def _in_periods(days: np.ndarray, periods: list[tuple[float, float]]) -> np.ndarray:
    inside = np.zeros(len(days), dtype=bool)
    for first, last in periods:
        inside |= (days >= first) & (days <= last)
    return inside


# --- Scores --------------------------------------------------------------------------------------


class _Tally:
    """What the test periods add up to: follow-on cases, the rule's radii, areas, households."""

    def __init__(self, *, options: list[float], policy_m: float):
        self.options = options
        self.policy_m = policy_m
        self.cover: list[np.ndarray] = []
        self.rule_radius: list[float] = []
        self.periods: list[BacktestPeriod] = []
        self.area = np.zeros(len(options))
        self.households = np.zeros(len(options), dtype=np.int64)
        self.rule_area = 0.0
        self.rule_households = 0

    def add(
        self,
        *,
        follow: np.ndarray,
        cover: np.ndarray,
        chosen_m: float,
        costs: dict[float, tuple[float, int]],
        period: tuple[str, str, int],
    ) -> None:
        reach = cover[follow]
        self.cover.append(reach)
        self.rule_radius.extend([chosen_m] * len(follow))
        self.area += [costs[radius][0] for radius in self.options]
        self.households += [costs[radius][1] for radius in self.options]
        self.rule_area += costs[chosen_m][0]
        self.rule_households += costs[chosen_m][1]
        start, end, train_cases = period
        self.periods.append(
            BacktestPeriod(
                start=start,
                end=end,
                train_cases=train_cases,
                chosen_m=chosen_m,
                follow_on=len(follow),
                covered_at_chosen=int((reach <= chosen_m).sum()),
                covered_at_policy=int((reach <= self.policy_m).sum()),
            )
        )

    def result(
        self,
        *,
        chance: np.ndarray | None,
        with_households: bool,
        bootstrap: int,
        seed: int | None,
        n_cases: int,
        permutations: int,
    ) -> RollingBacktest:
        reach = np.concatenate(self.cover) if self.cover else np.empty(0)
        n = len(reach)
        covered = reach[:, None] <= np.asarray(self.options)[None, :]
        rule_covered = reach <= np.asarray(self.rule_radius)
        weights = _bootstrap_weights(n, bootstrap, seed)
        boot = None if weights is None else weights @ covered.astype(np.int64) / n
        options = [
            _option(
                radius_m=radius,
                covered=int(covered[:, k].sum()),
                n=n,
                boot=None if boot is None else boot[:, k],
                chance=None if chance is None else float(chance[k]),
                area_km2=self.area[k] / 1e6,
                households=int(self.households[k]) if with_households else None,
            )
            for k, radius in enumerate(self.options)
        ]
        options = _with_steps(options, boot)
        rule = _option(
            radius_m=float("nan"),
            covered=int(rule_covered.sum()),
            n=n,
            boot=None if weights is None else weights @ rule_covered.astype(np.int64) / n,
            chance=None,
            area_km2=self.rule_area / 1e6,
            households=self.rule_households if with_households else None,
        )
        supported, verdict = _supported(options, policy_m=self.policy_m, n=n)
        return RollingBacktest(
            options=tuple(options),
            periods=tuple(self.periods),
            rule=rule,
            supported_m=supported,
            verdict=verdict,
            n_cases=n_cases,
            n_follow_on=n,
            permutations=permutations,
        )


def _option(
    *,
    radius_m: float,
    covered: int,
    n: int,
    boot: np.ndarray | None,
    chance: float | None,
    area_km2: float,
    households: int | None,
) -> BacktestOption:
    share = covered / n if n else None
    low, high = _interval(boot)
    return BacktestOption(
        radius_m=radius_m,
        covered=covered,
        secondary=n,
        share=share,
        share_low=low,
        share_high=high,
        chance_share=chance,
        area_km2=area_km2,
        households=households,
        share_per_km2=share / area_km2 if share is not None and area_km2 > 0 else None,
        gain=None,
        gain_low=None,
        gain_high=None,
        chance_gain=None,
        added_km2=None,
    )


def _with_steps(options: list[BacktestOption], boot: np.ndarray | None) -> list[BacktestOption]:
    """Each option with the step from the option before it: its gain, interval and chance."""
    out = options[:1]
    for k in range(1, len(options)):
        inner, outer = options[k - 1], options[k]
        if inner.share is None or outer.share is None:
            out.append(outer)
            continue
        low, high = _interval(None if boot is None else _step_gain(boot[:, k - 1], boot[:, k]))
        chance = (
            None
            if inner.chance_share is None or outer.chance_share is None
            else float(_step_gain(np.array(inner.chance_share), np.array(outer.chance_share)))
        )
        out.append(
            replace(
                outer,
                gain=float(_step_gain(np.array(inner.share), np.array(outer.share))),
                gain_low=low,
                gain_high=high,
                chance_gain=chance,
                added_km2=outer.area_km2 - inner.area_km2,
            )
        )
    return out


def _step_gain(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """Of the follow-on cases the inner radius leaves uncovered, the share the outer one covers.

    Measured against what is left, not against all cases: chance leaves more uncovered at
    small radii than transmission does, so raw gains would favour the smaller radius.
    """
    left = 1.0 - inner
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(left > 0, (outer - inner) / np.where(left > 0, left, 1.0), np.nan)


def _supported(options: list[BacktestOption], *, policy_m: float, n: int) -> tuple[float, str]:
    """The radius each step of which is worth it, starting from the policy."""
    if n < MIN_FOLLOW_ON or any(o.chance_gain is None for o in options[1:]):
        return policy_m, "insufficient"
    radii = [o.radius_m for o in options]
    at = chosen = radii.index(policy_m)
    for k in range(at + 1, len(options)):
        step = options[k]
        if step.gain_low is None or step.chance_gain is None or step.gain_low <= step.chance_gain:
            break
        chosen = k
    if chosen == at:
        for k in range(at, 0, -1):
            step = options[k]
            if step.gain_high is None or step.chance_gain is None:
                break
            if step.gain_high >= step.chance_gain:
                break
            chosen = k - 1
    verdict = "policy" if chosen == at else ("wider" if chosen > at else "narrower")
    return radii[chosen], verdict


# --- Periods, costs, bootstrap ----------------------------------------------------------------


def _test_periods(
    onsets: Onsets, *, period_days: int, min_train_days: float
) -> list[tuple[float, float]]:
    """(first, last) day of each period with at least ``min_train_days`` of history before it."""
    if not len(onsets.days):
        return []
    start, end = float(onsets.days.min()), float(onsets.days.max())
    if onsets.is_date:
        epoch = onsets.to_output(0.0)
        quarters = pd.period_range(onsets.to_output(start), onsets.to_output(end), freq="Q")
        bounds = [
            (
                float((q.start_time.normalize() - epoch).days),
                float((q.end_time.normalize() - epoch).days),
            )
            for q in quarters
        ]
    else:
        count = int((end - start) // period_days) + 1
        bounds = [
            (start + k * period_days, start + (k + 1) * period_days - 1) for k in range(count)
        ]
    return [(first, last) for first, last in bounds if first - start >= min_train_days]


def _period_costs(
    xy: np.ndarray,
    homes_xy: np.ndarray | None,
    *,
    radii: list[float],
    boundary: BaseGeometry,
) -> dict[float, tuple[float, int]]:
    """Area (m2) and households sprayed per radius around the case houses of one period.

    The zones are the circles merged and clipped to ``boundary`` (no one sprays, and no case
    can fall, outside the town); households are those inside.
    """
    costs = {}
    for radius in radii:
        if not len(xy):
            costs[radius] = (0.0, 0)
            continue
        zone = shapely.intersection(
            shapely.union_all(circle_polygons(xy, radius_m=radius)), boundary
        )
        homes = 0
        if homes_xy is not None and len(homes_xy):
            homes = int(shapely.contains_xy(zone, homes_xy[:, 0], homes_xy[:, 1]).sum())
        costs[radius] = (float(zone.area), homes)
    return costs


def _home_points(households: gpd.GeoDataFrame, cases: gpd.GeoDataFrame) -> np.ndarray:
    """One point per household (a footprint's representative point), as an (n, 2) array."""
    if not isinstance(households, gpd.GeoDataFrame):
        raise TypeError("households must be a GeoDataFrame")
    if households.crs != cases.crs:
        raise ValueError(f"households are in {households.crs}, cases in {cases.crs}")
    points = households.geometry.representative_point()
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _bootstrap_weights(n: int, resamples: int, seed: int | None) -> np.ndarray | None:
    """How often each follow-on case is drawn in each resample (resamples x n)."""
    if resamples <= 0 or n == 0:
        return None
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)


def _interval(values: np.ndarray | None) -> tuple[float | None, float | None]:
    if values is None or not len(values) or np.isnan(values).all():
        return None, None
    low, high = np.nanpercentile(values, [2.5, 97.5])
    return float(low), float(high)


def _default_rule(*, time_col: str, seed: int | None) -> Callable[[gpd.GeoDataFrame], float | None]:
    def choose(train: gpd.GeoDataFrame) -> float | None:
        recommendation = recommended_radius(train, time_col=time_col, permutations=199, seed=seed)
        if recommendation.evidence != "sufficient":
            return None
        return float(recommendation.radius_m_90)

    return choose
