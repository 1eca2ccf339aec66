"""The import wizard end to end with the Django test client, real files and a real job worker.

These tests commit (the worker reads the jobs the wizard's requests queued, and progress goes
through a second connection), so they do not use the `db` fixture; `committed` removes what
they made: uploads, jobs, datasets named "wizard-..." and their features and files.
"""

from __future__ import annotations

import datetime
import html
import json
import re
import shutil
import time
from pathlib import Path

import pytest
import shapely
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from geoapp.imports.job import upload_root
from geoapp.imports.services import uploads_clean
from geoapp.jobs import queue as jobs
from geoapp.models import ImportUpload, Job, JobStatus
from layers.models import Building, Dataset, DengueCase, FloodZone, Landmark, Municipality, Road
from layers.storage import dataset_file_path
from layers.tenancy import all_tenants_scope, tenant_scope
from tests.layers.import_data import (
    OUTSIDE,
    THAI_ROAD_NAMES,
    csv_text,
    database_state,
    dengue_rows,
    inside_points,
    landmarks_frame,
    landmarks_kml,
    roads_frame,
    vrt_text,
    write_geojson,
    write_gpkg,
    write_shapefile_zip,
    zip_bomb,
    zip_slip,
)
from tests.worker import run_in_thread

CODE = "nakhon-si-thammarat"
START = f"/m/{CODE}/import/"
PREFIX = "wizard-"


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Real commits to the test database (`django_db_setup` builds it first, so nothing is ever
    written to the development database); what the wizard made in the test is removed after."""
    with django_db_blocker.unblock():
        yield
        with all_tenants_scope():
            uploads = list(ImportUpload.objects.filter(display_name__startswith=PREFIX))
            for upload in uploads:
                shutil.rmtree(upload_root(upload.municipality) / upload.pk.hex, ignore_errors=True)
            ImportUpload.objects.filter(display_name__startswith=PREFIX).delete()
            Job.objects.filter(params__display_name__startswith=PREFIX).delete()
            for model in (Road, Landmark, Building, FloodZone, DengueCase):
                model.objects.filter(dataset__slug__startswith=PREFIX).delete()
            for dataset in Dataset.objects.filter(slug__startswith=PREFIX):
                dataset_file_path(
                    municipality_code=dataset.municipality.code, slug=dataset.slug
                ).unlink(missing_ok=True)
                dataset.delete()


def _user(username: str):
    with all_tenants_scope():
        return get_user_model().objects.get(username=username)


def _client(username: str = "nst-planner") -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(_user(username))
    return client


def _upload(client: Client, path: Path, kind: str, *, code: str = CODE):
    with open(path, "rb") as handle:
        return client.post(f"/m/{code}/import/", {"kind": kind, "file": handle})


def _upload_id(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.search(r"/import/([0-9a-f-]{36})/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def _fresh_upload(upload_id: str) -> ImportUpload:
    with all_tenants_scope():
        return ImportUpload.objects.select_related("check_job", "import_job").get(pk=upload_id)


def _run_until_finished(job: Job, timeout: float = 60) -> Job:
    """Run queued jobs in this thread until `job` has finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with all_tenants_scope():
            current = Job.objects.get(pk=job.pk)
        if current.finished:
            return current
        jobs.Worker().run_once()
    raise AssertionError(f"job {job.pk} did not finish")


def _mapping_form(page: str) -> dict[str, str]:
    """The mapping page's preselected values, as a browser would submit them unchanged."""
    data = {}
    for select in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(2))
        data[select.group(1)] = chosen.group(1) if chosen else ""
    for field in re.finditer(r'<input type="text" name="([^"]+)" value="([^"]*)"', page):
        data[field.group(1)] = field.group(2)
    keep = re.findall(r'<input type="checkbox" name="keep" value="([^"]*)" checked>', page)
    if keep:
        data["keep"] = keep
    return data


