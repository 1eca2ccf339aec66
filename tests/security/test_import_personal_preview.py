"""A case file's personal columns never show or stay in clear in the import wizard.

Played as an attacker with the health officer's login and with read access to the database row
the preview is cached in: names, national IDs and phones are masked on the page and in the
stored inspection; revealing them needs a purpose and is logged; a planner cannot reveal; the
file itself is gone as soon as its import ends.
"""

from __future__ import annotations

import json

import pytest

from geoapp.imports.job import upload_root
from geoapp.models import JobStatus
from layers.imports.personal import MASK, personal_columns
from layers.models import PersonalDataAccess
from layers.pdpa.services import UPLOAD_PREVIEW_CASE_REF
from layers.tenancy import all_tenants_scope
from tests.geoapp.test_import_wizard import (
    START,
    _client,
    _dry_run,
    _fresh_upload,
    _import,
    _upload,
    _upload_id,
    committed,  # noqa: F401 - the fixture, used by name
)
from tests.layers.import_data import csv_text, inside_points


def national_id(first12: str) -> str:
    total = sum(int(d) * w for d, w in zip(first12, range(13, 1, -1), strict=True))
    return first12 + str((11 - total % 11) % 10)


NAMES = [f"นางสาวทดสอบ ลับเฉพาะ{i}" for i in range(3)]
IDS = [national_id(f"31012000{i:04d}") for i in range(3)]
PHONES = [f"08{i}-555-12{i}4" for i in range(3)]


def case_file(path):
    header = ["รหัสผู้ป่วย", "ชื่อ-สกุล", "เลขบัตรประชาชน", "เบอร์โทร", "วันเริ่มป่วย", "วันที่รายงาน"]
    header += ["ผลวินิจฉัย", "เพศ", "ละติจูด", "ลองจิจูด"]
    rows = [
        [
            f"C{i:04d}",
            NAMES[i],
            IDS[i],
            PHONES[i],
            "01/01/2569",
            "03/01/2569",
            "DF",
            "หญิง",
            lat,
            lon,
        ]
        for i, (lon, lat) in enumerate(inside_points(3))
    ]
    path.write_text(csv_text(header, rows), encoding="utf-8")
    return path


def _cases_upload(client, path) -> str:
    return _upload_id(_upload(client, case_file(path), "dengue_cases"))


def _secrets_in(text: str) -> list[str]:
    found = [s for s in NAMES + IDS if s in text]
    found += [p for p in PHONES if p in text or p.replace("-", "") in text]
    return found


def test_personal_columns_are_found_by_name_for_people_and_by_value_for_anything():
    rows = [{"name": "วัดพระมหาธาตุ", "tel": "075-356-123", "note": IDS[0], "code": "C1"}]

    assert personal_columns(["name", "tel", "note", "code"], rows, people=True) == [
        "name",
        "tel",
        "note",
    ]
    # A landmark's name is not personal; an ID number or a phone still is.
    assert personal_columns(["name", "tel", "note", "code"], rows, people=False) == ["tel", "note"]


@pytest.mark.usefixtures("committed")
def test_the_preview_masks_personal_columns_on_the_page_and_in_the_stored_row(tmp_path):
    client = _client("nst-health")
    upload_id = _upload_id(
        _upload(client, case_file(tmp_path / "wizard-cases.csv"), "dengue_cases")
    )

    page = client.get(f"{START}{upload_id}/").content.decode()
    stored = json.dumps(_fresh_upload(upload_id).inspection, ensure_ascii=False)

    assert _secrets_in(page) == []
    assert _secrets_in(stored) == []
    assert MASK in page
    assert "C0000" in page  # the case code is not personal and stays readable
    mapping = client.get(f"{START}{upload_id}/mapping/").content.decode()
    assert _secrets_in(mapping) == []


@pytest.mark.usefixtures("committed")
def test_revealing_needs_a_purpose_is_logged_and_is_not_kept(tmp_path):
    client = _client("nst-health")
    upload_id = _upload_id(
        _upload(client, case_file(tmp_path / "wizard-reveal.csv"), "dengue_cases")
    )
    client.get(f"{START}{upload_id}/")
    with all_tenants_scope():
        logged = PersonalDataAccess.objects.filter(case_ref=UPLOAD_PREVIEW_CASE_REF).count()

    without = client.post(f"{START}{upload_id}/", {"reveal": "1"}).content.decode()
    assert _secrets_in(without) == []
    revealed = client.post(
        f"{START}{upload_id}/", {"reveal": "1", "purpose": "investigation"}
    ).content.decode()

    assert NAMES[0] in revealed
    assert IDS[0] in revealed
    with all_tenants_scope():
        entries = PersonalDataAccess.objects.filter(case_ref=UPLOAD_PREVIEW_CASE_REF)
        assert entries.count() == logged + 1
        entry = entries.order_by("-at").first()
    assert entry.username == "nst-health"
    assert entry.purpose == "investigation"
    assert "wizard-reveal.csv" in entry.fields
    stored = json.dumps(_fresh_upload(upload_id).inspection, ensure_ascii=False)
    assert _secrets_in(stored) == []
    again = client.get(f"{START}{upload_id}/").content.decode()
    assert _secrets_in(again) == []


@pytest.mark.usefixtures("committed")
def test_a_user_without_the_personal_data_right_cannot_reveal(tmp_path):
    """An administrator who is not a health officer may upload cases but not read people."""
    health = _client("nst-health")
    upload_id = _cases_upload(health, tmp_path / "wizard-nope.csv")
    with all_tenants_scope():
        logged = PersonalDataAccess.objects.count()
    planner = _client("nst-planner")

    response = planner.post(f"{START}{upload_id}/", {"reveal": "1", "purpose": "investigation"})

    assert response.status_code in (403, 404)
    assert _secrets_in(response.content.decode()) == []
    with all_tenants_scope():
        assert PersonalDataAccess.objects.count() == logged


@pytest.mark.usefixtures("committed")
def test_the_case_file_is_deleted_as_soon_as_its_import_ends(tmp_path):
    client = _client("nst-health")
    upload_id = _cases_upload(client, tmp_path / "wizard-gone.csv")
    upload = _fresh_upload(upload_id)
    stored = upload_root(upload.municipality) / upload.stored_name
    assert stored.exists()

    dry, _check = _dry_run(client, upload_id)
    assert dry.status == JobStatus.SUCCEEDED, dry.error
    assert stored.exists()  # the dry run is not the end: the import still needs the file
    done, _page = _import(client, upload_id)

    assert done.status == JobStatus.SUCCEEDED, done.error
    assert not stored.exists()
