"""Flood damage per building: depth-damage curves x replacement values (DESIGN.md section 6).

Method
------
Each building takes the maximum depth it touches (the exposure of `feature_exposure`); its
damage fraction is read from the depth-damage curve of its type by linear interpolation
between the curve's points (depths beyond the curve take its last fraction, depths at or below
its first point its first fraction); its damage is that fraction of its replacement value,
``baht per m2 of its type x footprint area (m2, in a metric CRS) x floors``.

Defaults
--------
Curves: the JRC global depth-damage functions for Asia (Huizinga, de Moel & Szewczyk 2017,
*Global flood depth-damage functions: methodology and the database with guidelines*, EUR 28552
EN, JRC105688, doi:10.2760/16510), building classes residential, commercial and industrial,
at the report's depths 0, 0.5, 1, 1.5, 2, 3, 4, 5 and 6 m. Residential is taken as issue 21
lists it (4 m: 0.932; CLIMADA-petals' transcription of the same table has 0.931);
commercial and industrial as CLIMADA-petals transcribes them
(``climada_petals/entity/impact_funcs/river_flood.py``, ids 22 and 23). The report has no
class for public buildings; its commercial class covers offices, schools and hospitals, so
public buildings take the **commercial** curve and value (an assumption, marked as such).

Replacement values: the report's construction costs for Thailand (2010 euro per m2:
residential 630.56, commercial 696.05, industrial 484.18), converted at 42 baht per euro
(the 2010 annual average, about 1.3257 USD/EUR x 31.69 THB/USD) and rounded to 100 baht;
not adjusted for construction prices since 2010. Municipalities enter their own.

Known bias: the whole building's value (all floors) is multiplied by a fraction calibrated
on the building as a whole; for tall buildings, where water reaches only the lower floors,
this overstates the damage. Depth from classes alone (zones without a depth) is a
representative depth per class (`class_depths_m`), coarser than a depth raster.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.flood._common import require_geoframe, resolve_metric_crs
from analysis.flood.hazard import HazardScheme

RESIDENTIAL, COMMERCIAL, INDUSTRIAL, PUBLIC = "residential", "commercial", "industrial", "public"
BUILDING_TYPES: tuple[str, ...] = (RESIDENTIAL, COMMERCIAL, INDUSTRIAL, PUBLIC)
CURVE_SOURCE = (
    "Huizinga, de Moel & Szewczyk (2017), Global flood depth-damage functions, "
    "JRC105688, doi:10.2760/16510: Asia"
)
JRC_DEPTHS_M: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0)


@dataclass(frozen=True)
class DamageCurve:
    """A depth-damage curve: damage fractions (0-1) at increasing depths in metres.

    Attributes
    ----------
    depths_m : tuple of float
        Strictly increasing depths, at least two.
    fractions : tuple of float
        Damage fraction at each depth, within 0-1 and never decreasing.
    """

    depths_m: tuple[float, ...]
    fractions: tuple[float, ...]

    def __post_init__(self) -> None:
        depths = [float(d) for d in self.depths_m]
        fractions = [float(f) for f in self.fractions]
        if len(depths) < 2 or len(depths) != len(fractions):
            raise ValueError("a curve needs at least two points, each a depth and a fraction")
        if not all(math.isfinite(v) for v in depths + fractions):
            raise ValueError("curve depths and fractions must be finite numbers")
        if any(b <= a for a, b in pairwise(depths)):
            raise ValueError(f"curve depths must be strictly increasing, got {depths}")
        if any(not 0.0 <= f <= 1.0 for f in fractions):
            raise ValueError(f"damage fractions must lie within 0-1, got {fractions}")
        if any(b < a for a, b in pairwise(fractions)):
            raise ValueError(f"damage fractions must not fall as the water rises, got {fractions}")
        object.__setattr__(self, "depths_m", tuple(depths))
        object.__setattr__(self, "fractions", tuple(fractions))

    def fraction(self, depth_m: Sequence[float] | np.ndarray | float) -> np.ndarray:
        """Damage fractions at the given depths (linear between points, clipped to the curve).

        NaN depths (unknown) give NaN.

        Examples
        --------
        >>> JRC_ASIA_CURVES["residential"].fraction([0.25, 1.0, 9.0]).round(4).tolist()
        [0.1635, 0.494, 1.0]
        """
        depth = np.asarray(depth_m, dtype=float)
        out = np.interp(depth, self.depths_m, self.fractions)
        return np.where(np.isnan(depth), np.nan, out)


def _jrc(*fractions: float) -> DamageCurve:
    return DamageCurve(depths_m=JRC_DEPTHS_M, fractions=fractions)


#: JRC Asia curves (see the module docstring); public buildings take the commercial curve.
JRC_ASIA_CURVES: dict[str, DamageCurve] = {
    RESIDENTIAL: _jrc(0.0, 0.327, 0.494, 0.617, 0.721, 0.870, 0.932, 0.984, 1.0),
    COMMERCIAL: _jrc(0.0, 0.377, 0.538, 0.659, 0.763, 0.883, 0.942, 0.981, 1.0),
    INDUSTRIAL: _jrc(0.0, 0.283, 0.482, 0.629, 0.717, 0.857, 0.909, 0.955, 1.0),
    PUBLIC: _jrc(0.0, 0.377, 0.538, 0.659, 0.763, 0.883, 0.942, 0.981, 1.0),
}
#: Types whose default is borrowed from another class (shown as such on pages and in JSON).
BORROWED_DEFAULTS: dict[str, str] = {PUBLIC: COMMERCIAL}
#: JRC construction costs for Thailand in baht per m2 (see the module docstring).
DEFAULT_VALUES_BAHT_PER_M2: dict[str, float] = {
    RESIDENTIAL: 26_500.0,
    COMMERCIAL: 29_200.0,
    INDUSTRIAL: 20_300.0,
    PUBLIC: 29_200.0,
}

#: OpenStreetMap ``building=*`` values (and a few Thai words) by damage type; others residential.
_OSM_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ("commercial", "retail", "office", "shop", "hotel", "supermarket", "kiosk", "market"),
        COMMERCIAL,
    ),
    **dict.fromkeys(
        ("industrial", "warehouse", "factory", "manufacture", "storage_tank", "hangar"),
        INDUSTRIAL,
    ),
    **dict.fromkeys(
        (
            "public",
            "civic",
            "government",
            "school",
            "university",
            "college",
            "kindergarten",
            "hospital",
            "clinic",
            "temple",
            "church",
            "mosque",
            "shrine",
            "religious",
            "pagoda",
            "train_station",
            "transportation",
            "fire_station",
            "grandstand",
            "sports_hall",
        ),
        PUBLIC,
    ),
}


def damage_type(value: object) -> str:
    """The damage type of a building type value: one of `BUILDING_TYPES` (default residential).

    Examples
    --------
    >>> [damage_type(v) for v in ("Commercial", "warehouse", "school", "yes", None)]
    ['commercial', 'industrial', 'public', 'residential', 'residential']
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return RESIDENTIAL
    text = str(value).strip().lower()
    if text in BUILDING_TYPES:
        return text
    return _OSM_TYPES.get(text, RESIDENTIAL)


