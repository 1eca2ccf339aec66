"""Command-line adapters for the flood analyses (`python -m analysis ...`).

flood-exposure
    ``--hazard FILE [--hazard-field F --wet-values V1,V2 | --class-field F]
    [--depth-breaks 0.1,0.7,1.5] [--impassable-m 0.3] --exposure FILE [--exposure FILE ...]
    [--type-field F] [--aggregation FILE] --json``. The hazard is a depth raster (metres) or
    polygons; the JSON holds ``hazard`` (classes, breaks, impassable classes) and ``exposures``:
    one entry per exposure file with ``name``, ``geometry`` (point, line or polygon), ``total``,
    ``affected``, ``by_class``, ``by_type`` (affected by the type field), ``no_data`` and, for
    lines, ``length_m`` (``total``, ``affected``, ``impassable``, ``by_class``); with an
    aggregation also ``by_area``.
flood-bathtub
    ``--dem FILE --level-m L --seed FILE --out DEPTH.tif``: connected bathtub flood.
flood-damage
    ``--hazard RASTER_OR_POLYGONS [--hazard-field F] --exposure BUILDINGS [--type-field F]
    [--floors-field F] [--curves CSV] [--values CSV] [--aggregation FILE] --json``: damage per
    building (`analysis.flood.building_damage`). The hazard is a depth raster, polygons with a
    depth field (``--hazard-field``, metres) or polygons with ``hazard_class`` (a representative
    depth per class). ``--curves``: CSV ``type,depth_m,fraction`` (one row per point; the types
    given replace the JRC Asia defaults); ``--values``: CSV ``type,baht_per_m2``. The JSON holds
    ``buildings`` ({``id``, ``type``, ``max_depth_m``, ``damage_fraction``, ``damage_baht``}),
    ``total_damage_baht``, ``buildings_damaged``, ``by_type`` and, with an aggregation,
    ``by_area``. Without a type field every building is residential.

Errors print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd

from analysis.gdal_guard import RASTER_DRIVER

EXIT_BAD_INPUT = 2
TYPE_FIELD_GUESSES = (
    "road_class",
    "highway",
    "category",
    "kind",
    "building_type",
    "building",
    "type",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this topic's subcommands to the `python -m analysis` parser."""
    exposure = subparsers.add_parser(
        "flood-exposure",
        help="roads, landmarks and buildings under a flood (counts and lengths by class)",
        description="Exposure of vector layers to a flood hazard (raster depths or polygons).",
    )
    exposure.add_argument(
        "--hazard",
        required=True,
        metavar="FILE",
        type=Path,
        help="depth raster in metres (.tif) or hazard polygons",
    )
    exposure.add_argument(
        "--hazard-field",
        metavar="F",
        help="wet/dry field (with --wet-values) or numeric depth field (m)",
    )
    exposure.add_argument(
        "--wet-values",
        metavar="V1,V2",
        type=_text_list,
        help="values of --hazard-field that mean wet",
    )
    exposure.add_argument(
        "--class-field", metavar="F", help="field with dry/low/medium/high (default: hazard_class)"
    )
    exposure.add_argument(
        "--depth-breaks",
        metavar="B1,B2,B3",
        type=_number_list,
        default=(0.1, 0.7, 1.5),
        help="depth breaks between classes in metres (default 0.1,0.7,1.5)",
    )
    exposure.add_argument(
        "--impassable-m",
        metavar="M",
        type=float,
        default=0.3,
        help="roads are impassable from this depth (default 0.3)",
    )
    exposure.add_argument(
        "--impassable-rule",
        choices=("reaches", "all"),
        default="reaches",
        help="classes without depth: impassable when their range reaches the "
        "threshold (default) or lies wholly above it",
    )
    exposure.add_argument(
        "--exposure",
        required=True,
        action="append",
        metavar="FILE",
        type=Path,
        help="a vector layer (repeat for several)",
    )
    exposure.add_argument(
        "--type-field",
        metavar="F",
        help="field splitting the affected counts (default: guessed per file)",
    )
    exposure.add_argument(
        "--aggregation",
        metavar="FILE",
        type=Path,
        help="areas; each feature counts in the one holding its centroid",
    )
    exposure.add_argument("--aggregation-field", metavar="F", help="field naming the areas")
    exposure.add_argument(
        "--metric-crs", metavar="CRS", help="CRS to measure in (default: each layer's UTM zone)"
    )
    exposure.add_argument("--json", action="store_true", help="print JSON (default: a table)")
    exposure.set_defaults(handler=flood_exposure_command)

    bathtub = subparsers.add_parser(
        "flood-bathtub",
        help="connected bathtub flood: a water level over a DEM, from a seed",
        description="Flood a DEM to a level, keeping only water connected to the seed geometry.",
    )
    bathtub.add_argument("--dem", required=True, metavar="FILE", type=Path)
    bathtub.add_argument(
        "--level-m",
        required=True,
        metavar="L",
        type=float,
        help="water surface elevation in the DEM's datum (m)",
    )
    bathtub.add_argument(
        "--seed",
        required=True,
        metavar="FILE",
        type=Path,
        help="rivers, canals or an observed flood (vector)",
    )
    bathtub.add_argument("--seed-field", metavar="F", help="keep only seeds whose F ...")
    bathtub.add_argument(
        "--seed-values",
        metavar="V1,V2",
        type=_text_list,
        help="... is one of these values (e.g. class: canal,river)",
    )
    bathtub.add_argument("--out", required=True, metavar="DEPTH.tif", type=Path)
    bathtub.add_argument(
        "--zones-out",
        metavar="FILE",
        type=Path,
        help="also write the flood polygons by class (GeoJSON, GPKG ...)",
    )
    bathtub.add_argument("--json", action="store_true", help="print a JSON summary")
    bathtub.set_defaults(handler=flood_bathtub_command)
    _register_damage(subparsers)


