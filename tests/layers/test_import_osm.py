"""`import_osm`: roads and landmarks of a municipality from a real-feature OSM extract."""

from __future__ import annotations

import io

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError

from layers.imports import ImportRefused
from layers.imports.osm import osm_import
from layers.models import Dataset, Landmark, Municipality, Road
from tests.layers.import_data.osm import (
    as_relation,
    chon_landmark,
    chon_road,
    nst_boundary,
    nst_crossing_road,
    nst_landmarks,
    nst_roads,
    write_osm,
    write_pbf,
)

NST = "nakhon-si-thammarat"


def chon_boundary() -> shapely.Geometry:
    chon = Municipality.objects.get(code="chon-buri")
    return shapely.from_wkb(bytes(chon.boundary.wkb))


def extract() -> list:
    """Five NST roads inside, one crossing the boundary, NST landmarks (nodes, ways, one
    relation), and a road and a school of Chon Buri, far outside."""
    courthouse = nst_landmarks(("courthouse",))[0]
    return [
        *nst_roads(5),
        nst_crossing_road(),
        *nst_landmarks(),
        as_relation(courthouse, 19_000_001),
        chon_road(chon_boundary()),
        chon_landmark(chon_boundary()),
    ]


def municipality_state(municipality) -> dict[str, tuple[int, str]]:
    """Row count and md5 of the municipality's roads and landmarks."""
    from django.db import connection

    state = {}
    with connection.cursor() as cursor:
        for table in ("layers_road", "layers_landmark"):
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "
                f"FROM {table} t WHERE municipality_id = %s",
                [municipality.pk],
            )
            state[table] = cursor.fetchone()
    return state


def imported(model, municipality, slug):
    return model.objects.filter(municipality=municipality, dataset__slug=slug)


@pytest.fixture
def clean_nst(nst):
    """NST without the demo's OSM datasets, so counts are the extract's own."""
    Road.objects.filter(municipality=nst, dataset__slug="roads-osm").delete()
    Landmark.objects.filter(municipality=nst, dataset__slug="landmarks-osm").delete()
    return nst


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_roads_and_landmarks_inside_the_boundary_are_imported_with_osm_ids(
    clean_nst, tmp_path, suffix
):
    objects = extract()
    writer = write_osm if suffix == ".osm" else write_pbf
    path = writer(objects, tmp_path / f"nst{suffix}")

    roads_report, landmarks_report = osm_import(municipality=clean_nst, path=path)

    roads = imported(Road, clean_nst, "roads-osm")
    expected_roads = {o.ref for o in [*nst_roads(5), nst_crossing_road()]}
    assert set(roads.values_list("source_id", flat=True)) == expected_roads
    assert roads_report.created == 6
    landmarks = imported(Landmark, clean_nst, "landmarks-osm")
    expected_landmarks = {o.ref for o in nst_landmarks()} | {"relation/19000001"}
    assert set(landmarks.values_list("source_id", flat=True)) == expected_landmarks
    assert landmarks_report.created == len(expected_landmarks)
    chon_ids = {chon_road(chon_boundary()).ref, chon_landmark(chon_boundary()).ref}
    assert not Road.objects.filter(municipality=clean_nst, source_id__in=chon_ids).exists()
    assert not Landmark.objects.filter(municipality=clean_nst, source_id__in=chon_ids).exists()
    assert roads_report.format == f"OpenStreetMap {'XML' if suffix == '.osm' else 'PBF'}"


def test_tags_map_to_classes_categories_and_thai_names(clean_nst, tmp_path):
    path = write_osm(extract(), tmp_path / "nst.osm")
    osm_import(municipality=clean_nst, path=path)

    roads = {r.source_id: r for r in imported(Road, clean_nst, "roads-osm")}
    assert roads["way/53829174"].road_class == "primary"
    assert roads["way/53829174"].name_th == "ถนนพัฒนาการคูขวาง"
    assert roads["way/53829174"].name_en == "Phatthanakan Khu Khwang Road"
    assert roads["way/53829158"].road_class == "secondary"
    landmarks = {lm.source_id: lm for lm in imported(Landmark, clean_nst, "landmarks-osm")}
    temple = landmarks["node/1586071745"]
    assert (temple.category, temple.source_kind) == ("temple", "temple-buddhist")
    assert temple.name_th == "วัดพระมหาธาตุ วรมหาวิหาร"
    assert landmarks["node/1662778329"].category == "mosque"
    assert landmarks["way/1159032520"].category == "market"
    assert landmarks["way/1159032520"].name_en == "Ratchaphruek Night Bazaar Market"
    assert landmarks["relation/19000001"].category == "government"