def class_depths_m(scheme: HazardScheme) -> np.ndarray:
    """A representative depth per class, for zones that carry a class but no depth.

    The middle of the class's depth range; the open top class takes its lower bound (a floor,
    not a guess above it); the dry class 0. Classes without a range (wet/dry) give NaN.

    Examples
    --------
    >>> from analysis.flood.hazard import depth_scheme
    >>> class_depths_m(depth_scheme()).round(2).tolist()
    [0.0, 0.4, 1.1, 1.5]
    """
    depths = []
    for rank, (low, high) in enumerate(zip(scheme.lower_m, scheme.upper_m, strict=True)):
        if rank == 0 and not scheme.affected[0]:
            depths.append(0.0)
        elif math.isnan(low) or math.isnan(high):
            depths.append(math.nan)
        elif math.isinf(high):
            depths.append(float(low))
        else:
            depths.append((float(low) + float(high)) / 2)
    return np.asarray(depths, dtype=float)


def building_damage(
    exposed: gpd.GeoDataFrame,
    *,
    scheme: HazardScheme,
    curves: Mapping[str, DamageCurve] | None = None,
    values_baht_per_m2: Mapping[str, float] | None = None,
    type_field: str | None = None,
    floors_field: str | None = None,
    metric_crs: object | None = None,
) -> gpd.GeoDataFrame:
    """Damage per building from the depth it touches, its type, footprint and floors.

    Parameters
    ----------
    exposed : geopandas.GeoDataFrame
        Buildings as `feature_exposure` returns them (``depth_m``, ``class_rank``).
    scheme : HazardScheme
        The hazard's classes: where ``depth_m`` is unknown, the class gives a depth
        (`class_depths_m`).
    curves : mapping of str to DamageCurve, optional
        Curve per type; missing types take `JRC_ASIA_CURVES`.
    values_baht_per_m2 : mapping of str to float, optional
        Replacement value per m2 of floor per type; missing types take
        `DEFAULT_VALUES_BAHT_PER_M2`.
    type_field : str, optional
        Column with the building type (mapped by `damage_type`); None: all residential.
    floors_field : str, optional
        Column with the number of floors; missing, zero or invalid values count as 1.
    metric_crs : optional
        CRS to measure footprints in; default the frame's own if metric, else its UTM zone.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``damage_type``, ``floors``, ``footprint_m2``, ``value_baht``,
        ``max_depth_m`` (NaN when unknown), ``depth_from`` (``"depth"``, ``"class"`` or
        ``""``), ``damage_fraction`` (0 when the depth is unknown), ``damage_baht`` and
        ``damaged`` (damage above zero).

    Raises
    ------
    ValueError
        A named field is missing, or a value per m2 is negative or not finite.

    Examples
    --------
    A 10 m x 10 m two-storey house under 1 m of water:

    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from analysis.flood.hazard import depth_scheme
    >>> houses = gpd.GeoDataFrame({"depth_m": [1.0], "class_rank": [2], "levels": [2]},
    ...                           geometry=[box(0, 0, 10, 10)], crs=32647)
    >>> out = building_damage(houses, scheme=depth_scheme(), floors_field="levels")
    >>> float(out["damage_baht"].iloc[0])  # 0.494 x 26,500 x 100 m2 x 2
    2618200.0
    """
    require_geoframe(exposed, name="exposed")
    for field in (type_field, floors_field):
        if field is not None and field not in exposed.columns:
            raise ValueError(f"buildings have no field {field!r}")
    curves = {**JRC_ASIA_CURVES, **(curves or {})}
    values = _values(values_baht_per_m2)
    out = exposed.copy()
    n = len(out)
    types = (
        np.array([damage_type(v) for v in out[type_field]], dtype=object)
        if type_field is not None
        else np.full(n, RESIDENTIAL, dtype=object)
    )
    floors = _floors(out[floors_field] if floors_field is not None else None, n)
    footprint = np.zeros(n)
    if n:
        crs = resolve_metric_crs(out, metric_crs)
        footprint = out.geometry.to_crs(crs).area.to_numpy(dtype=float)
    depth, source = _depths(out, scheme)
    fraction = np.zeros(n)
    for kind in BUILDING_TYPES:
        mine = types == kind
        if mine.any():
            fraction[mine] = np.nan_to_num(curves[kind].fraction(depth[mine]), nan=0.0)
    value = np.array([values[t] for t in types], dtype=float) * footprint * floors
    out["damage_type"] = types
    out["floors"] = floors
    out["footprint_m2"] = footprint
    out["value_baht"] = value
    out["max_depth_m"] = depth
    out["depth_from"] = source
    out["damage_fraction"] = fraction
    out["damage_baht"] = fraction * value
    out["damaged"] = out["damage_baht"].to_numpy() > 0
    return out


