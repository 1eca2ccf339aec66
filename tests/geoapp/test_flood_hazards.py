"""The flood dashboard's hazard choice: flood zones, a depth raster, or a water level over a DEM.

Expected figures come from `analysis.flood` run here on the stored COGs and the layers read
here, never from the page code. The demo's GENERATED depth raster and DEM (load_demo) are
consistent with its generated flood zones (`fixtures/demo_city.py`).
"""

from __future__ import annotations

import csv
import io
import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from rasterio.warp import Resampling, calculate_default_transform, reproject

from analysis.flood import (
    DepthRaster,
    bathtub_flood,
    depth_scheme,
    flood_assessment,
    max_depth_m,
    minimum_needs,
)
from layers import selectors
from layers.flood import selectors as flood
from layers.imports import layer_import
from layers.models import Dataset, FloodZone, Municipality
from layers.rasters import raster_file
from tests.geoapp.test_flood_pages import client_for, page, per_person_profile, text_of

NST = "nakhon-si-thammarat"
DEPTH = "flood-depth-scenario-east"
DEM = "dem-scenario-east"
DRAIN = "drain-scenario-east"
LEVEL_M = 4.0
DEPTH_QUERY = {"hazard": "depth", "raster": DEPTH}
BATHTUB_QUERY = {"hazard": "bathtub", "dem": DEM, "level": "4", "seed": DRAIN}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def dataset(slug: str) -> Dataset:
    return Dataset.objects.select_related("municipality").get(municipality__code=NST, slug=slug)


def scheme_of(municipality):
    return depth_scheme(impassable_m=float(municipality.impassable_depth_m))


def assess_raster(municipality, path):
    """The assessment of a depth raster, on frames read here."""
    return flood_assessment(
        hazard=DepthRaster(path=path, scheme=scheme_of(municipality)),
        roads=selectors.road_frame(municipality=municipality),
        landmarks=selectors.landmark_frame(municipality=municipality),
        buildings=flood.household_frame(municipality=municipality),
        aggregation=selectors.subdistrict_frame(municipality=municipality),
        aggregation_field="code",
        metric_crs=municipality.metric_srid,
        needs_profile=per_person_profile(municipality),
    )


def dashboard(query: dict[str, str], username: str = "nst-disaster"):
    return client_for(username).get(reverse("flood-dashboard", args=[NST]), query)


def figures(response) -> dict[str, str]:
    soup = page(response)
    return {
        name: text_of(soup, name)
        for name in ("people-affected", "people-displaced", "buildings-affected")
    }


def test_the_depth_raster_choice_shows_what_the_analysis_finds(db, nst):
    expected = assess_raster(nst, raster_file(dataset=dataset(DEPTH)))

    response = dashboard(DEPTH_QUERY)

    assert response.status_code == 200
    shown = figures(response)
    assert shown["buildings-affected"] == f"{int(expected.buildings['affected'].sum()):,}"
    assert shown["people-affected"] == f"{expected.population.affected:,.0f}"
    assert shown["people-displaced"] == f"{expected.population.displaced:,.0f}"
    html = response.content.decode()
    assert 'data-hazard="depth"' in html
    assert "mueang-flood-depth" in html
    assert "data:image/png;base64," in html
    assert dataset(DEPTH).title in html


def test_a_building_the_raster_puts_at_one_metre_is_medium_in_the_aid_list(db, nst):
    """DESIGN.md section 3: 0.7 <= depth < 1.5 m is medium; the list says so for that house."""
    homes = flood.household_frame(municipality=nst)
    homes = homes[homes["population"] > 0]
    depth = np.asarray(max_depth_m(homes, raster=raster_file(dataset=dataset(DEPTH))))
    near_one = np.flatnonzero((depth > 0.9) & (depth < 1.1))
    assert len(near_one), "the generated scenario has houses about 1 m deep"
    building = int(homes["id"].iloc[near_one[0]])

    response = client_for("nst-disaster").get(
        reverse("flood-aid-priority", args=[NST]), {**DEPTH_QUERY, "format": "csv"}
    )

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    row = next(r for r in rows[1:] if int(r[1]) == building)
    with translation.override("th"):
        medium = str(FloodZone.HazardClass.MEDIUM.label)
    assert row[3] == medium
    assert float(row[4]) == pytest.approx(float(depth[near_one[0]]), abs=0.01)