def test_name_th_is_preferred_over_name(clean_nst, tmp_path):
    road = nst_roads(2)[1]
    road.tags.update({"name": "ถนนชื่อท้องถิ่น", "name:th": "ถนนพัฒนาการคูขวาง"})
    road.tags.pop("name:en")
    latin = nst_roads(1)[0]
    latin.tags = {"highway": "secondary", "name": "Rajdamnern 24 Road"}
    path = write_osm([road, latin], tmp_path / "nst.osm")

    osm_import(municipality=clean_nst, path=path)

    stored = imported(Road, clean_nst, "roads-osm")
    assert (stored.get(source_id=road.ref).name_th, stored.get(source_id=road.ref).name_en) == (
        "ถนนพัฒนาการคูขวาง",
        "",
    )
    assert (stored.get(source_id=latin.ref).name_th, stored.get(source_id=latin.ref).name_en) == (
        "",
        "Rajdamnern 24 Road",
    )


def test_areas_become_a_point_inside_the_area_and_the_boundary(clean_nst, tmp_path):
    temple_grounds = next(o for o in nst_landmarks() if o.ref == "way/765955692")
    path = write_osm([temple_grounds], tmp_path / "nst.osm")

    osm_import(municipality=clean_nst, path=path)

    stored = Landmark.objects.get(municipality=clean_nst, source_id="way/765955692")
    point = shapely.from_wkt(stored.geom.wkt)
    assert temple_grounds.geometry.contains(point)
    assert nst_boundary().contains(point)


def test_a_road_crossing_the_boundary_is_kept_whole(clean_nst, tmp_path):
    crossing = nst_crossing_road()
    path = write_osm([crossing], tmp_path / "nst.osm")

    osm_import(municipality=clean_nst, path=path)

    stored = Road.objects.get(municipality=clean_nst, source_id=crossing.ref)
    geometry = shapely.from_wkt(stored.geom.wkt)
    assert not nst_boundary().contains(geometry)
    assert geometry.length == pytest.approx(crossing.geometry.length, rel=1e-6)


def test_a_reimport_updates_by_osm_id_instead_of_duplicating(clean_nst, tmp_path):
    objects = extract()
    path = write_osm(objects, tmp_path / "nst.osm")
    osm_import(municipality=clean_nst, path=path)
    pks = dict(imported(Road, clean_nst, "roads-osm").values_list("source_id", "pk"))
    landmark_count = imported(Landmark, clean_nst, "landmarks-osm").count()

    renamed = next(o for o in objects if o.ref == "way/53829174")
    renamed.tags["name:th"] = "ถนนพัฒนาการคูขวาง (ใหม่)"
    temple = next(o for o in objects if o.ref == "node/1586071745")
    temple.tags["name"] = "วัดพระมหาธาตุวรมหาวิหาร"
    temple.tags.pop("name:th", None)
    write_osm(objects, path)
    roads_report, landmarks_report = osm_import(municipality=clean_nst, path=path)

    assert (roads_report.created, roads_report.updated, roads_report.unchanged) == (0, 1, 5)
    assert (landmarks_report.created, landmarks_report.updated) == (0, 1)
    roads = imported(Road, clean_nst, "roads-osm")
    assert dict(roads.values_list("source_id", "pk")) == pks
    assert roads.get(source_id="way/53829174").name_th == "ถนนพัฒนาการคูขวาง (ใหม่)"
    assert imported(Landmark, clean_nst, "landmarks-osm").count() == landmark_count
    assert Landmark.objects.get(source_id="node/1586071745", municipality=clean_nst).name_th == (
        "วัดพระมหาธาตุวรมหาวิหาร"
    )


def test_an_extract_of_the_demo_ways_updates_the_demo_features_and_creates_none(nst, tmp_path):
    """The demo loader keeps the same OSM ids in the same datasets: an extract refreshes them."""
    before = imported(Road, nst, "roads-osm").count()
    path = write_osm(nst_roads(5), tmp_path / "nst.osm")

    roads_report, _landmarks = osm_import(municipality=nst, path=path)

    assert roads_report.created == 0
    assert roads_report.updated + roads_report.unchanged == 5
    assert roads_report.kept == before - 5
    assert imported(Road, nst, "roads-osm").count() == before


def test_delete_missing_removes_features_the_extract_no_longer_holds(clean_nst, tmp_path):
    objects = extract()
    path = write_osm(objects, tmp_path / "nst.osm")
    osm_import(municipality=clean_nst, path=path)

    write_osm([o for o in objects if o.ref != "way/53829174"], path)
    roads_report, _ = osm_import(municipality=clean_nst, path=path, delete_missing=True)

    assert roads_report.deleted == 1
    assert not imported(Road, clean_nst, "roads-osm").filter(source_id="way/53829174").exists()


