"""The radius page: what to spray, what it costs, how sure the data is, and how it was found."""

from __future__ import annotations

from datetime import date

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from geoapp.dengue.maps import ring_chart_svg, running_excess_svg


def radius_context(evidence: dict) -> dict:
    """The radius page: the advice on its first screen, then how it was worked out."""
    rec = evidence["recommendation"]
    advice = evidence["advice"]
    sufficient = rec["evidence"] == "sufficient"
    policy = int(evidence["policy_radius_m"])
    radius = int(advice["radius_m"])
    by_radius = {int(row["radius_m"]): row for row in evidence["costs"]}
    found = by_radius.get(radius, by_radius.get(policy))
    chosen = _cost_row(found, radius, policy) if found else None
    backtest = evidence["backtest"]
    return {
        "rec": rec,
        "advice": advice,
        "advice_m": radius,
        "candidate_m": int(advice["candidate_m"]) if advice["candidate_m"] else None,
        "advice_reason": _reason_text(advice, chosen),
        "cost_text": _cost_text(chosen, policy) if chosen else "",
        "confidence_text": CONFIDENCE_TEXT[advice["confidence"]](),
        "sufficient": sufficient,
        "insufficient_reason": _insufficiency_text(rec),
        "p_value_text": _chance_text(rec["p_value"]) if sufficient else "",
        "costs": [_cost_row(row, radius, policy) for row in evidence["costs"]],
        "chosen": chosen,
        "policy_m": policy,
        "first_onset": evidence["first_onset"],
        "last_onset": evidence["last_onset"],
        "params": rec["parameters"],
        **_radius_charts(rec, _chart_marks(rec, policy=policy, sufficient=sufficient)),
        "backtests": _backtest_rows(evidence["backtests"], radius=radius, policy=policy),
        "backtest": backtest,
        "periods": [
            {**p, "start": _day(p["start"]), "end": _day(p["end"])} for p in backtest["periods"]
        ],
        "round_days": ", ".join(str(d) for d in evidence["round_days"]),
    }