def test_the_bathtub_floods_only_cells_connected_to_the_drain(db, nst):
    dem_path = raster_file(dataset=dataset(DEM))
    drain = flood.seed_frame(dataset=dataset(DRAIN))
    result = bathtub_flood(dem=dem_path, level_m=LEVEL_M, seed=drain)
    with rasterio.open(dem_path) as src:
        ground = src.read(1, masked=True)
    below = ~np.ma.getmaskarray(ground) & (np.ma.filled(ground, np.inf) < LEVEL_M)
    wet = np.nan_to_num(result.depth_m) > 0
    hollow = below & ~wet
    assert wet.any()
    assert hollow.sum() > 100, "the demo DEM has a closed hollow below the level"
    assert not (wet & ~below).any()

    # Buildings standing in the hollow: a plain threshold would flood them, the bathtub not.
    rows, cols = np.nonzero(hollow)
    xs, ys = rasterio.transform.xy(result.transform, rows, cols)
    cells = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=result.crs)
    homes = flood.household_frame(municipality=nst)
    in_hollow = gpd.sjoin(homes.to_crs(result.crs), cells.buffer(5).to_frame("geometry"))
    ids = set(in_hollow["id"])
    assert ids, "houses stand in the hollow"
    situation = flood.flood_situation(
        municipality=nst,
        needs=flood.needs_profile_current(municipality=nst),
        hazard=flood.HazardChoice(
            kind="bathtub", dem=dataset(DEM), seed=dataset(DRAIN), level_m=LEVEL_M
        ),
    )
    buildings = situation.assessment.buildings
    assert not buildings[buildings["id"].isin(ids)]["affected"].any()
    assert situation.flooded_cells == result.flooded_cells


def test_the_bathtub_choice_on_the_page_matches_the_depth_raster_it_reproduces(db, nst):
    """The generated DEM flooded to 4.0 m from the drain gives back the generated depths."""
    depth_page = figures(dashboard(DEPTH_QUERY))

    response = dashboard(BATHTUB_QUERY)

    assert response.status_code == 200
    assert 'data-hazard="bathtub"' in response.content.decode()
    assert figures(response) == depth_page


def test_a_higher_level_floods_more(db):
    low = figures(dashboard({**BATHTUB_QUERY, "level": "3.5"}))
    high = figures(dashboard({**BATHTUB_QUERY, "level": "4.5"}))

    def number(text: str) -> float:
        return float(text.replace(",", ""))

    assert number(low["people-affected"]) < number(high["people-affected"])


def test_a_raster_in_another_crs_than_the_vectors_gives_the_same_answer(
    db, nst, tmp_path, settings, django_capture_on_commit_callbacks
):
    """The depth raster warped to EPSG:4326 (degrees) and imported: about the same figures."""
    source = raster_file(dataset=dataset(DEPTH))
    warped = tmp_path / "depth-wgs84.tif"
    with rasterio.open(source) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:4326", src.width, src.height, *src.bounds
        )
        profile = src.profile | {
            "driver": "GTiff",
            "crs": "EPSG:4326",
            "transform": transform,
            "width": width,
            "height": height,
        }
        with rasterio.open(warped, "w", **profile) as dst:
            reproject(
                rasterio.band(src, 1),
                rasterio.band(dst, 1),
                resampling=Resampling.nearest,
                dst_nodata=src.nodata,
            )
    with django_capture_on_commit_callbacks(execute=True):
        layer_import(municipality=nst, kind="dataset", path=warped)
    assert dataset("depth-wgs84").raster_metadata["crs"] == "EPSG:4326"
    utm = figures(dashboard(DEPTH_QUERY))

    response = dashboard({"hazard": "depth", "raster": "depth-wgs84"})

    def number(text: str) -> float:
        return float(text.replace(",", ""))

    degrees = figures(response)
    assert response.status_code == 200
    for name in ("buildings-affected", "people-affected"):
        assert number(degrees[name]) == pytest.approx(number(utm[name]), rel=0.03)


def test_exports_follow_the_chosen_hazard(db, nst):
    url = reverse("flood-aid-priority", args=[NST])
    client = client_for("nst-disaster")
    expected = assess_raster(nst, raster_file(dataset=dataset(DEPTH))).priority

    geojson = json.loads(client.get(url, {**DEPTH_QUERY, "format": "geojson"}).content)
    page_html = client.get(url, DEPTH_QUERY).content.decode()
    zones = json.loads(client.get(url, {"hazard": "zones", "format": "geojson"}).content)

    assert geojson["hazard"] == DEPTH_QUERY
    assert geojson["event"] == dataset(DEPTH).title
    assert [f["properties"]["building_id"] for f in geojson["features"]] == [
        int(i) for i in expected["id"]
    ]
    assert zones["hazard"]["hazard"] == "zones"
    # The page's download links carry the hazard.
    assert "hazard=depth" in page_html
    assert f"raster={DEPTH}" in page_html
    assert "format=csv" in page_html


