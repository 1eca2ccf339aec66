"""Invariants of the flood analyses on random inputs (hypothesis).

Coordinates are small integers on purpose: they make roads run along zone edges and buildings
meet cell edges, the cases where overlays double count or drop pieces.
"""

import tempfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import box

from analysis.flood import (
    DepthRaster,
    depth_scheme,
    exposure_summary,
    feature_exposure,
    max_depth_m,
    population_impact,
    road_exposure,
    zones_from_classes,
)
from tests.analysis.flood_helpers import frame, write_raster

CLASSES = ("dry", "low", "medium", "high")
coordinate = st.integers(min_value=0, max_value=40)


@st.composite
def boxes(draw, min_size=1, max_size=6):
    n = draw(st.integers(min_size, max_size))
    out = []
    for _ in range(n):
        x0, y0 = draw(coordinate), draw(coordinate)
        out.append(box(x0, y0, x0 + draw(st.integers(1, 20)), y0 + draw(st.integers(1, 20))))
    return out


@st.composite
def class_zones(draw):
    geoms = draw(boxes())
    names = draw(st.lists(st.sampled_from(CLASSES), min_size=len(geoms), max_size=len(geoms)))
    return zones_from_classes(frame(geoms, c=names), class_field="c")


@st.composite
def roads(draw):
    n = draw(st.integers(1, 8))
    lines = []
    for _ in range(n):
        points = draw(st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=4))
        line = shapely.LineString(points)
        if line.length > 0:
            lines.append(line)
    if not lines:
        lines = [shapely.LineString([(0, 0), (1, 0)])]
    return frame(lines, road_class=[f"c{i % 3}" for i in range(len(lines))])


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(zones=class_zones())
def test_zones_never_overlap(zones):
    union = shapely.union_all(zones.frame.geometry.values)
    assert union.area == pytest.approx(zones.frame.area.sum(), abs=1e-6)


@FAST
@given(zones=class_zones(), lines=roads())
def test_lengths_by_class_add_up_to_the_road_length(zones, lines):
    result = road_exposure(lines, hazard=zones)
    per_road = result.roads[[f"length_{c}_m" for c in CLASSES]].sum(axis=1)
    np.testing.assert_allclose(per_road, result.roads["length_m"], rtol=1e-9, atol=1e-9)
    assert (result.roads[[f"length_{c}_m" for c in CLASSES]] >= -1e-9).all().all()
    assert result.lengths_m.to_numpy().sum() == pytest.approx(lines.length.sum())
    summary = result.summary(type_field="road_class")
    assert summary["affected"] <= summary["total"]
    assert summary["length_m"]["affected"] <= summary["length_m"]["total"] + 1e-9


@FAST
@given(zones=class_zones(), buildings=boxes(max_size=10))
def test_affected_never_exceeds_total(zones, buildings):
    people = frame(buildings, population=list(range(1, len(buildings) + 1)))
    exposed = feature_exposure(people, hazard=zones)
    summary = exposure_summary(exposed, scheme=zones.scheme)
    assert 0 <= summary["affected"] <= summary["total"] == len(buildings)
    assert sum(summary["by_class"].values()) == summary["total"]
    for weighting in ("area", "max"):
        impact = population_impact(people, hazard=zones, weighting=weighting)
        assert impact.affected <= impact.total + 1e-9
        assert impact.displaced <= impact.affected + 1e-9
        assert sum(impact.affected_by_class.values()) == pytest.approx(impact.total)


@FAST
@given(
    depth=st.lists(st.floats(0, 3, allow_nan=False), min_size=16, max_size=16),
    extra=st.lists(st.floats(0, 2, allow_nan=False), min_size=16, max_size=16),
    buildings=boxes(max_size=8),
)
def test_deeper_water_never_lowers_a_class(depth, extra, buildings):
    shallow = np.array(depth).reshape(4, 4)
    deep = shallow + np.array(extra).reshape(4, 4)
    features = frame([shapely.affinity.scale(b, 0.5, 0.5, origin=(0, 0)) for b in buildings])
    with tempfile.TemporaryDirectory() as folder:
        paths = [
            write_raster(Path(folder) / f"{name}.tif", values, origin=(0, 40), dtype="float64")
            for name, values in (("shallow", shallow), ("deep", deep))
        ]
        ranks = [
            feature_exposure(features, hazard=DepthRaster(path=p, scheme=depth_scheme()))[
                "class_rank"
            ].to_numpy()
            for p in paths
        ]
        max_shallow, max_deep = (max_depth_m(features, raster=p) for p in paths)
    assert (ranks[1] >= ranks[0]).all()
    assert (np.nan_to_num(max_deep, nan=-1) >= np.nan_to_num(max_shallow, nan=-1)).all()


@given(st.floats(-1, 10, allow_nan=False), st.floats(0, 5, allow_nan=False))
def test_classify_is_monotonic(depth, extra):
    scheme = depth_scheme()
    assert scheme.classify([depth + extra])[0] >= scheme.classify([depth])[0]
