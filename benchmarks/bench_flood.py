"""Flood benchmarks (issue 6): each row is ours against a reference tool on the same data.

flood.max_depth      Maximum depth under 20,000 generated building footprints (rotated
                     rectangles of 6-25 m) from a 1000 x 1000 depth raster (5 m cells, smooth
                     field, 5 % nodata), against exactextract's ``max`` (its faster
                     "raster-sequential" strategy) on the same GeoTIFF and frame. The answers
                     must agree exactly. Goal: ratio <= 1.1.
flood.roads_overlay  Roads x flood polygons: 1,000,000 generated road segments (a jittered 40 m
                     street grid) against flood zones stored as in ``layers_floodzone``: one
                     MultiPolygon per class, from a polygonised smooth 20 m depth field.
                     Baseline ``geopandas.overlay(how="intersection")`` plus lengths by class;
                     candidate ``zones_from_classes`` + ``road_exposure`` (lengths by road class
                     and hazard class, pieces kept). Totals must agree. Goal: >= 30x faster.
                     ``MUEANG_BENCH_SCALE`` scales the segment count (default 1; 0.1 runs in
                     seconds). From scale 0.5 the baseline (minutes) runs once, without warm-up.
flood.demo_city      The whole assessment of the demo city (roads, landmarks, buildings,
                     people, needs, access, aid priority) from loading the layers to the result,
                     against loading the layers alone. Layers come from PostGIS when the demo is
                     loaded there, else from ``fixtures/data`` (the same builder load_demo uses).
                     Goal: under 10 s.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks.registry import Row, benchmark, elapsed_ms, sample

UTM47 = 32647
ROOT = Path(__file__).resolve().parent.parent
NST = "nakhon-si-thammarat"


def bench_scale() -> float:
    """``MUEANG_BENCH_SCALE`` (default 1): multiplies the road overlay's segment count."""
    value = float(os.environ.get("MUEANG_BENCH_SCALE", "1"))
    if not 0 < value <= 10:
        raise ValueError(f"MUEANG_BENCH_SCALE must be in (0, 10], got {value}")
    return value


def smooth_field(height: int, width: int, *, coarse: int, seed: int) -> np.ndarray:
    """A smooth random field: coarse normal noise, bilinearly interpolated to the grid."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 1.0, (coarse, coarse))
    xs = np.linspace(0, coarse - 1, width)
    ys = np.linspace(0, coarse - 1, height)
    rows = np.array([np.interp(xs, np.arange(coarse), noise[i]) for i in range(coarse)])
    return np.array([np.interp(ys, np.arange(coarse), rows[:, j]) for j in range(width)]).T


# --- flood.max_depth ---------------------------------------------------------------------------


def depth_raster_and_buildings(
    folder: Path, *, size: int = 1000, cell_m: float = 5.0, buildings: int = 20_000, seed: int = 6
) -> tuple[Path, gpd.GeoDataFrame]:
    """A size x size depth GeoTIFF (metres) and rotated rectangular footprints over it."""
    import rasterio

    rng = np.random.default_rng(seed)
    x0, y0 = 600_000.0, 900_000.0
    depth = np.clip(smooth_field(size, size, coarse=40, seed=seed) * 0.8 + 0.6, 0, None)
    depth += rng.normal(0, 0.05, depth.shape)  # model noise, so neighbouring cells differ
    depth[rng.random(depth.shape) < 0.05] = -9999.0
    path = folder / "depth.tif"
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{UTM47}",
        "transform": rasterio.Affine(cell_m, 0, x0, 0, -cell_m, y0 + size * cell_m),
        "nodata": -9999.0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(depth.astype("float32"), 1)
    extent = size * cell_m
    cx, cy = (
        rng.uniform(x0 + 30, x0 + extent - 30, buildings),
        rng.uniform(y0 + 30, y0 + extent - 30, buildings),
    )
    w, h = rng.uniform(6, 25, buildings), rng.uniform(6, 20, buildings)
    angle = rng.uniform(0, np.pi, buildings)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    dx, dy = corners[None, :, 0] * w[:, None], corners[None, :, 1] * h[:, None]
    coords = np.stack([cx[:, None] + dx * cos - dy * sin, cy[:, None] + dx * sin + dy * cos], -1)
    footprints = gpd.GeoDataFrame(geometry=shapely.polygons(coords), crs=UTM47)
    return path, footprints


@benchmark("flood.max_depth")
def flood_max_depth(repeat: int) -> list[Row]:
    """Maximum depth under 20,000 footprints: ours against exactextract's max."""
    from exactextract import exact_extract

    from analysis.flood import max_depth_m

    with tempfile.TemporaryDirectory(prefix="mueang-bench-") as folder:
        path, footprints = depth_raster_and_buildings(Path(folder))
        reference: list[np.ndarray] = []
        ours: list[np.ndarray] = []

        def run() -> tuple[float, float]:
            start = time.perf_counter()
            table = exact_extract(
                str(path), footprints, "max", output="pandas", strategy="raster-sequential"
            )
            baseline_ms = elapsed_ms(start)
            start = time.perf_counter()
            result = max_depth_m(footprints, raster=path)
            candidate_ms = elapsed_ms(start)
            reference.append(table["max"].to_numpy(dtype=float))
            ours.append(result)
            return baseline_ms, candidate_ms

        baseline_ms, candidate_ms = sample(run, repeat)
    if not np.allclose(ours[-1], reference[-1], equal_nan=True):
        differ = int((~np.isclose(ours[-1], reference[-1], equal_nan=True)).sum())
        raise RuntimeError(f"flood.max_depth: {differ} footprints differ from exactextract")
    return [
        Row(
            "flood.max_depth_ms",
            "max depth, 20k footprints x 1000^2 raster vs exactextract max",
            baseline_ms,
            candidate_ms,
            "ms",
        )
    ]