def _values(given: Mapping[str, float] | None) -> dict[str, float]:
    values = {**DEFAULT_VALUES_BAHT_PER_M2, **(given or {})}
    for kind, value in values.items():
        if not math.isfinite(float(value)) or float(value) < 0:
            raise ValueError(f"value per m2 of {kind!r} must be a number from 0 up, got {value}")
    return {k: float(v) for k, v in values.items()}


def _floors(column: pd.Series | None, n: int) -> np.ndarray:
    if column is None:
        return np.ones(n)
    floors = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(floors) & (floors >= 1), np.floor(floors), 1.0)


def _depths(exposed: pd.DataFrame, scheme: HazardScheme) -> tuple[np.ndarray, np.ndarray]:
    """Measured maximum depth, else the representative depth of the class touched."""
    n = len(exposed)
    depth = exposed["depth_m"].to_numpy(dtype=float) if "depth_m" in exposed else np.full(n, np.nan)
    source = np.where(np.isnan(depth), "", "depth").astype(object)
    if "class_rank" in exposed:
        rank = exposed["class_rank"].to_numpy(dtype=np.int64)
        by_class = class_depths_m(scheme)[np.clip(rank, 0, len(scheme.classes) - 1)]
        use = np.isnan(depth) & (rank > 0) & ~np.isnan(by_class)
        depth = np.where(use, by_class, depth)
        source[use] = "class"
    return depth, source


def damage_summary(damaged: pd.DataFrame, *, by: str | None = None) -> dict[str, object]:
    """Totals of `building_damage`: damage, buildings damaged, and both per type.

    Parameters
    ----------
    damaged : pandas.DataFrame
        Output of `building_damage`.
    by : str, optional
        A column to split the totals by as well (``"area"`` for subdistricts); buildings with
        no value there count under ``""``.

    Returns
    -------
    dict
        ``{"total_damage_baht", "buildings", "buildings_damaged", "by_type": {type:
        {"buildings", "buildings_damaged", "damage_baht"}}}``, every type of
        `BUILDING_TYPES` present; with `by`, also ``"by_area": {name: same without by_area}``.
    """
    summary = _totals(damaged)
    if by is not None:
        names = damaged[by].fillna("").astype(str) if len(damaged) else pd.Series(dtype=str)
        summary["by_area"] = {
            str(name): _totals(group) for name, group in damaged.groupby(names, sort=True)
        }
    return summary


def _totals(damaged: pd.DataFrame) -> dict[str, object]:
    by_type = {}
    for kind in BUILDING_TYPES:
        rows = damaged[damaged["damage_type"] == kind] if len(damaged) else damaged
        by_type[kind] = {
            "buildings": len(rows),
            "buildings_damaged": int(rows["damaged"].sum()) if len(rows) else 0,
            "damage_baht": float(rows["damage_baht"].sum()) if len(rows) else 0.0,
        }
    return {
        "total_damage_baht": float(damaged["damage_baht"].sum()) if len(damaged) else 0.0,
        "buildings": len(damaged),
        "buildings_damaged": int(damaged["damaged"].sum()) if len(damaged) else 0,
        "by_type": by_type,
    }