def test_the_new_datasets_carry_the_odbl_licence(clean_nst, tmp_path):
    Dataset.objects.filter(municipality=clean_nst, slug__in=["roads-osm", "landmarks-osm"]).delete()
    osm_import(municipality=clean_nst, path=write_osm(extract(), tmp_path / "nst.osm"))

    dataset = Dataset.objects.get(municipality=clean_nst, slug="roads-osm")
    assert dataset.licence == "ODbL 1.0"
    assert "OpenStreetMap contributors" in dataset.attribution
    assert dataset.kind == Dataset.Kind.ROADS


def test_a_dry_run_writes_nothing(clean_nst, tmp_path):
    path = write_osm(extract(), tmp_path / "nst.osm")
    before = municipality_state(clean_nst)

    roads_report, landmarks_report = osm_import(municipality=clean_nst, path=path, dry_run=True)

    assert (roads_report.created, landmarks_report.created) == (6, len(nst_landmarks()) + 1)
    assert municipality_state(clean_nst) == before


def test_each_municipality_gets_only_what_lies_inside_it(nst, chon, tmp_path):
    path = write_osm(extract(), tmp_path / "both.osm")
    nst_before = municipality_state(nst)

    reports = osm_import(municipality=chon, path=path)

    road, school = chon_road(chon_boundary()), chon_landmark(chon_boundary())
    assert [r.created + r.updated + r.unchanged for r in reports] == [1, 1]
    stored = Road.objects.get(municipality=chon, source_id=road.ref)
    assert (stored.name_th, stored.name_en) == ("ถนนพาสเภตรา", "Phatpetra Road")
    assert Landmark.objects.get(municipality=chon, source_id=school.ref).category == "school"
    assert not Road.objects.filter(municipality=nst, source_id=road.ref).exists()
    assert not Road.objects.filter(municipality=chon, source_id="way/53829174").exists()
    assert municipality_state(nst) == nst_before


def test_nothing_inside_the_boundary_is_refused(chon, tmp_path):
    path = write_osm([*nst_roads(3), *nst_landmarks()], tmp_path / "nst.osm")

    with pytest.raises(ImportRefused) as refused:
        osm_import(municipality=chon, path=path)

    assert refused.value.issues[0].code == "osm_nothing_inside"
    assert "เทศบาลเมืองชลบุรี" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("roads.geojson", b'{"type": "FeatureCollection", "features": []}', "osm_wrong_type"),
        ("fake.osm", b'{"type": "FeatureCollection"}', "content_mismatch"),
        ("fake.osm.pbf", b"\x00\x00\x00\x0dnot a pbf at all", "content_mismatch"),
        (
            "entities.osm",
            b'<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY a "aaaa">]><osm version="0.6">'
            b'<node id="1" lat="8.43" lon="99.95"><tag k="name" v="&a;"/></node></osm>',
            "osm_xml_doctype",
        ),
    ],
)
def test_files_that_are_not_safe_osm_extracts_are_refused(nst, tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(ImportRefused) as refused:
        osm_import(municipality=nst, path=path)

    assert refused.value.issues[0].code == code


def test_a_truncated_pbf_is_refused_as_unreadable(nst, tmp_path):
    good = write_pbf(extract(), tmp_path / "good.osm.pbf")
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(good.read_bytes()[:60])

    with pytest.raises(ImportRefused) as refused:
        osm_import(municipality=nst, path=broken)

    assert refused.value.issues[0].code in {"unreadable", "osm_nothing_inside"}


def cli(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_osm", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_the_command_exits_0_and_prints_both_reports(clean_nst, tmp_path):
    path = write_pbf(extract(), tmp_path / "nst.osm.pbf")

    code, output = cli(NST, str(path))

    assert code == 0, output
    assert "ชุดข้อมูล / dataset: roads-osm (roads" in output
    assert "ชุดข้อมูล / dataset: landmarks-osm (landmarks" in output
    assert "สร้างใหม่ / created: 6" in output
    assert "6 of the 6 OpenStreetMap roads read lie in the municipality" in output


@pytest.mark.parametrize(
    ("code_arg", "file_name", "exit_code", "fragment"),
    [
        ("no-such-town", "nst.osm", 2, "ไม่พบเทศบาล 'no-such-town' / unknown municipality"),
        (NST, "missing.osm.pbf", 1, "ไม่พบไฟล์ / file not found"),
        (NST, "roads.geojson", 1, "is not an OpenStreetMap extract"),
        ("chon-buri", "nst.osm", 1, "no road or landmark of the file lies inside"),
    ],
)
def test_the_command_fails_with_a_bilingual_reason(
    nst, tmp_path, code_arg, file_name, exit_code, fragment
):
    write_osm([*nst_roads(2)], tmp_path / "nst.osm")
    (tmp_path / "roads.geojson").write_text('{"type": "FeatureCollection", "features": []}')

    code, output = cli(code_arg, str(tmp_path / file_name))

    assert code == exit_code
    assert fragment in output
    assert "Traceback" not in output