# --- flood.roads_overlay -----------------------------------------------------------------------


def street_grid(segments: int, *, spacing_m: float = 40.0, seed: int = 7) -> gpd.GeoDataFrame:
    """`segments` two-vertex road segments of a jittered street grid, with road classes."""
    rng = np.random.default_rng(seed)
    k = int(np.ceil(np.sqrt(segments / 2))) + 1
    gx, gy = np.meshgrid(np.arange(k) * spacing_m, np.arange(k) * spacing_m)
    x = (gx + rng.uniform(-8, 8, gx.shape) + 600_000).ravel()
    y = (gy + rng.uniform(-8, 8, gy.shape) + 900_000).ravel()
    node = np.arange(k * k).reshape(k, k)
    a = np.r_[node[:, :-1].ravel(), node[:-1, :].ravel()]
    b = np.r_[node[:, 1:].ravel(), node[1:, :].ravel()]
    keep = rng.permutation(len(a))[:segments]
    a, b = a[keep], b[keep]
    lines = shapely.linestrings(np.stack([np.c_[x[a], y[a]], np.c_[x[b], y[b]]], axis=1))
    classes = rng.choice(
        ["residential", "tertiary", "secondary", "primary"], len(lines), p=[0.7, 0.15, 0.1, 0.05]
    )
    return gpd.GeoDataFrame({"road_class": classes}, geometry=lines, crs=UTM47)


def flood_zones_over(
    roads: gpd.GeoDataFrame, *, cell_m: float = 20.0, seed: int = 9
) -> gpd.GeoDataFrame:
    """Flood zones like ``layers_floodzone``: one MultiPolygon per class, from a depth field."""
    import rasterio.features

    x0, y0, x1, y1 = roads.total_bounds
    width, height = int(np.ceil((x1 - x0) / cell_m)) + 1, int(np.ceil((y1 - y0) / cell_m)) + 1
    depth = (smooth_field(height, width, coarse=25, seed=seed) - 0.6) * 1.5
    code = np.searchsorted([0.1, 0.7, 1.5], depth, side="right").astype(np.int32)
    polygons = [
        (shapely.geometry.shape(g), int(v))
        for g, v in rasterio.features.shapes(
            code, mask=code > 0, transform=rasterio.Affine(cell_m, 0, x0, 0, -cell_m, y1)
        )
    ]
    names = np.array(["dry", "low", "medium", "high"], dtype=object)
    parts = gpd.GeoDataFrame(
        {"hazard_class": names[[v for _, v in polygons]]},
        geometry=[g for g, _ in polygons],
        crs=UTM47,
    )
    return parts.dissolve("hazard_class").reset_index()[["hazard_class", "geometry"]]