def _register_damage(subparsers: argparse._SubParsersAction) -> None:
    damage = subparsers.add_parser(
        "flood-damage",
        help="damage per building in baht (depth-damage curves x replacement values)",
        description="Flood damage per building: JRC Asia depth-damage curves by default.",
    )
    damage.add_argument(
        "--hazard",
        required=True,
        metavar="RASTER_OR_POLYGONS",
        type=Path,
        help="depth raster in metres (.tif), or polygons with a depth field or hazard_class",
    )
    damage.add_argument("--hazard-field", metavar="F", help="numeric depth field (m) of polygons")
    damage.add_argument("--exposure", required=True, metavar="BUILDINGS", type=Path)
    damage.add_argument(
        "--type-field",
        metavar="F",
        help="building type field (residential, commercial, industrial, public or OSM "
        "building values); without it every building is residential",
    )
    damage.add_argument(
        "--floors-field", metavar="F", help="number of floors (default: levels if present)"
    )
    damage.add_argument("--curves", metavar="CSV", type=Path, help="type,depth_m,fraction rows")
    damage.add_argument("--values", metavar="CSV", type=Path, help="type,baht_per_m2 rows")
    damage.add_argument("--aggregation", metavar="FILE", type=Path, help="areas for by_area")
    damage.add_argument("--aggregation-field", metavar="F", help="field naming the areas")
    damage.add_argument("--json", action="store_true", help="print JSON (default: a table)")
    damage.set_defaults(handler=flood_damage_command)


def _text_list(value: str) -> list[str]:
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("give at least one value")
    return items