def test_the_needs_page_follows_the_chosen_hazard(db, nst):
    situation = assess_raster(nst, raster_file(dataset=dataset(DEPTH)))
    needs = minimum_needs(displaced=situation.population.displaced, profile=per_person_profile(nst))

    response = client_for("nst-viewer").get(reverse("flood-needs-profile", args=[NST]), DEPTH_QUERY)

    soup = page(response)
    section = soup.find(id="hazard-needs")
    assert response.status_code == 200
    assert section is not None
    cell = section.find("tr", attrs={"data-item": "drinking_water_l"}).find(class_="flood-need")
    assert cell.get_text(strip=True) == f"{needs['drinking_water_l']:,.0f}"
    # Every flood page links on with the same hazard.
    assert f"raster={DEPTH}" in soup.find("nav").decode() if soup.find("nav") else True
    assert f"?hazard=depth&amp;raster={DEPTH}" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"hazard": "lava"}, "hazard"),
        ({"hazard": "depth", "raster": "no-such-raster"}, "no-such-raster"),
        ({"hazard": "depth", "raster": "roads-osm"}, "roads-osm"),
        ({**BATHTUB_QUERY, "level": "deep"}, "deep"),
        ({**BATHTUB_QUERY, "level": "nan"}, "nan"),
        ({**BATHTUB_QUERY, "level": "9999"}, "9999"),
        ({**BATHTUB_QUERY, "seed": "no-such-seed"}, "no-such-seed"),
    ],
)
def test_bad_hazard_input_is_a_400_that_says_what_to_send(db, query, fragment):
    for name in ("flood-dashboard", "flood-aid-priority", "flood-needs-profile"):
        response = client_for("nst-admin").get(reverse(name, args=[NST]), query)

        assert response.status_code == 400, (name, query)
        assert fragment in response.content.decode()


def test_the_elevation_model_is_never_offered_as_a_depth_raster(db):
    response = dashboard({"hazard": "depth", "raster": BATHTUB_QUERY["dem"]})

    assert response.status_code == 400  # ground heights would read as metres of water
    form = page(dashboard(DEPTH_QUERY)).find(id="flood-raster")
    assert BATHTUB_QUERY["dem"] not in [o["value"] for o in form.find_all("option")]


def test_a_dem_too_large_to_spread_water_over_is_a_clear_400(db, settings):
    settings.MUEANG_BATHTUB_MAX_CELLS = 100

    response = dashboard(BATHTUB_QUERY)

    assert response.status_code == 400
    assert "100" in response.content.decode()


def test_a_seed_that_misses_the_dem_is_a_clear_400(db, nst, tmp_path):
    far = gpd.GeoDataFrame(geometry=gpd.points_from_xy([100.5], [13.7]), crs=4326)
    path = tmp_path / "bangkok-canal.geojson"
    far.to_file(path, driver="GeoJSON")
    layer_import(municipality=nst, kind="dataset", path=path, confirm_outside=True)

    response = dashboard({**BATHTUB_QUERY, "seed": "bangkok-canal"})

    assert response.status_code == 400
    assert "does not touch the DEM" in response.content.decode()


@pytest.mark.parametrize("query", [DEPTH_QUERY, BATHTUB_QUERY])
@pytest.mark.parametrize("name", ["flood-dashboard", "flood-aid-priority", "flood-needs-profile"])
def test_another_municipalitys_members_get_404_for_every_hazard(db, query, name):
    for role in ("viewer", "disaster", "admin"):
        response = client_for(f"chon-{role}").get(reverse(name, args=[NST]), query)

        assert response.status_code == 404


def test_naming_another_municipalitys_raster_reads_nothing_of_it(db, chon):
    title = dataset(DEPTH).title
    response = client_for("chon-disaster").get(
        reverse("flood-dashboard", args=[chon.code]), DEPTH_QUERY
    )

    assert response.status_code == 200
    assert "people-affected" not in response.content.decode()
    assert title not in response.content.decode()


@pytest.mark.parametrize("query", [{"hazard": "zones"}, DEPTH_QUERY, BATHTUB_QUERY])
def test_each_hazards_assessment_is_computed_once_then_served_from_the_cache(db, query):
    # Timings live in `make bench` (flood.demo_city); here: the second page reuses the first.
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as cold_queries:
        cold = dashboard(query)
    with CaptureQueriesContext(connection) as warm_queries:
        warm = dashboard(query)

    assert cold.status_code == warm.status_code == 200
    assert len(warm_queries) < len(cold_queries)
    figures = page(cold).find(id="people-affected")
    assert figures is not None
    assert figures.get_text(strip=True) == page(warm).find(id="people-affected").get_text(
        strip=True
    )


def test_load_demo_registers_the_generated_rasters_through_the_import(db, nst):
    for slug, role in ((DEPTH, "depth"), (DEM, "dem")):
        entry = dataset(slug)
        assert entry.kind == Dataset.Kind.RASTER
        assert entry.is_generated
        assert "GENERATED" in entry.description
        assert entry.raster_metadata["role"] == role
        assert entry.raster_metadata["crs"] == "EPSG:32647"
        assert entry.source_checksum == entry.raster_metadata["checksum"]
    assert Municipality.objects.get(code=NST).pk == nst.pk
