"""The radius page: what to spray, what it costs, how sure the data is, and how it was found."""

from __future__ import annotations

from django.utils.translation import gettext as _

from geoapp.dengue.maps import ring_chart_svg, running_excess_svg


def radius_context(evidence: dict) -> dict:
    """The radius page: the recommendation, its evidence, charts, costs and backtests."""
    rec = evidence["recommendation"]
    sufficient = rec["evidence"] == "sufficient"
    costs = evidence["costs"]
    by_radius = {int(row["radius_m"]): row for row in costs}
    policy = int(evidence["policy_radius_m"])
    chosen_m = int(rec["radius_m_90"])
    chosen = by_radius.get(chosen_m, by_radius.get(policy))
    backtests = {
        int(b["radius_m"]): _backtest_row(b, chosen_m=chosen_m, policy=policy)
        for b in evidence["backtests"]
    }
    return {
        "rec": rec,
        "sufficient": sufficient,
        "insufficient_reason": _insufficiency_text(rec),
        "costs": [_cost_row(row) for row in costs],
        "chosen": _cost_row(chosen) if chosen else None,
        "policy_m": policy,
        "first_onset": evidence["first_onset"],
        "last_onset": evidence["last_onset"],
        "params": rec["parameters"],
        **_radius_charts(rec, _chart_marks(rec, policy=policy, sufficient=sufficient)),
        "backtests": list(backtests.values()),
        "backtest_chosen": backtests.get(chosen_m),
        "backtest_policy": backtests.get(policy),
        "round_days": ", ".join(str(d) for d in evidence["round_days"]),
    }


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


def _cost_row(row: dict) -> dict:
    options = {
        "policy": _("current policy"),
        "recommended 80%": _("recommended (80%)"),
        "recommended 90%": _("recommended (90%)"),
    }
    labels = [options.get(part.strip(), part.strip()) for part in str(row["option"]).split(",")]
    return {
        "radius_m": int(row["radius_m"]),
        "option": ", ".join(label for label in labels if label),
        "n_zones": int(row["n_zones"]),
        "area_km2": row["area_m2"] / 1e6,
        "ratio": row["area_ratio_to_policy"],
        "n_households": row.get("n_households"),
    }


def _backtest_row(result: dict, *, chosen_m: int, policy: int) -> dict:
    radius = int(result["radius_m"])
    tags = []
    if radius == policy:
        tags.append(_("current policy"))
    if radius == chosen_m and radius != policy:
        tags.append(_("recommended"))
    return {**result, "radius_m": radius, "option": ", ".join(tags)}


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