def _number_list(value: str) -> tuple[float, ...]:
    try:
        return tuple(float(item) for item in _text_list(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value!r}") from None


def _fail(command: str, error: Exception) -> int:
    print(f"{command}: error: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _read_vector(path: Path, *, what: str) -> gpd.GeoDataFrame:
    if not path.exists():
        raise ValueError(f"{what} file not found: {path}")
    try:
        frame = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for unreadable files
        raise ValueError(f"cannot read {what} {path}: {error}") from error
    if frame.crs is None:
        raise ValueError(f"{what} {path} has no CRS")
    return frame


def flood_exposure_command(args: argparse.Namespace) -> int:
    """Run `flood-exposure`; print JSON or a table; return the exit status."""
    import rasterio

    try:
        report = flood_exposure_report(
            hazard_path=args.hazard,
            exposure_paths=args.exposure,
            class_field=args.class_field,
            hazard_field=args.hazard_field,
            wet_values=args.wet_values,
            breaks_m=args.depth_breaks,
            impassable_m=args.impassable_m,
            impassable_rule=args.impassable_rule,
            type_field=args.type_field,
            aggregation_path=args.aggregation,
            aggregation_field=args.aggregation_field,
            metric_crs=args.metric_crs,
        )
    except (ValueError, TypeError, OSError, rasterio.errors.RasterioError) as error:
        return _fail("flood-exposure", error)
    return _print_report(report, as_json=args.json, table=_table)


def _print_report(report: dict[str, object], *, as_json: bool, table: Callable) -> int:
    """Print a report as JSON or as its table; the command succeeded."""
    print(json.dumps(report, ensure_ascii=False, indent=2) if as_json else table(report))
    return 0


def flood_exposure_report(
    *,
    hazard_path: Path,
    exposure_paths: list[Path],
    class_field: str | None = None,
    hazard_field: str | None = None,
    wet_values: list[str] | None = None,
    breaks_m: tuple[float, ...] = (0.1, 0.7, 1.5),
    impassable_m: float = 0.3,
    impassable_rule: str = "reaches",
    type_field: str | None = None,
    aggregation_path: Path | None = None,
    aggregation_field: str | None = None,
    metric_crs: str | None = None,
) -> dict[str, object]:
    """The `flood-exposure` JSON document (see the module docstring)."""
    from analysis.flood import DepthRaster, hazard_from_file

    hazard = hazard_from_file(
        hazard_path,
        class_field=class_field,
        hazard_field=hazard_field,
        wet_values=wet_values,
        breaks_m=breaks_m,
        impassable_m=impassable_m,
        impassable_rule=impassable_rule,
    )
    layers = [(path, _read_vector(path, what="exposure")) for path in exposure_paths]
    if type_field is not None and not any(type_field in frame.columns for _, frame in layers):
        raise ValueError(f"no exposure file has the type field {type_field!r}")
    aggregation = None
    if aggregation_path is not None:
        aggregation = _read_vector(aggregation_path, what="aggregation")
        if aggregation_field is not None and aggregation_field not in aggregation.columns:
            raise ValueError(f"aggregation has no field {aggregation_field!r}")
    is_raster = isinstance(hazard, DepthRaster)
    return {
        "hazard": {
            "file": str(hazard_path),
            "kind": "raster" if is_raster else "polygons",
            "crs": _crs_text(hazard.crs if not is_raster else _raster_crs(hazard.path)),
            **hazard.scheme.as_dict(),
        },
        "exposures": [
            _exposure_entry(
                path,
                frame,
                hazard=hazard,
                type_field=type_field,
                aggregation=aggregation,
                aggregation_field=aggregation_field,
                metric_crs=metric_crs,
            )
            for path, frame in layers
        ],
    }


def _raster_crs(path: Path) -> object:
    import rasterio

    with rasterio.open(path, driver=RASTER_DRIVER) as src:
        return src.crs


def _crs_text(crs: object) -> str | None:
    if crs is None:
        return None
    from pyproj import CRS

    crs = CRS.from_user_input(crs)
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.name


def _exposure_entry(
    path: Path,
    frame: gpd.GeoDataFrame,
    *,
    hazard: object,
    type_field: str | None,
    aggregation: gpd.GeoDataFrame | None,
    aggregation_field: str | None,
    metric_crs: str | None,
) -> dict[str, object]:
    """One exposure file's counts (and lengths for lines)."""
    from analysis.flood import (
        aggregation_labels,
        exposure_summary,
        feature_exposure,
        road_exposure,
        summary_by_area,
    )
    from analysis.flood._common import geometry_kind, resolve_metric_crs

    try:
        kind = geometry_kind(frame.geometry)
    except ValueError as error:
        raise ValueError(f"exposure {path}: {error}") from None
    field = (
        type_field
        if type_field is not None
        else next((f for f in TYPE_FIELD_GUESSES if f in frame.columns), None)
    )
    if field is not None and field not in frame.columns:
        field = None
    entry: dict[str, object] = {"name": path.stem, "file": str(path), "geometry": kind}
    scheme = hazard.scheme
    crs = resolve_metric_crs(frame, metric_crs) if len(frame) and kind else None
    entry["metric_crs"] = _crs_text(crs)
    if kind == "line":
        result = road_exposure(frame, hazard=hazard, type_field=field, metric_crs=crs)
        summary = result.summary(type_field=field)
        entry.update({k: v for k, v in summary.items() if k != "length_m"})
        entry["no_data"] = 0
        entry["type_field"] = field
        entry["length_m"] = _rounded(summary["length_m"])
        entry["length_m"]["by_type_class"] = {
            str(t): {c: round(float(m), 3) for c, m in row.items()}
            for t, row in result.lengths_m.iterrows()
        }
        if aggregation is not None:
            roads = result.roads.assign(
                area=aggregation_labels(
                    frame,
                    aggregation=aggregation,
                    aggregation_field=aggregation_field,
                    metric_crs=crs,
                )
            )
            entry["by_area"] = {
                name: {
                    **exposure_summary(group, scheme=scheme),
                    "length_m": {
                        "total": round(float(group["length_m"].sum()), 3),
                        "affected": round(float(group["wet_length_m"].sum()), 3),
                    },
                }
                for name, group in roads.groupby(roads["area"].fillna("").astype(str))
            }
        return entry
    exposed = (
        feature_exposure(
            frame,
            hazard=hazard,
            aggregation=aggregation,
            aggregation_field=aggregation_field,
            metric_crs=crs,
        )
        if kind is not None
        else frame.assign(hazard_class=scheme.classes[0], affected=False, no_data=False)
    )
    entry.update(exposure_summary(exposed, scheme=scheme, type_field=field))
    entry["type_field"] = field
    if aggregation is not None:
        entry["by_area"] = summary_by_area(exposed, scheme=scheme)
    return entry


def _rounded(block: dict[str, object]) -> dict[str, object]:
    return {k: _rounded(v) if isinstance(v, dict) else round(float(v), 3) for k, v in block.items()}


def _table(report: dict[str, object]) -> str:
    """A short human-readable summary of the report."""
    hazard = report["hazard"]
    classes = hazard["classes"]
    lines = [
        f"hazard {hazard['file']} ({hazard['kind']}), impassable from {hazard['impassable_m']} m",
        f"{'layer':<24} {'geom':<8} {'total':>7} {'affected':>9}  "
        + "  ".join(f"{c:>8}" for c in classes),
    ]
    for entry in report["exposures"]:
        by_class = entry["by_class"]
        lines.append(
            f"{entry['name'][:24]:<24} {entry['geometry'] or '-':<8} {entry['total']:>7} "
            f"{entry['affected']:>9}  " + "  ".join(f"{by_class[c]:>8}" for c in classes)
        )
        if "length_m" in entry:
            metres = entry["length_m"]
            lines.append(
                f"{'  length (m)':<33} {metres['total']:>7.0f} {metres['affected']:>9.0f}  "
                + "  ".join(f"{metres['by_class'][c]:>8.0f}" for c in classes)
            )
    return "\n".join(lines)


def flood_bathtub_command(args: argparse.Namespace) -> int:
    """Run `flood-bathtub`: write the depth raster (and polygons); return the exit status."""
    import rasterio

    from analysis.flood import bathtub_flood

    try:
        if not args.dem.exists():
            raise ValueError(f"DEM file not found: {args.dem}")
        if (args.seed_field is None) != (args.seed_values is None):
            raise ValueError("--seed-field and --seed-values go together")
        seed = _read_vector(args.seed, what="seed")
        if args.seed_field is not None:
            if args.seed_field not in seed.columns:
                raise ValueError(f"seed has no field {args.seed_field!r}")
            seed = seed[seed[args.seed_field].astype(str).isin(args.seed_values)]
            if seed.empty:
                raise ValueError(f"no seed feature has {args.seed_field} in {args.seed_values}")
        if not args.out.parent.exists():
            raise ValueError(f"output folder does not exist: {args.out.parent}")
        flood = bathtub_flood(dem=args.dem, level_m=args.level_m, seed=seed)
        flood.write(args.out)
        zones = flood.zones.frame
        if args.zones_out is not None:
            zones.to_file(args.zones_out)
    except (ValueError, TypeError, OSError, rasterio.errors.RasterioError) as error:
        return _fail("flood-bathtub", error)
    counts = zones.groupby("hazard_class").size().to_dict() if len(zones) else {}
    summary = {
        "dem": str(args.dem),
        "level_m": args.level_m,
        "out": str(args.out),
        "seed_cells": flood.seed_cells,
        "flooded_cells": flood.flooded_cells,
        "zone_polygons_by_class": {str(k): int(v) for k, v in counts.items()},
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(
            f"wrote {args.out}: {flood.flooded_cells} flooded cells at level {args.level_m} m "
            f"({flood.seed_cells} seed cells)"
        )
    return 0


FLOORS_FIELD_GUESSES = ("levels", "building:levels", "floors")


def flood_damage_command(args: argparse.Namespace) -> int:
    """Run `flood-damage`; print JSON or a table; return the exit status."""
    import rasterio

    try:
        report = flood_damage_report(
            hazard_path=args.hazard,
            hazard_field=args.hazard_field,
            exposure_path=args.exposure,
            type_field=args.type_field,
            floors_field=args.floors_field,
            curves_path=args.curves,
            values_path=args.values,
            aggregation_path=args.aggregation,
            aggregation_field=args.aggregation_field,
        )
    except (ValueError, TypeError, OSError, rasterio.errors.RasterioError) as error:
        return _fail("flood-damage", error)
    return _print_report(report, as_json=args.json, table=_damage_table)


def flood_damage_report(
    *,
    hazard_path: Path,
    exposure_path: Path,
    hazard_field: str | None = None,
    type_field: str | None = None,
    floors_field: str | None = None,
    curves_path: Path | None = None,
    values_path: Path | None = None,
    aggregation_path: Path | None = None,
    aggregation_field: str | None = None,
) -> dict[str, object]:
    """The `flood-damage` JSON document (see the module docstring)."""
    from analysis.flood import CURVE_SOURCE, building_damage, damage_summary, feature_exposure
    from analysis.flood._common import geometry_kind

    hazard = hazard_from_damage_file(hazard_path, hazard_field=hazard_field)
    buildings = _read_vector(exposure_path, what="exposure")
    if geometry_kind(buildings.geometry) not in (None, "polygon"):
        raise ValueError(f"exposure {exposure_path}: buildings must be polygons (footprints)")
    if type_field is not None and type_field not in buildings.columns:
        raise ValueError(f"exposure has no type field {type_field!r}")
    if floors_field is None:
        floors_field = next((f for f in FLOORS_FIELD_GUESSES if f in buildings.columns), None)
    elif floors_field not in buildings.columns:
        raise ValueError(f"exposure has no floors field {floors_field!r}")
    aggregation = None
    if aggregation_path is not None:
        aggregation = _read_vector(aggregation_path, what="aggregation")
    exposed = feature_exposure(
        buildings, hazard=hazard, aggregation=aggregation, aggregation_field=aggregation_field
    )
    damaged = building_damage(
        exposed,
        scheme=hazard.scheme,
        curves=read_curves_csv(curves_path) if curves_path is not None else None,
        values_baht_per_m2=read_values_csv(values_path) if values_path is not None else None,
        type_field=type_field,
        floors_field=floors_field,
    )
    totals = _rounded_totals(
        damage_summary(damaged, by="area" if aggregation is not None else None)
    )
    # "buildings" is the list of buildings; their number is "buildings_total".
    totals["buildings_total"] = totals.pop("buildings")
    ids = damaged["id"].tolist() if "id" in damaged.columns else damaged.index.tolist()
    return {
        "hazard": {"file": str(hazard_path), "field": hazard_field},
        "curves": str(curves_path) if curves_path is not None else CURVE_SOURCE,
        "values": str(values_path) if values_path is not None else "JRC105688 (Thailand)",
        "type_field": type_field,
        "floors_field": floors_field,
        "buildings": [
            {
                "id": _plain(ident),
                "type": kind,
                "max_depth_m": None if depth != depth else round(float(depth), 3),
                "damage_fraction": round(float(fraction), 4),
                "damage_baht": round(float(baht), 2),
            }
            for ident, kind, depth, fraction, baht in zip(
                ids,
                damaged["damage_type"],
                damaged["max_depth_m"],
                damaged["damage_fraction"],
                damaged["damage_baht"],
                strict=True,
            )
        ],
        **totals,
    }


def hazard_from_damage_file(path: Path, *, hazard_field: str | None) -> object:
    """The hazard of `flood-damage`: it needs depths, so wet/dry polygons are refused."""
    from analysis.flood import DepthRaster, hazard_from_file
    from analysis.flood.hazard import is_raster_path

    if is_raster_path(path) and hazard_field:
        raise ValueError("a raster hazard holds depths in metres; drop --hazard-field")
    hazard = hazard_from_file(path, hazard_field=hazard_field)
    if not isinstance(hazard, DepthRaster) and not hazard.scheme.breaks_m:
        raise ValueError("damage needs depths: give a depth raster or --hazard-field (m)")
    return hazard


def _plain(value: object) -> object:
    """Numpy scalars as plain numbers for JSON."""
    return value.item() if hasattr(value, "item") else value


def _rounded_totals(summary: dict[str, object]) -> dict[str, object]:
    def rounded(block: dict[str, object]) -> dict[str, object]:
        return {
            k: rounded(v) if isinstance(v, dict) else round(v, 2) if isinstance(v, float) else v
            for k, v in block.items()
        }

    return rounded(summary)


def _csv_rows(path: Path, *, columns: tuple[str, ...]) -> list[dict[str, str]]:
    import csv

    if not path.exists():
        raise ValueError(f"file not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: needs the columns {', '.join(columns)}; missing {missing}")
        return list(reader)


def _csv_number(path: Path, line: int, row: dict[str, str], column: str) -> float:
    try:
        return float(row[column])
    except (TypeError, ValueError):
        raise ValueError(f"{path} line {line}: {column} is not a number: {row[column]!r}") from None


def _csv_type(path: Path, line: int, row: dict[str, str]) -> str:
    from analysis.flood import BUILDING_TYPES

    kind = (row["type"] or "").strip().lower()
    if kind not in BUILDING_TYPES:
        raise ValueError(f"{path} line {line}: type must be one of {', '.join(BUILDING_TYPES)}")
    return kind


def read_curves_csv(path: Path) -> dict[str, object]:
    """Curves from a CSV of ``type,depth_m,fraction`` rows (points of a type in depth order)."""
    from analysis.flood import DamageCurve

    points: dict[str, list[tuple[float, float]]] = {}
    for line, row in enumerate(_csv_rows(path, columns=("type", "depth_m", "fraction")), 2):
        kind = _csv_type(path, line, row)
        point = (_csv_number(path, line, row, "depth_m"), _csv_number(path, line, row, "fraction"))
        points.setdefault(kind, []).append(point)
    curves = {}
    for kind, pairs in points.items():
        try:
            curves[kind] = DamageCurve(
                depths_m=tuple(d for d, _ in pairs), fractions=tuple(f for _, f in pairs)
            )
        except ValueError as error:
            raise ValueError(f"{path}: curve {kind!r}: {error}") from None
    return curves


def read_values_csv(path: Path) -> dict[str, float]:
    """Replacement values from a CSV of ``type,baht_per_m2`` rows."""
    values = {}
    for line, row in enumerate(_csv_rows(path, columns=("type", "baht_per_m2")), 2):
        values[_csv_type(path, line, row)] = _csv_number(path, line, row, "baht_per_m2")
    return values


def _damage_table(report: dict[str, object]) -> str:
    """A short human-readable summary of the damage report."""
    lines = [
        f"hazard {report['hazard']['file']}: {report['buildings_damaged']} of "
        f"{report['buildings_total']} buildings damaged, {report['total_damage_baht']:,.0f} baht",
        f"{'type':<12} {'buildings':>9} {'damaged':>8} {'baht':>16}",
    ]
    for kind, row in report["by_type"].items():
        lines.append(
            f"{kind:<12} {row['buildings']:>9} {row['buildings_damaged']:>8} "
            f"{row['damage_baht']:>16,.0f}"
        )
    return "\n".join(lines)
