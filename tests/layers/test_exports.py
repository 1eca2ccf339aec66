"""Dataset exports: each format reads back with the same rows, Thai text, CRS and licence."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from layers.catalogue.exports import dataset_export, shapefile_field_names
from layers.catalogue.selectors import dataset_frame
from layers.models import Dataset, DengueCasePersonal, Landmark

FORMATS = ["geojson", "gpkg", "csv", "shp"]
PERSONAL_FIELDS = ["full_name", "national_id", "phone", "address", "national_id_digest"]


@pytest.fixture
def landmarks(nst) -> Dataset:
    return Dataset.objects.get(municipality=nst, slug="landmarks-osm")


@pytest.fixture
def cases(nst) -> Dataset:
    return Dataset.objects.get(municipality=nst, slug="dengue-cases-generated")


def read_back(path: Path, fmt: str, tmp_path: Path) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """The exported features as a GeoDataFrame and the text files of the archive, if any."""
    if fmt in ("geojson", "gpkg"):
        return gpd.read_file(path, engine="pyogrio"), {}
    with zipfile.ZipFile(path) as archive:
        texts = {n: archive.read(n).decode("utf-8") for n in archive.namelist() if ".txt" in n}
        archive.extractall(tmp_path / "out")
    if fmt == "shp":
        shp = next((tmp_path / "out").glob("*.shp"))
        return gpd.read_file(shp, engine="pyogrio"), texts
    csv_path = next((tmp_path / "out").glob("*.csv"))
    frame = pyogrio.read_dataframe(csv_path, encoding="utf-8-sig")
    frame = gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries.from_wkt(frame.pop("wkt")), crs="EPSG:4326"
    )
    return frame, texts


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_round_trips_rows_thai_names_and_crs(db, landmarks, fmt, tmp_path):
    exported = dataset_export(dataset=landmarks, fmt=fmt, directory=tmp_path)
    back, _texts = read_back(exported.path, fmt, tmp_path)
    source = dataset_frame(dataset=landmarks)

    assert len(back) == len(source) == Landmark.objects.filter(dataset=landmarks).count() > 40
    assert back.crs.to_epsg() == 4326
    names = shapefile_field_names(list(source.columns)) if fmt == "shp" else {}
    column = names.get("name_th", "name_th")
    assert sorted(back[column].fillna("")) == sorted(source["name_th"].fillna(""))
    thai = [n for n in source["name_th"] if n and any("\u0e00" <= c <= "\u0e7f" for c in n)]
    assert len(thai) > 10
    assert set(thai) <= set(back[column])
    assert list(back[names.get("category", "category")]) == list(source["category"])
    assert shapely.equals_exact(back.geometry.values, source.geometry.values, 1e-6).all()


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_is_named_after_municipality_and_slug(db, landmarks, fmt, tmp_path):
    exported = dataset_export(dataset=landmarks, fmt=fmt, directory=tmp_path)

    assert exported.filename.startswith("nakhon-si-thammarat-landmarks-osm.")
    assert exported.path.name == exported.filename


def test_geojson_carries_licence_and_attribution_members(db, landmarks, tmp_path):
    exported = dataset_export(dataset=landmarks, fmt="geojson", directory=tmp_path)

    document = json.loads(exported.path.read_text(encoding="utf-8"))

    assert document["license"] == landmarks.licence
    assert document["attribution"] == landmarks.attribution
    assert "OpenStreetMap" in document["attribution"]


def test_geopackage_carries_licence_in_layer_description_and_metadata(db, landmarks, tmp_path):
    exported = dataset_export(dataset=landmarks, fmt="gpkg", directory=tmp_path)

    with sqlite3.connect(exported.path) as connection:
        (description,) = connection.execute("SELECT description FROM gpkg_contents").fetchone()
    metadata = pyogrio.read_info(exported.path)["dataset_metadata"]

    assert landmarks.licence in description
    assert landmarks.attribution in description
    assert metadata["LICENSE"] == landmarks.licence
    assert metadata["ATTRIBUTION"] == landmarks.attribution


@pytest.mark.parametrize("fmt", ["csv", "shp"])
def test_archives_hold_licence_and_readme(db, landmarks, fmt, tmp_path):
    exported = dataset_export(dataset=landmarks, fmt=fmt, directory=tmp_path)

    _frame, texts = read_back(exported.path, fmt, tmp_path)

    assert landmarks.licence in texts["LICENSE.txt"]
    assert landmarks.attribution in texts["LICENSE.txt"]
    assert "EPSG:4326" in texts["README.txt"]


def test_csv_is_utf8_with_bom_and_has_lon_lat_for_points(db, landmarks, tmp_path):
    exported = dataset_export(dataset=landmarks, fmt="csv", directory=tmp_path)

    with zipfile.ZipFile(exported.path) as archive:
        raw = archive.read("nakhon-si-thammarat-landmarks-osm.csv")

    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[-3:] == ["wkt", "lon", "lat"]


def test_shapefile_has_utf8_cpg_prj_and_documents_cut_field_names(db, nst, tmp_path):
    buildings = Dataset.objects.get(municipality=nst, slug="buildings-osm")

    exported = dataset_export(dataset=buildings, fmt="shp", directory=tmp_path)

    with zipfile.ZipFile(exported.path) as archive:
        names = archive.namelist()
        cpg = archive.read("nakhon-si-thammarat-buildings-osm.cpg").decode()
        readme = archive.read("README.txt").decode()
    assert {n.rsplit(".", 1)[1] for n in names} >= {"shp", "shx", "dbf", "prj", "cpg", "txt"}
    assert cpg.strip().upper().replace("-", "") == "UTF8"
    assert "population_is_estimate" in readme


def test_shapefile_field_names_are_unique_and_at_most_ten_characters():
    names = shapefile_field_names(["population", "population_is_estimate", "name_th"])

    assert names == {
        "population": "population",
        "population_is_estimate": "populati_1",
        "name_th": "name_th",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_case_exports_never_hold_personal_fields(db, cases, fmt, tmp_path):
    exported = dataset_export(dataset=cases, fmt=fmt, directory=tmp_path)
    back, _texts = read_back(exported.path, fmt, tmp_path)
    personal_values = {
        value
        for row in DengueCasePersonal.objects.filter(case__dataset=cases)[:50]
        for value in (row.full_name, row.national_id, row.phone)
        if value
    }

    columns = {c.lower() for c in back.columns}
    assert not columns & ({f[:10] for f in PERSONAL_FIELDS} | set(PERSONAL_FIELDS))
    raw = exported.path.read_bytes()
    if fmt in ("geojson", "csv"):
        text = raw.decode("utf-8", errors="ignore") if fmt == "geojson" else back.to_csv()
        assert not [value for value in personal_values if value in text]
    assert len(back) > 50