@benchmark("flood.roads_overlay")
def flood_roads_overlay(repeat: int) -> list[Row]:
    """Road lengths by flood class: ours against geopandas.overlay."""
    from analysis.flood import road_exposure, zones_from_classes

    segments = round(1_000_000 * bench_scale())
    roads = street_grid(segments)
    zones = flood_zones_over(roads)

    def candidate() -> tuple[float, pd.Series]:
        start = time.perf_counter()
        hazard = zones_from_classes(zones, class_field="hazard_class")
        result = road_exposure(roads, hazard=hazard)
        return elapsed_ms(start), result.lengths_m.sum()

    def baseline() -> tuple[float, pd.Series]:
        start = time.perf_counter()
        pieces = gpd.overlay(roads, zones, how="intersection", keep_geom_type=True)
        lengths = pieces.length.groupby([pieces["road_class"], pieces["hazard_class"]]).sum()
        return elapsed_ms(start), lengths.groupby(level="hazard_class").sum()

    once = segments >= 500_000
    if once:
        candidate()  # warm-up
        candidate_runs = [candidate() for _ in range(repeat)]
        baseline_ms, baseline_lengths = baseline()
        candidate_ms = statistics.median(ms for ms, _ in candidate_runs)
        candidate_lengths = candidate_runs[-1][1]
    else:
        results: list[tuple[pd.Series, pd.Series]] = []

        def run() -> tuple[float, float]:
            base_ms, base_len = baseline()
            cand_ms, cand_len = candidate()
            results.append((base_len, cand_len))
            return base_ms, cand_ms

        baseline_ms, candidate_ms = sample(run, repeat)
        baseline_lengths, candidate_lengths = results[-1]
    for name, metres in baseline_lengths.items():
        if not np.isclose(candidate_lengths[name], metres, rtol=1e-9, atol=1e-3):
            raise RuntimeError(
                f"flood.roads_overlay: {name} {candidate_lengths[name]:.3f} m != {metres:.3f} m"
            )
    note = ", baseline once" if once else ""
    return [
        Row(
            "flood.roads_overlay_ms",
            f"{segments:,} segments x class zones vs geopandas.overlay{note}",
            baseline_ms,
            candidate_ms,
            "ms",
        )
    ]


# --- flood.demo_city ---------------------------------------------------------------------------


def demo_layers() -> tuple[str, dict[str, gpd.GeoDataFrame], int]:
    """The demo city's layers (EPSG:4326) and metric SRID: from PostGIS if loaded, else files."""
    from layers.models import Municipality, Road

    municipality = Municipality.objects.filter(code=NST).first()
    if municipality is not None and Road.objects.filter(municipality=municipality).exists():
        return "PostGIS", postgis_layers(municipality), municipality.metric_srid
    from fixtures.demo_city import nakhon_si_thammarat

    city = nakhon_si_thammarat(ROOT / "fixtures" / "data")
    layers = {
        "roads": city.roads,
        "landmarks": city.landmarks,
        "buildings": city.buildings,
        "flood_zones": city.flood_zones,
        "subdistricts": city.subdistricts,
    }
    return "fixtures/data", layers, city.metric_epsg


def postgis_layers(municipality: object) -> dict[str, gpd.GeoDataFrame]:
    """One query per layer through the ORM bridge (layers.frames)."""
    from layers.frames import frame_from_queryset
    from layers.models import Building, FloodZone, Landmark, Road, Subdistrict

    def load(model: type, fields: tuple[str, ...]) -> gpd.GeoDataFrame:
        queryset = model.objects.filter(municipality=municipality).order_by("id")
        return frame_from_queryset(queryset, fields=fields)

    return {
        "roads": load(Road, ("id", "road_class")),
        "landmarks": load(Landmark, ("id", "category")),
        "buildings": load(
            Building, ("id", "population", "elderly", "bedridden", "disabled", "infants")
        ),
        "flood_zones": load(FloodZone, ("id", "event", "hazard_class")),
        "subdistricts": load(Subdistrict, ("id", "code", "name_en")),
    }


@benchmark("flood.demo_city")
def flood_demo_city(repeat: int) -> list[Row]:
    """End-to-end flood assessment of the demo city against loading its layers."""
    from analysis.flood import flood_assessment, zones_from_classes

    source: list[str] = []

    def run() -> tuple[float, float]:
        start = time.perf_counter()
        name, _, _ = demo_layers()
        load_ms = elapsed_ms(start)
        start = time.perf_counter()
        name, layers, srid = demo_layers()
        result = flood_assessment(
            hazard=zones_from_classes(layers["flood_zones"], class_field="hazard_class"),
            roads=layers["roads"],
            landmarks=layers["landmarks"],
            buildings=layers["buildings"],
            aggregation=layers["subdistricts"],
            aggregation_field="name_en",
            metric_crs=srid,
        )
        total_ms = elapsed_ms(start)
        if result.roads.roads["affected"].sum() == 0:
            raise RuntimeError("flood.demo_city: the demo flood touched no road")
        source.append(name)
        return load_ms, total_ms

    load_ms, total_ms = sample(run, repeat)
    return [
        Row(
            "flood.demo_city_ms",
            f"whole assessment incl. loading ({source[-1]}) vs loading only",
            load_ms,
            total_ms,
            "ms",
        )
    ]
