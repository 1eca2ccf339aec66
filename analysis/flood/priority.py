"""Aid priority: households ranked by water depth, vulnerable members and loss of access.

Each household gets points (`PriorityWeights`, editable) and the list of reasons behind them,
as codes for software (``depth:high``, ``depth_m:1.62``, ``bedridden:2``, ``no_route:health``,
``detour_m:health:850``)
and as English text for people; pages translate the codes. Ties are broken by depth, then by the
number of vulnerable members, then by household size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.flood.access import ANY_GROUP, AccessImpact
from analysis.flood.hazard import HazardScheme

VULNERABLE_FIELDS: tuple[str, ...] = ("bedridden", "disabled", "elderly", "infants")
_VULNERABLE_TEXT = {
    "bedridden": "bedridden",
    "disabled": "with a disability",
    "elderly": "elderly (60+)",
    "infants": "infants",
}
_GROUP_TEXT = {
    "shelter": "a shelter",
    "health": "a hospital or health centre",
    ANY_GROUP: "any facility",
}


@dataclass(frozen=True)
class PriorityWeights:
    """Points behind the aid ranking; a municipality may set its own.

    Attributes
    ----------
    class_points : mapping
        Points for the household's hazard class (unlisted classes: 0).
    depth_points_per_m : float
        Extra points per metre of known depth (raster hazards).
    member_points : mapping
        Points per vulnerable member: bedridden people cannot walk out, so they weigh most.
    no_route_points : float
        Points per facility group the household can no longer reach by road.
    detour_points_per_km : float
        Points per km of extra travel to the nearest facility, per facility group.
    """

    class_points: Mapping[str, float] = field(
        default_factory=lambda: {"low": 10.0, "medium": 20.0, "high": 30.0, "wet": 15.0}
    )
    depth_points_per_m: float = 5.0
    member_points: Mapping[str, float] = field(
        default_factory=lambda: {"bedridden": 8.0, "disabled": 5.0, "elderly": 3.0, "infants": 3.0}
    )
    no_route_points: float = 12.0
    detour_points_per_km: float = 2.0


def aid_priority(
    households: gpd.GeoDataFrame,
    *,
    scheme: HazardScheme,
    access: AccessImpact | None = None,
    weights: PriorityWeights | None = None,
    include_unaffected: bool = False,
) -> gpd.GeoDataFrame:
    """Rank households for aid with the reasons shown.

    Parameters
    ----------
    households : geopandas.GeoDataFrame
        Output of `feature_exposure` on buildings (``hazard_class``, ``class_rank``,
        ``depth_m``, ``affected``) with ``population`` and the vulnerable counts
        (``bedridden``, ``disabled``, ``elderly``, ``infants``; missing columns count as 0).
    scheme : HazardScheme
        The hazard classes.
    access : AccessImpact, optional
        Loss of road access for the same households (same index).
    weights : PriorityWeights, optional
        Points; default `PriorityWeights()`.
    include_unaffected : bool
        Also list households that are neither affected nor cut off (score from the rest).

    Returns
    -------
    geopandas.GeoDataFrame
        The listed households, best first: the input columns plus ``rank`` (1 = first),
        ``score``, ``vulnerable``, ``reason_codes`` (list of str) and ``reasons`` (text).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> from analysis.flood.hazard import depth_scheme
    >>> houses = gpd.GeoDataFrame(
    ...     {"hazard_class": ["low", "high"], "class_rank": [1, 3], "depth_m": [0.3, 1.8],
    ...      "affected": [True, True], "population": [3, 2], "bedridden": [1, 0]},
    ...     geometry=[Point(0, 0), Point(1, 0)], crs=32647)
    >>> ranked = aid_priority(houses, scheme=depth_scheme())
    >>> ranked["reason_codes"].tolist()
    [['depth:high', 'depth_m:1.80'], ['depth:low', 'depth_m:0.30', 'bedridden:1']]
    """
    if not isinstance(households, gpd.GeoDataFrame):
        raise TypeError("households must be a GeoDataFrame (output of feature_exposure)")
    missing = {"hazard_class", "class_rank", "affected"} - set(households.columns)
    if missing:
        raise ValueError(f"households lack {sorted(missing)}: run feature_exposure first")
    weights = weights or PriorityWeights()
    out = households.copy()
    n = len(out)
    columns = [*out.columns, "rank", "score", "vulnerable", "reason_codes", "reasons"]
    if n == 0:
        empty = out.assign(rank=pd.Series(dtype=int), score=pd.Series(dtype=float))
        return empty.reindex(columns=columns)
    score = np.array([float(weights.class_points.get(c, 0.0)) for c in out["hazard_class"]])
    depth = pd.to_numeric(out.get("depth_m", pd.Series(np.nan, index=out.index)), errors="coerce")
    depth = depth.to_numpy(dtype=float)
    score += np.where(np.isnan(depth), 0.0, np.clip(depth, 0, None)) * weights.depth_points_per_m
    members = {
        name: pd.to_numeric(out[name], errors="coerce").fillna(0).to_numpy(dtype=float)
        if name in out.columns
        else np.zeros(n)
        for name in VULNERABLE_FIELDS
    }
    vulnerable = np.zeros(n)
    for name, count in members.items():
        score += count * float(weights.member_points.get(name, 0.0))
        vulnerable += count
    lost_any = np.zeros(n, dtype=bool)
    lost_groups: dict[str, np.ndarray] = {}
    extra_groups: dict[str, np.ndarray] = {}
    if access is not None and len(access.households):
        table = access.households.reindex(out.index)
        for group in access.groups:
            if group == ANY_GROUP:
                continue
            lost = table[f"{group}_lost"].fillna(False).to_numpy(dtype=bool)
            lost_groups[group] = lost
            score += lost * weights.no_route_points
            lost_any |= lost
            extra = table[f"{group}_extra_m"].to_numpy(dtype=float)
            extra_groups[group] = extra
            score += np.nan_to_num(extra) / 1000.0 * weights.detour_points_per_km
    affected = out["affected"].to_numpy(dtype=bool)
    listed = np.ones(n, dtype=bool) if include_unaffected else affected | lost_any
    codes: list[list[str]] = []
    texts: list[str] = []
    classes = out["hazard_class"].to_numpy()
    for i in range(n):
        row_codes, row_text = _reasons(
            i, classes[i], depth[i], affected[i], members, lost_groups, extra_groups, scheme
        )
        codes.append(row_codes)
        texts.append("; ".join(row_text))
    out["score"] = np.round(score, 3)
    out["vulnerable"] = vulnerable.astype(int)
    out["reason_codes"] = codes
    out["reasons"] = texts
    out = out[listed]
    people = (
        pd.to_numeric(out["population"], errors="coerce").fillna(0).to_numpy(dtype=float)
        if "population" in out.columns
        else np.zeros(len(out))
    )
    depth_key = (
        np.nan_to_num(out["depth_m"].to_numpy(dtype=float), nan=-1.0)
        if "depth_m" in out.columns
        else np.zeros(len(out))
    )
    # lexsort: the last key sorts first.
    order = np.lexsort(
        (
            -people,
            -out["vulnerable"].to_numpy(dtype=float),
            -depth_key,
            -out["class_rank"].to_numpy(dtype=float),
            -out["score"].to_numpy(dtype=float),
        )
    )
    out = out.iloc[order]
    out["rank"] = np.arange(1, len(out) + 1)
    return out[columns]


def _reasons(
    i: int,
    hazard_class: str,
    depth: float,
    affected: bool,
    members: Mapping[str, np.ndarray],
    lost_groups: Mapping[str, np.ndarray],
    extra_groups: Mapping[str, np.ndarray],
    scheme: HazardScheme,
) -> tuple[list[str], list[str]]:
    """Reason codes and texts of household `i`."""
    codes: list[str] = []
    texts: list[str] = []
    if affected:
        codes.append(f"depth:{hazard_class}")
        rank = scheme.rank(hazard_class)
        low, high = scheme.lower_m[rank], scheme.upper_m[rank]
        if np.isfinite(low) and np.isfinite(high):
            texts.append(f"{hazard_class} water ({low:g}-{high:g} m)")
        elif np.isfinite(low):
            texts.append(f"{hazard_class} water (>= {low:g} m)")
        else:
            texts.append(f"{hazard_class} (flooded)")
        if not np.isnan(depth):
            codes.append(f"depth_m:{depth:.2f}")
            texts.append(f"up to {depth:.2f} m deep")
    for name in VULNERABLE_FIELDS:
        count = int(members[name][i])
        if count:
            codes.append(f"{name}:{count}")
            texts.append(f"{count} {_VULNERABLE_TEXT[name]}")
    for group, lost in lost_groups.items():
        if lost[i]:
            codes.append(f"no_route:{group}")
            texts.append(f"no road route to {_GROUP_TEXT.get(group, group)}")
    for group, extra in extra_groups.items():
        if not np.isnan(extra[i]) and extra[i] >= 1.0:
            codes.append(f"detour_m:{group}:{extra[i]:.0f}")
            texts.append(f"{extra[i] / 1000:.1f} km further to {_GROUP_TEXT.get(group, group)}")
    return codes, texts
