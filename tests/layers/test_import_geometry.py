"""Geometries: invalid ones repaired and flagged, empty ones rejected by row, single/multi
coerced, wrong types refused, features outside the municipality reported unless confirmed."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.imports import ImportRefused, layer_import
from layers.imports.crs import ToWgs84
from layers.imports.geometry import geometries_prepare, geometry_coerce
from layers.models import Building, Dataset, Landmark
from tests.layers.import_data import (
    OUTSIDE,
    buildings_frame,
    cli,
    inside_points,
    landmarks_frame,
    write_geojson,
    write_gpkg,
)


def bow_tie(x: float, y: float, size: float = 0.0002) -> shapely.Polygon:
    """A self-intersecting polygon (invalid)."""
    return shapely.Polygon([(x, y), (x + size, y + size), (x + size, y), (x, y + size), (x, y)])


def test_invalid_polygon_is_repaired_and_its_row_flagged(nst, tmp_path):
    frame = buildings_frame(3)
    frame.loc[1, "geometry"] = bow_tie(*inside_points(3)[1])
    path = write_geojson(frame, tmp_path / "houses.geojson")

    report = layer_import(municipality=nst, kind="buildings", path=path, id_field="id")

    assert report.created == 3
    assert report.repaired == 1
    flagged = [issue for issue in report.issues if issue.code == "geometry_repaired"]
    assert [issue.row for issue in flagged] == [2]
    assert "Self-intersection" in str(flagged[0])
    repaired = Building.objects.get(municipality=nst, source_id="b2").geom
    assert repaired.valid
    assert repaired.geom_type == "MultiPolygon"
    assert len(repaired) == 2  # the bow tie's two triangles


def test_empty_geometry_is_rejected_naming_its_row_and_nothing_is_written(nst, tmp_path):
    frame = landmarks_frame(4)
    frame.loc[2, "geometry"] = shapely.Point()
    path = write_gpkg({"lights": frame}, tmp_path / "with-empty.gpkg")

    code, output = cli("nakhon-si-thammarat", "landmarks", path)

    assert code == 1
    assert "with-empty.gpkg: แถว 3: รูปทรงเรขาคณิตว่างเปล่า" in output
    assert "row 3: empty geometry" in output
    assert not Dataset.objects.filter(municipality=nst, slug="with-empty").exists()


def test_feature_without_geometry_is_rejected(nst, tmp_path):
    path = tmp_path / "nogeom.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "x"}, "geometry": null}]}',
        encoding="utf-8",
    )

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="landmarks", path=path)

    assert "row 1: no geometry" in str(refused.value)


def test_a_line_cannot_become_a_landmark(nst, tmp_path):
    frame = landmarks_frame(2)
    frame.loc[0, "geometry"] = shapely.LineString(inside_points(2))
    path = write_geojson(frame, tmp_path / "line.geojson")

    report = layer_import(municipality=nst, kind="landmarks", path=path, dry_run=True)

    assert not report.ok
    assert report.rejected == 1
    assert "row 1: a LineString cannot be stored as a point" in str(report.errors[0])


def test_outside_features_stop_the_import_and_confirming_imports_them(nst, tmp_path):
    frame = landmarks_frame(3)
    frame.loc[2, "geometry"] = shapely.Point(OUTSIDE)
    path = write_geojson(frame, tmp_path / "lights.geojson")

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="landmarks", path=path)
    assert refused.value.report.outside == 1
    assert "1 รายการอยู่นอกเขตเทศบาล (แถว 3)" in str(refused.value)
    assert not Landmark.objects.filter(dataset__slug="lights").exists()

    report = layer_import(municipality=nst, kind="landmarks", path=path, confirm_outside=True)
    assert report.created == 3
    assert report.outside == 1
    assert Landmark.objects.filter(dataset__slug="lights").count() == 3


def test_multipoint_of_one_point_is_stored_as_a_point(nst, tmp_path):
    frame = landmarks_frame(1)
    frame.loc[0, "geometry"] = shapely.MultiPoint([inside_points(1)[0]])
    path = write_geojson(frame, tmp_path / "multi.geojson")

    layer_import(municipality=nst, kind="landmarks", path=path)

    assert Landmark.objects.get(dataset__slug="multi").geom.geom_type == "Point"


def test_z_coordinates_are_dropped(nst, tmp_path):
    frame = gpd.GeoDataFrame(
        {"id": ["z"]}, geometry=[shapely.Point(*inside_points(1)[0], 12.5)], crs="EPSG:4326"
    )
    path = write_geojson(frame, tmp_path / "z.geojson")

    layer_import(municipality=nst, kind="landmarks", path=path)

    assert not Landmark.objects.get(dataset__slug="z").geom.hasz


@pytest.mark.parametrize(
    ("geometry", "target", "expected"),
    [
        (shapely.LineString([(0, 0), (1, 1)]), "MultiLineString", "MultiLineString"),
        (shapely.box(0, 0, 1, 1), "MultiPolygon", "MultiPolygon"),
        (shapely.MultiPoint([(0, 0)]), "Point", "Point"),
        (shapely.MultiPoint([(0, 0), (1, 1)]), "Point", None),
        (shapely.box(0, 0, 1, 1), "MultiLineString", None),
        (
            shapely.GeometryCollection(
                [shapely.box(0, 0, 1, 1), shapely.LineString([(2, 2), (3, 3)])]
            ),
            "MultiPolygon",
            "MultiPolygon",
        ),
        (shapely.Point(0, 0), "MultiPolygon", None),
    ],
)
def test_geometry_coerce(geometry, target, expected):
    result = geometry_coerce(geometry, target)

    assert (result.geom_type if result is not None else None) == expected


def test_checks_run_before_anything_expensive_touches_the_geometry():
    wkb = np.array(
        [
            shapely.to_wkb(shapely.Point(np.nan, 8.4)),
            shapely.to_wkb(shapely.Point(1e308, 8.4)),
            shapely.to_wkb(shapely.Polygon(shapely.box(0, 0, 1, 1).exterior.coords)),
            None,
        ],
        dtype=object,
    )

    prepared = geometries_prepare(
        wkb,
        to_wgs84=ToWgs84(None, "none"),
        source_limit=360,
        target="MultiPolygon",
        max_vertices=4,
        boundary=shapely.box(-1, -1, 2, 2),
    )

    assert {i: p.code for i, p in prepared.problems.items()} == {
        0: "coordinate_not_finite",
        1: "coordinate_out_of_range",
        2: "too_many_vertices",  # a box has 5 coordinates
        3: "geometry_missing",
    }


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False)),
        min_size=3,
        max_size=8,
    )
)
def test_any_ring_becomes_a_valid_multipolygon_or_a_named_problem(points):
    ring = shapely.Polygon([*points, points[0]])

    prepared = geometries_prepare(
        np.array([shapely.to_wkb(ring)], dtype=object),
        to_wgs84=ToWgs84(None, "none"),
        source_limit=360,
        target="MultiPolygon",
        max_vertices=100,
        boundary=shapely.box(-1, -1, 2, 2),
    )

    result = prepared.geometries[0]
    if result is None:
        assert prepared.problems[0].code in {
            "geometry_empty",
            "geometry_unrepairable",
            "geometry_wrong_type",
        }
    else:
        assert result.geom_type == "MultiPolygon"
        assert result.is_valid
        assert not result.is_empty