def _dry_run(client: Client, upload_id: str, changes: dict | None = None) -> tuple[Job, str]:
    """Submit the mapping page (preselected values plus `changes`); run the dry run."""
    page = client.get(f"{START}{upload_id}/mapping/")
    assert page.status_code == 200, page.content.decode()[:3000]
    data = _mapping_form(page.content.decode()) | (changes or {})
    response = client.post(f"{START}{upload_id}/mapping/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == f"{START}{upload_id}/check/"
    job = _run_until_finished(_fresh_upload(upload_id).check_job)
    check = client.get(f"{START}{upload_id}/check/")
    assert check.status_code == 200
    return job, check.content.decode()


def _import(client: Client, upload_id: str, data: dict | None = None) -> tuple[Job, str]:
    response = client.post(f"{START}{upload_id}/check/", data or {})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == f"{START}{upload_id}/import/"
    job = _run_until_finished(_fresh_upload(upload_id).import_job)
    page = client.get(f"{START}{upload_id}/import/")
    assert page.status_code == 200
    return job, page.content.decode()


def _count(model, slug: str) -> int:
    with all_tenants_scope():
        return model.objects.filter(dataset__slug=slug, municipality__code=CODE).count()


def test_geojson_goes_upload_preview_mapping_dry_run_import(committed, tmp_path):
    frame = landmarks_frame(5)
    frame["english"] = [f"Place {i + 1}" for i in range(5)]
    path = write_geojson(frame, tmp_path / "wizard-landmarks.geojson")
    client = _client()

    upload_id = _upload_id(_upload(client, path, "landmarks"))
    preview = client.get(f"{START}{upload_id}/")
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "window.mueangImportPreview" in page
    assert page.count("สถานที่ 1") >= 1
    assert '<dd class="import-feature-count">5</dd>' in page
    assert "import-outside-note" not in page

    mapping = client.get(f"{START}{upload_id}/mapping/").content.decode()
    suggested = _mapping_form(mapping)
    assert suggested["field_name_th"] == "ชื่อ"
    assert suggested["field_category"] == "ประเภท"
    assert suggested["field_name_en"] == ""  # "english" is no known name: the user picks it

    dry, check = _dry_run(client, upload_id, {"field_name_en": "english"})
    assert dry.status == JobStatus.SUCCEEDED
    assert dry.result["dry_run"] is True
    assert dry.result["created"] == 5
    assert dry.result["mapping"]["name_en"] == "english"
    assert _count(Landmark, "wizard-landmarks") == 0
    assert "import-go" in check

    done, run_page = _import(client, upload_id)
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.result["created"] == 5
    assert f'href="/m/{CODE}/catalogue/wizard-landmarks/"' in run_page
    with all_tenants_scope():
        stored = sorted(
            Landmark.objects.filter(dataset__slug="wizard-landmarks").values_list(
                "name_en", flat=True
            )
        )
    assert stored == [f"Place {i + 1}" for i in range(5)]


def test_a_second_click_does_not_import_twice_and_changed_settings_need_a_new_check(
    committed, tmp_path
):
    path = write_geojson(landmarks_frame(3), tmp_path / "wizard-twice.geojson")
    client = _client()
    upload_id = _upload_id(_upload(client, path, "landmarks"))
    _dry_run(client, upload_id)

    first = client.post(f"{START}{upload_id}/check/", {})
    again = client.post(f"{START}{upload_id}/check/", {})  # a double click, a second tab
    remap = client.post(
        f"{START}{upload_id}/mapping/",
        _mapping_form(client.get(f"{START}{upload_id}/mapping/").content.decode()),
    )

    assert first["Location"] == again["Location"] == remap["Location"]
    assert first["Location"] == f"{START}{upload_id}/import/"
    with all_tenants_scope():
        imports = Job.objects.filter(
            params__display_name="wizard-twice.geojson", params__dry_run=False
        )
        assert imports.count() == 1
        queued = imports.get()
    done = _run_until_finished(queued)
    assert done.status == JobStatus.SUCCEEDED
    assert _count(Landmark, "wizard-twice") == 3

    # Another upload: a CRS changed in the preview after the dry run voids that dry run.
    upload_id = _upload_id(_upload(client, path, "landmarks"))
    _dry_run(client, upload_id)
    assert _fresh_upload(upload_id).check_job is not None
    client.post(f"{START}{upload_id}/", {"crs": "EPSG:32647"})
    assert _fresh_upload(upload_id).check_job is None
    assert client.post(f"{START}{upload_id}/check/", {}).status_code == 400


def test_reimport_with_an_id_field_updates_the_matching_features(committed, tmp_path):
    client = _client()
    frame = landmarks_frame(4)
    first = write_geojson(frame, tmp_path / "wizard-reimport.geojson")
    upload_id = _upload_id(_upload(client, first, "landmarks"))
    _dry_run(client, upload_id, {"id_field": "id"})
    done, _page = _import(client, upload_id)
    assert done.result["created"] == 4

    frame.loc[0, "ชื่อ"] = "ชื่อใหม่"
    (tmp_path / "again").mkdir()
    second = write_geojson(frame, tmp_path / "again" / "wizard-reimport.geojson")
    upload_id = _upload_id(_upload(client, second, "landmarks"))
    dry, _check = _dry_run(client, upload_id, {"id_field": "id"})
    assert (dry.result["created"], dry.result["updated"], dry.result["unchanged"]) == (0, 1, 3)
    done, _page = _import(client, upload_id)

    assert done.result["updated"] == 1
    with all_tenants_scope():
        names = set(
            Landmark.objects.filter(dataset__slug="wizard-reimport").values_list(
                "name_th", flat=True
            )
        )
    assert "ชื่อใหม่" in names
    assert _count(Landmark, "wizard-reimport") == 4


def test_geopackage_with_two_layers_asks_which_layer(committed, tmp_path):
    path = write_gpkg(
        {"roads": roads_frame(5), "landmarks": landmarks_frame(3)},
        tmp_path / "wizard-two-layers.gpkg",
    )
    client = _client()
    upload_id = _upload_id(_upload(client, path, "roads"))

    page = client.get(f"{START}{upload_id}/").content.decode()
    assert "several layers" in page  # English beneath the Thai
    assert "หลายชั้นข้อมูล" in page
    assert '<option value="roads">roads</option>' in page
    assert '<option value="landmarks">landmarks</option>' in page

    response = client.post(f"{START}{upload_id}/", {"layer": "roads", "go": "mapping"})
    assert response["Location"] == f"{START}{upload_id}/mapping/"
    dry, _check = _dry_run(client, upload_id)
    assert dry.result["layer"] == "roads"
    assert dry.result["created"] == 5
    assert dry.result["mapping"]["road_class"] == "highway"


def test_tis620_shapefile_without_prj_asks_for_the_crs_and_keeps_thai_names(committed, tmp_path):
    path = write_shapefile_zip(
        roads_frame(5, crs="EPSG:32647"),
        tmp_path / "wizard-tis620.zip",
        encoding="cp874",
        cpg=False,
        prj=None,
    )
    client = _client()
    upload_id = _upload_id(_upload(client, path, "roads"))

    page = client.get(f"{START}{upload_id}/").content.decode()
    assert "ไฟล์ไม่ได้ระบุ โปรดเลือกด้านล่าง" in page  # the CRS is asked for
    assert "window.mueangImportPreview" not in page  # no map before the CRS is known
    crs_select = re.search(r'<select name="crs"[^>]*>(.*?)</select>', page, re.S).group(1)
    offered = re.findall(r'<option value="(EPSG:\d+)"', crs_select)
    assert offered[0] == "EPSG:32647"  # the municipality's UTM zone first
    assert set(offered) == {"EPSG:4326", "EPSG:32647", "EPSG:32648", "EPSG:24047", "EPSG:24048"}
    assert 'value="EPSG:32647" selected' in crs_select

    client.post(f"{START}{upload_id}/", {"crs": "EPSG:32647", "go": "preview"})
    page = client.get(f"{START}{upload_id}/").content.decode()
    assert "window.mueangImportPreview" in page
    assert THAI_ROAD_NAMES[0] in page  # read as TIS-620, not garbled
    assert "cp874" in page

    _dry_run(client, upload_id)
    done, _page = _import(client, upload_id)
    assert done.status == JobStatus.SUCCEEDED, done.error
    with all_tenants_scope():
        names = list(
            Road.objects.filter(dataset__slug="wizard-tis620")
            .order_by("source_id", "pk")
            .values_list("name_th", flat=True)
        )
    assert sorted(names) == sorted(THAI_ROAD_NAMES)


def test_kml_landmarks_go_through_the_wizard(committed, tmp_path):
    path = tmp_path / "wizard-temples.kml"
    path.write_text(landmarks_kml(3), encoding="utf-8")
    client = _client()
    upload_id = _upload_id(_upload(client, path, "landmarks"))

    page = client.get(f"{START}{upload_id}/").content.decode()
    assert "window.mueangImportPreview" in page
    assert "วัดที่ 1" in page
    dry, _check = _dry_run(client, upload_id)
    assert dry.result["created"] == 3
    assert dry.result["format"] == "KML"


def test_csv_with_thai_latitude_and_longitude_columns(committed, tmp_path):
    rows = [[f"ร้านที่ {i + 1}", "ตลาด", lat, lon] for i, (lon, lat) in enumerate(inside_points(4))]
    path = tmp_path / "wizard-markets.csv"
    path.write_text(csv_text(["ชื่อ", "ประเภท", "ละติจูด", "ลองจิจูด"], rows), encoding="utf-8")
    client = _client()
    upload_id = _upload_id(_upload(client, path, "landmarks"))

    page = client.get(f"{START}{upload_id}/").content.decode()
    assert re.search(r'name="lat_column".*?<option value="ละติจูด" selected>', page, re.S)
    assert re.search(r'name="lon_column".*?<option value="ลองจิจูด" selected>', page, re.S)
    assert "window.mueangImportPreview" in page
    dry, _check = _dry_run(client, upload_id)
    assert dry.result["created"] == 4
    _done, _page = _import(client, upload_id)
    assert _count(Landmark, "wizard-markets") == 4


def test_features_outside_the_municipality_are_flagged_and_need_confirming(committed, tmp_path):
    frame = landmarks_frame(3)
    frame.loc[2, "geometry"] = shapely.Point(OUTSIDE)
    path = write_geojson(frame, tmp_path / "wizard-outside.geojson")
    client = _client()
    upload_id = _upload_id(_upload(client, path, "landmarks"))

    page = client.get(f"{START}{upload_id}/").content.decode()
    assert "import-outside-note" in page
    assert page.count('class="import-outside"') == 1
    dry, check = _dry_run(client, upload_id)
    assert dry.result["outside"] == 1
    assert 'name="confirm_outside"' in check

    refused = client.post(f"{START}{upload_id}/check/", {})
    assert refused.status_code == 400
    assert _fresh_upload(upload_id).import_job is None
    done, _page = _import(client, upload_id, {"confirm_outside": "on"})
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.result["outside"] == 1
    assert _count(Landmark, "wizard-outside") == 3


def test_a_dry_run_with_bad_rows_names_row_and_field_and_offers_no_import(committed, tmp_path):
    path = tmp_path / "wizard-cases.csv"
    path.write_text(dengue_rows(5, bad_row=3), encoding="utf-8")
    client = _client("nst-health")  # the health officer's weekly case list
    upload_id = _upload_id(_upload(client, path, "dengue_cases"))

    dry, check = _dry_run(client, upload_id)
    assert dry.result["ok"] is False
    assert dry.result["rejected"] == 1
    issue = next(i for i in dry.result["issues"] if i["row"] == 3)
    assert issue["field"] == "วันเริ่มป่วย"
    assert html.escape(issue["th"]) in check  # the page is Thai: the Thai text
    assert "import-go" not in check
    assert client.post(f"{START}{upload_id}/check/", {}).status_code == 400


@pytest.mark.parametrize(
    ("name", "make", "expect"),
    [
        ("wizard-bomb.zip", lambda p: zip_bomb(p, megabytes=20), ["zip bomb", "ถูกบีบอัด"]),
        ("wizard-slip.zip", lambda p: zip_slip(p), ["zip slip", "เส้นทางไม่ปลอดภัย"]),
        (
            "wizard-roads.vrt",
            lambda p: p.write_text(vrt_text(), encoding="utf-8"),
            ["GDAL driver file", "ไม่รับไฟล์"],
        ),
    ],
    ids=["zip-bomb", "zip-slip", "vrt"],
)
def test_hostile_uploads_get_a_thai_and_english_error_and_leave_nothing(
    committed, tmp_path, name, make, expect
):
    path = tmp_path / name
    make(path)
    nst = Municipality.objects.get(code=CODE)
    before = set(upload_root(nst).iterdir()) if upload_root(nst).exists() else set()

    response = _upload(_client(), path, "roads")

    page = response.content.decode()
    assert response.status_code == 400
    for text in expect:
        assert text in page
    assert name in page, re.sub(r"\s+", " ", page)[-2500:]
    assert "Traceback" not in page
    with all_tenants_scope():
        assert not ImportUpload.objects.filter(display_name=name).exists()
    after = set(upload_root(nst).iterdir()) if upload_root(nst).exists() else set()
    assert after <= before


def test_a_file_over_the_size_limit_is_refused_in_thai_and_english(committed, tmp_path, settings):
    settings.MUEANG_IMPORT_MAX_FILE_BYTES = 1000
    path = write_geojson(landmarks_frame(30), tmp_path / "wizard-big.geojson")

    response = _upload(_client(), path, "landmarks")

    page = response.content.decode()
    assert response.status_code == 400
    assert "ไฟล์ใหญ่เกินไป" in page
    assert "the file is too large" in page
    with all_tenants_scope():
        assert not ImportUpload.objects.filter(display_name="wizard-big.geojson").exists()


def test_a_lone_shp_is_refused_with_advice_to_zip_it(committed, tmp_path):
    path = tmp_path / "wizard-roads.shp"
    path.write_bytes(b"\x00\x00\x27\x0a" + b"\x00" * 96)

    response = _upload(_client(), path, "roads")

    assert response.status_code == 400
    assert ".zip" in response.content.decode() or "zip" in response.content.decode()
    with all_tenants_scope():
        assert not ImportUpload.objects.filter(display_name="wizard-roads.shp").exists()


def test_cancelling_a_running_import_changes_nothing(committed, tmp_path, settings):
    settings.MUEANG_IMPORT_BATCH_SIZE = 100
    frame = landmarks_frame(6000)
    path = write_geojson(frame, tmp_path / "wizard-many.geojson")
    client = _client()
    upload_id = _upload_id(_upload(client, path, "landmarks"))
    _dry_run(client, upload_id)
    with all_tenants_scope():
        before = database_state()

    response = client.post(f"{START}{upload_id}/check/", {})
    assert response.status_code == 302
    job = _fresh_upload(upload_id).import_job
    worker = run_in_thread(poll_s=0.05)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with all_tenants_scope():
                running = Job.objects.get(pk=job.pk)
            if running.status == JobStatus.RUNNING and running.done > 0:
                break
            time.sleep(0.02)
        assert running.status == JobStatus.RUNNING
        assert running.done < 6000
        page = client.get(f"{START}{upload_id}/import/").content.decode()
        assert f'action="{START}{upload_id}/cancel/"' in page
        assert client.post(f"{START}{upload_id}/cancel/").status_code == 302
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with all_tenants_scope():
                ended = Job.objects.get(pk=job.pk)
            if ended.finished:
                break
            time.sleep(0.05)
    finally:
        worker.stopping.set()
    assert ended.status == JobStatus.CANCELLED
    with all_tenants_scope():
        assert database_state() == before
    assert _count(Landmark, "wizard-many") == 0


def test_another_user_or_municipality_cannot_reach_an_upload(committed, tmp_path):
    path = write_geojson(landmarks_frame(2), tmp_path / "wizard-mine.geojson")
    upload_id = _upload_id(_upload(_client(), path, "landmarks"))
    upload = _fresh_upload(upload_id)
    assert (upload_root(upload.municipality) / upload.stored_name).is_file()
    assert f"/{CODE}/" in str(upload_root(upload.municipality) / upload.stored_name)

    for username in ("nst-editor", "chon-planner", "chon-admin"):
        other = _client(username)
        for step in ("", "mapping/", "check/", "import/"):
            response = other.get(f"{START}{upload_id}/{step}")
            assert response.status_code == 404, (username, step)
        assert other.post(f"{START}{upload_id}/cancel/").status_code == 404
        # Even under their own municipality's address the upload is not theirs.
        own = "chon-buri" if username.startswith("chon") else CODE
        assert other.get(f"/m/{own}/import/{upload_id}/").status_code == 404


def test_viewers_may_not_import_and_planners_may_not_import_dengue_cases(committed, tmp_path):
    assert _client("nst-viewer").get(START).status_code == 403
    planner = _client("nst-planner").get(START).content.decode()
    assert 'value="dengue_cases"' not in planner
    assert 'value="dengue_cases"' in _client("nst-admin").get(START).content.decode()

    path = tmp_path / "wizard-cases.csv"
    path.write_text(dengue_rows(3), encoding="utf-8")
    assert _upload(_client("nst-planner"), path, "dengue_cases").status_code == 403
    with all_tenants_scope():
        assert not ImportUpload.objects.filter(display_name="wizard-cases.csv").exists()


def test_health_officers_import_dengue_cases_and_nothing_else(committed, tmp_path):
    health = _client("nst-health")
    page = health.get(START).content.decode()
    assert 'value="dengue_cases"' in page
    assert 'value="roads"' not in page
    assert 'value="dataset"' not in page
    roads = tmp_path / "wizard-health-roads.geojson"
    roads.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    assert _upload(health, roads, "roads").status_code == 403
    for home in (f"/m/{CODE}/", f"/m/{CODE}/catalogue/"):
        assert f'href="{START}"' in health.get(home).content.decode()


def test_catalogue_and_home_link_to_the_wizard_for_those_who_may_import(committed):
    for page in (f"/m/{CODE}/", f"/m/{CODE}/catalogue/"):
        assert f'href="{START}"' in _client("nst-planner").get(page).content.decode()
        assert f'href="{START}"' not in _client("nst-viewer").get(page).content.decode()


def test_stale_uploads_are_cleaned_and_fresh_ones_kept(committed, tmp_path):
    client = _client()
    old_id = _upload_id(
        _upload(
            client, write_geojson(landmarks_frame(2), tmp_path / "wizard-old.geojson"), "landmarks"
        )
    )
    (tmp_path / "b").mkdir()
    new_id = _upload_id(
        _upload(
            client,
            write_geojson(landmarks_frame(2), tmp_path / "b" / "wizard-new.geojson"),
            "landmarks",
        )
    )
    with all_tenants_scope():
        ImportUpload.objects.filter(pk=old_id).update(
            created_at=timezone.now() - datetime.timedelta(hours=25)
        )
        nst = Municipality.objects.get(code=CODE)
        old_folder = upload_root(nst) / _fresh_upload(old_id).pk.hex
        assert old_folder.is_dir()

        removed = uploads_clean(nst)

        assert removed >= 1
        assert not ImportUpload.objects.filter(pk=old_id).exists()
        assert ImportUpload.objects.filter(pk=new_id).exists()
    assert not old_folder.exists()
    assert (upload_root(nst) / _fresh_upload(new_id).stored_name).is_file()


def test_the_wizard_pages_are_english_on_request(committed, tmp_path):
    client = _client()
    client.cookies["django_language"] = "en"
    path = write_geojson(landmarks_frame(2), tmp_path / "wizard-en.geojson")
    upload_id = _upload_id(_upload(client, path, "landmarks"))

    page = client.get(f"{START}{upload_id}/").content.decode()
    assert "Next: match the columns" in page
    thai = _client().get(f"{START}{upload_id}/").content.decode()
    assert "Next: match the columns" not in thai


def test_uploads_are_invisible_to_another_municipality(db, nst, chon):
    """Row-level security: a chon-buri scope sees no upload of Nakhon Si Thammarat."""
    ImportUpload.objects.create(
        municipality=nst,
        user=get_user_model().objects.get(username="nst-planner"),
        kind="roads",
        stored_name="x/upload.geojson",
        display_name="wizard-rls.geojson",
    )
    with tenant_scope(municipality_ids=[chon.pk]):
        assert not ImportUpload.objects.filter(display_name="wizard-rls.geojson").exists()
    with tenant_scope(municipality_ids=[nst.pk]):
        assert ImportUpload.objects.filter(display_name="wizard-rls.geojson").count() == 1