def _day(value: str) -> date | str:
    """A period bound as a date for the Thai date filter (day numbers stay as they are)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


#: How sure the data is, in the words the first screen uses.
CONFIDENCE_TEXT = {
    "reliable": lambda: _("The data is enough to rely on."),
    "some": lambda: _("The data points this way, but there is not much of it yet."),
    "too_little": lambda: _("There is too little data yet: keep spraying 100 m as before."),
}


def _reason_text(advice: dict, chosen: dict | None) -> str:
    """Why this radius, in one sentence an officer reads (the analysis gives a code)."""
    values = {
        "r": int(advice["radius_m"]),
        "c": int(advice["candidate_m"] or 0),
        "policy": int(advice["policy_m"]),
    }
    texts = {
        "wider": lambda: _(
            "Each step out to %(r)s m caught more of the cases that followed than chance would."
        ),
        "narrower": lambda: _(
            "Beyond %(r)s m, spraying caught no more of the cases that followed than chance would."
        ),
        "wider_not_confirmed": lambda: _(
            "The pairs of cases suggest %(c)s m, but in past outbreaks widening beyond "
            "%(policy)s m caught no more of the cases that followed than chance would: not worth "
            "the extra area."
        ),
        "narrower_not_confirmed": lambda: _(
            "The pairs of cases suggest %(c)s m, but in past outbreaks %(policy)s m caught cases "
            "that %(c)s m missed."
        ),
        "policy_holds": lambda: _(
            "In past outbreaks neither a wider nor a narrower radius did better than %(policy)s m."
        ),
        "too_few_cases": lambda: "",
    }
    return texts[advice["reason"]]() % values


def _cost_text(row: dict, policy: int) -> str:
    """What spraying the advised radius costs, as one sentence with grouped numbers."""
    values = {
        "r": row["radius_m"],
        "area": number_format(row["area_km2"], 2, use_l10n=True, force_grouping=True),
        "h": number_format(row["n_households"] or 0, 0, force_grouping=True),
        "ratio": number_format(row["ratio"], 1),
        "policy": policy,
    }
    if row["n_households"] is None:
        return _("Spraying %(r)s m around this period's cases means %(area)s km².") % values
    if row["radius_m"] == policy:
        return (
            _(
                "Spraying %(r)s m around this period's cases means %(area)s km² and %(h)s "
                "household visits."
            )
            % values
        )
    return (
        _(
            "Spraying %(r)s m around this period's cases means %(area)s km² and %(h)s household "
            "visits, %(ratio)s times the area of %(policy)s m."
        )
        % values
    )


def _chance_text(p_value: float | None) -> str:
    """A p-value as odds an officer reads: "less than 1 in 100 by coincidence"."""
    if p_value is None:
        return ""
    for limit in (1000, 100, 20):
        if p_value < 1 / limit:
            return _("The chance that this is a coincidence is less than 1 in %(n)s.") % {
                "n": limit
            }
    return _("The chance that this is a coincidence is about 1 in %(n)s.") % {
        "n": max(1, round(1 / p_value))
    }


def _backtest_rows(options: list[dict], *, radius: int, policy: int) -> list[dict]:
    rows = []
    for option in options:
        metres = int(option["radius_m"])
        tags = []
        if metres == policy:
            tags.append(_("current policy"))
        if metres == radius and radius != policy:
            tags.append(_("advised"))
        worth = None
        if option["gain_low"] is not None and option["chance_gain"] is not None:
            worth = option["gain_low"] > option["chance_gain"]
        rows.append({**option, "radius_m": metres, "option": ", ".join(tags), "worth": worth})
    return rows


def _radius_charts(rec: dict, marks: list[tuple[float, str, str]]) -> dict[str, str]:
    chart_labels = {"x_axis": _("distance between the two cases (m)")}
    return {
        "ring_chart": ring_chart_svg(
            rec["rings"],
            labels={
                **chart_labels,
                "title": _("Case pairs one generation apart, by distance"),
                "ring": _("{start}-{end} m: {observed} pairs observed, {expected} expected"),
            },
            marks=marks,
            max_m=600,
        ),
        "running_chart": running_excess_svg(
            rec["rings"],
            labels={**chart_labels, "title": _("Running excess of case pairs, by distance")},
            marks=marks,
            max_m=600,
        ),
    }


def _chart_marks(rec: dict, *, policy: int, sufficient: bool) -> list[tuple[float, str, str]]:
    """Vertical lines of the radius charts: the policy and the 80% and 90% radii, merged."""
    labels: dict[int, list[str]] = {policy: [_("current policy")]}
    if sufficient:
        labels.setdefault(int(rec["radius_m_80"]), []).append("80%")
        labels.setdefault(int(rec["radius_m_90"]), []).append("90%")
    return [
        (
            float(metres),
            _("%(m)s m: %(what)s") % {"m": metres, "what": ", ".join(parts)},
            "#52606d" if metres == policy else "#006d2c",
        )
        for metres, parts in sorted(labels.items())
    ]


def _cost_row(row: dict, radius: int, policy: int) -> dict:
    metres = int(row["radius_m"])
    tags = []
    if metres == policy:
        tags.append(_("current policy"))
    if metres == radius and radius != policy:
        tags.append(_("advised"))
    return {
        "radius_m": metres,
        "option": ", ".join(tags),
        "n_zones": int(row["n_zones"]),
        "area_km2": row["area_m2"] / 1e6,
        "ratio": row["area_ratio_to_policy"],
        "n_households": row.get("n_households"),
    }


def _insufficiency_text(rec: dict) -> str:
    """Why the data cannot tell, in words an officer reads (the analysis gives an English code)."""
    if rec["evidence"] == "sufficient":
        return ""
    params = rec["parameters"]
    if rec["n_cases"] < params["min_cases"]:
        return _("there are only %(n)s cases; at least %(min)s are needed") % {
            "n": rec["n_cases"],
            "min": params["min_cases"],
        }
    if rec["n_window_pairs"] < params["min_pairs"]:
        return _(
            "only %(n)s pairs of cases fell ill 8-22 days apart within 1 km of each other; "
            "at least %(min)s are needed"
        ) % {"n": rec["n_window_pairs"], "min": params["min_pairs"]}
    if rec["peak_excess"] <= 0:
        return _("cases one generation apart are no closer to each other than chance would give")
    return _(
        "cases one generation apart are a little closer than chance would give, but not more than "
        "random reshuffles of the dates also give (p = %(p)s)"
    ) % {"p": f"{rec['p_value']:.2f}" if rec["p_value"] is not None else "-"}
