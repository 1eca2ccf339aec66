"""The demo loader against the source files, counted independently with geopandas."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from layers.models import Building, Dataset, DengueCase, Landmark, Municipality, Road

DATA = Path(settings.MUEANG_DATA_DIR)
NST = DATA / "osm_nakhon_si_thammarat"


@pytest.fixture(scope="module")
def nst_boundary():
    return gpd.read_file(NST / "boundary.geojson").geometry.iloc[0]


def count_in_dataset(model, code: str, slug: str) -> int:
    return model.objects.filter(municipality__code=code, dataset__slug=slug).count()


def test_roads_inside_the_boundary_match_the_source_file(db, nst_boundary):
    roads = gpd.read_file(NST / "roads.geojson")

    expected = int(roads.intersects(nst_boundary).sum())

    assert expected == 1449  # SOURCES.md: 1,449 road ways inside the municipal boundary
    assert count_in_dataset(Road, "nakhon-si-thammarat", "roads-osm") == expected


def test_buildings_inside_the_boundary_match_the_source_file(db, nst_boundary):
    buildings = gpd.read_file(NST / "buildings.geojson")

    expected = int(buildings.intersects(nst_boundary).sum())

    assert count_in_dataset(Building, "nakhon-si-thammarat", "buildings-osm") == expected


def test_landmarks_are_civic_and_heritage_points_inside_deduplicated_by_osm_id(db, nst_boundary):
    civic = gpd.read_file(NST / "civic-pois.geojson")
    heritage = gpd.read_file(NST / "heritage.geojson")
    inside = pd.concat([civic[civic.within(nst_boundary)], heritage[heritage.within(nst_boundary)]])

    expected_ids = set(inside["id"])

    stored = set(
        Landmark.objects.filter(
            municipality__code="nakhon-si-thammarat", dataset__slug="landmarks-osm"
        ).values_list("source_id", flat=True)
    )
    assert stored == expected_ids
    assert len(inside) > len(expected_ids)  # the two files do overlap on temples


def test_wat_phra_mahathat_is_a_temple_with_its_thai_name(db):
    temple = Landmark.objects.get(source_id="node/1586071745")

    assert temple.name_th == "วัดพระมหาธาตุ วรมหาวิหาร"
    assert temple.category == Landmark.Category.TEMPLE


def test_every_stored_feature_touches_its_municipality(db):
    with connection.cursor() as cursor:
        for table in ("layers_road", "layers_building", "layers_landmark", "layers_denguecase"):
            cursor.execute(
                f"SELECT count(*) FROM {table} t JOIN layers_municipality m "
                "ON m.id = t.municipality_id WHERE NOT ST_Intersects(t.geom, m.boundary)"
            )
            assert cursor.fetchone()[0] == 0, table


def test_chon_buri_roads_match_the_source_inside_its_boundary(db):
    boundary = Municipality.objects.get(code="chon-buri").boundary
    roads = gpd.read_file(DATA / "osm_chonburi" / "chonburi-roads.geojson")
    shape = gpd.GeoSeries.from_wkt([boundary.wkt], crs=4326).iloc[0]

    expected = int(roads.intersects(shape).sum())

    assert expected > 100
    assert count_in_dataset(Road, "chon-buri", "roads-osm") == expected


def test_generated_cases_are_labelled_and_lie_at_buildings(db):
    cases = DengueCase.objects.filter(municipality__code="nakhon-si-thammarat")
    dataset = Dataset.objects.get(slug="dengue-cases-generated")

    assert cases.count() > 50
    assert not cases.filter(is_generated=False).exists()
    assert dataset.is_generated
    assert "generated" in dataset.description.lower()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM layers_denguecase c WHERE NOT EXISTS ("
            " SELECT 1 FROM layers_building b WHERE b.municipality_id = c.municipality_id"
            " AND ST_Intersects(b.geom, c.geom))"
        )
        assert cursor.fetchone()[0] == 0
    span = cases.order_by("onset_date").values_list("onset_date", flat=True)
    assert (span.last() - span.first()).days <= 365


def _fingerprint() -> list[tuple]:
    with connection.cursor() as cursor:
        rows = []
        for table in (
            "layers_municipality",
            "layers_subdistrict",
            "layers_road",
            "layers_landmark",
            "layers_building",
            "layers_floodzone",
            "layers_denguecase",
            "layers_dataset",
            "geoapp_membership",
            "auth_user",
        ):
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "
                f"FROM {table} t"
            )
            rows.append((table, *cursor.fetchone()))
        return rows


def test_loading_again_changes_nothing(db):
    before = _fingerprint()
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    assert _fingerprint() == before
    assert "skipped (unchanged)" in out.getvalue()


def test_loading_again_leaves_the_generated_rasters_and_their_files_alone(db):
    from layers.imports.raster import raster_dataset_path

    files = [
        raster_dataset_path(municipality_code="nakhon-si-thammarat", slug=slug)
        for slug in ("flood-depth-scenario-east", "dem-scenario-east")
    ]
    before = [(path.stat().st_mtime_ns, path.read_bytes()) for path in files]
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    line = next(x for x in out.getvalue().splitlines() if x.startswith("nakhon-si-thammarat:"))
    for layer in ("raster_depth", "raster_dem", "drain"):
        assert f"{layer}: skipped (unchanged)" in line
    assert [(path.stat().st_mtime_ns, path.read_bytes()) for path in files] == before
