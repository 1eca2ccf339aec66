"""Open311 GeoReport v2 at /open311/v2/: a real client library over HTTP, and the spec's edges.

The client is `georeport` (PyPI, pinned in requirements-dev.txt); it lists services, reads a
service definition, requests (JSON and XML) and one request. It cannot post (its README says
so, and the older `three` and `open311` packages are Python 2 only), so the POST goes over plain
HTTP with `requests`, as its form fields are in the spec, against the same live server. The npm
`open311` client posts: tests/geoapp/test_open311_client_js.py (decision 0026).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

import pytest
import requests as http
from django.core.management import call_command
from django.test import Client
from georeport import GeoReport

from geoapp.models import Open311Key, Report, ReportContact, ReportStatus, ReportSubmission
from geoapp.reports.services import Contact, contact_digest, report_status_set
from layers.models import Municipality
from layers.tenancy import tenant_scope
from tests.geoapp.test_reports_models import NST_POINT, category_make, report_make
from tests.security.test_report_photos import assert_bare, jpeg_with_location

NST = "nakhon-si-thammarat"
BASE = "/open311/v2/"


def key_issue(code: str = NST, name: str = "LINE bot") -> str:
    out = io.StringIO()
    call_command("open311_key", code, name, stdout=out)
    return out.getvalue().strip()


# --- with a real client library against the live server (committed data) ---------------------


def submissions_forget() -> None:
    """The live POST below counts toward its phone's 5 submissions an hour (committed rows):
    dropped before and after, so reruns within the hour are not refused (429)."""
    ReportSubmission.objects.filter(
        contact_digest=contact_digest(Contact(phone="0823334444"))
    ).delete()


@pytest.fixture(scope="module")
def live(django_db_blocker, app_url) -> Iterator[dict]:
    """Committed categories, a report and an API key of NST; removed afterwards."""
    with django_db_blocker.unblock():
        submissions_forget()
        nst = Municipality.objects.get(code=NST)
        with tenant_scope(municipality_ids=[nst.pk]):
            light = category_make(nst, code="o311-light", division="กองช่าง", target_days=3)
            hidden = category_make(nst, code="o311-private", name_th="ภายใน", is_public=False)
            shown = report_make(nst, light, contact=Contact(name="ผู้แจ้ง ลับ", phone="0811112222"))
            secret = report_make(nst, hidden, description="เรื่องภายในไม่เปิดเผย")
        key = key_issue()
    yield {"url": app_url, "nst": nst, "shown": shown, "secret": secret, "key": key}
    with django_db_blocker.unblock(), tenant_scope(municipality_ids=[nst.pk]):
        Report.objects.filter(category__code__startswith="o311-").delete()
        Open311Key.objects.filter(municipality=nst).delete()
        from geoapp.models import ServiceCategory

        ServiceCategory.objects.filter(code__startswith="o311-").delete()
        submissions_forget()


@pytest.fixture
def open_database(django_db_blocker) -> Iterator[None]:
    """The live server's thread reads the committed database while the test runs."""
    with django_db_blocker.unblock():
        yield


def client_for(live: dict, output_format: str = "json") -> GeoReport:
    return GeoReport(
        live["url"] + BASE, jurisdiction=NST, api_key=live["key"], output_format=output_format
    )


def test_a_client_library_lists_services_and_reads_a_definition(open_database, live):
    client = client_for(live)

    services = {s["service_code"]: s for s in client.get_service_list()}
    definition = client.get_service_definition("o311-light")

    assert {"o311-light", "o311-private"} <= set(services)
    assert services["o311-light"]["group"] == "กองช่าง"
    assert services["o311-light"]["metadata"] is False
    assert definition == {"service_code": "o311-light", "attributes": []}


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_a_client_library_reads_requests_without_personal_or_private_data(
    open_database, live, output_format
):
    client = client_for(live, output_format)

    found = client.get_service_requests(service_code="o311-light,o311-private", status="open")
    found = found if isinstance(found, list) else [found]
    one = client.get_service_request(str(live["shown"].pk))

    ids = {row["service_request_id"] for row in found}
    assert str(live["shown"].pk) in ids
    assert str(live["secret"].pk) not in ids
    assert one["service_code"] == "o311-light"
    assert one["status"] == "open"
    assert float(one["lat"]) == pytest.approx(NST_POINT[1])
    text = repr(found) + repr(one)
    assert "0811112222" not in text
    assert "ผู้แจ้ง" not in text
    assert live["shown"].tracking_code not in text


def test_a_request_posted_with_an_api_key_is_read_back(open_database, live):
    response = http.post(
        live["url"] + BASE + "requests.json",
        data={
            "api_key": live["key"],
            "jurisdiction_id": NST,
            "service_code": "o311-light",
            "lat": NST_POINT[1],
            "long": NST_POINT[0],
            "description": "ไฟดับหน้าโรงเรียน แจ้งผ่านแอป",
            "first_name": "สมศรี",
            "phone": "0823334444",
        },
        files={"media": ("IMG_0002.jpg", jpeg_with_location(), "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    [created] = response.json()

    back = client_for(live).get_service_request(created["service_request_id"])
    token = http.get(
        live["url"] + BASE + f"tokens/{created['token']}.json",
        params={"jurisdiction_id": NST},
        timeout=30,
    ).json()
    photo = http.get(back["media_url"], timeout=30)

    assert back["description"] == "ไฟดับหน้าโรงเรียน แจ้งผ่านแอป"
    assert "0823334444" not in repr(back)
    assert token == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]
    assert photo.headers["Content-Type"] == "image/jpeg"
    assert_bare(photo.content)


def test_posting_without_a_valid_key_is_refused(open_database, live):
    for key in ("", "o311_not-a-key", live["key"] + "x"):
        response = http.post(
            live["url"] + BASE + "requests.json",
            data={"api_key": key, "jurisdiction_id": NST, "service_code": "o311-light",
                  "lat": NST_POINT[1], "long": NST_POINT[0], "description": "ทดสอบ"},
            timeout=30,
        )  # fmt: skip
        assert response.status_code == 403
        assert response.json()[0]["code"] == 403


# --- the spec's edges, through Django's test client -------------------------------------------


@pytest.fixture
def anonymous() -> Client:
    return Client(HTTP_HOST="127.0.0.1")


def test_the_key_is_printed_once_and_stored_hashed(nst):
    raw = key_issue(name="แอปของเทศบาล")

    stored = Open311Key.objects.get(name="แอปของเทศบาล")

    assert raw.startswith("o311_")
    assert len(raw) > 40
    assert raw not in stored.key_hash
    assert len(stored.key_hash) == 64


def test_a_key_of_another_municipality_cannot_post_here(anonymous, nst, chon):
    category_make(nst)
    chon_key = key_issue("chon-buri")

    response = anonymous.post(
        BASE + "requests.json",
        {"api_key": chon_key, "jurisdiction_id": NST, "service_code": "street-light",
         "lat": NST_POINT[1], "long": NST_POINT[0], "description": "ทดสอบ"},
    )  # fmt: skip

    assert response.status_code == 403


def test_a_posts_jurisdiction_may_be_in_the_query_string_and_the_form_wins(anonymous, nst, chon):
    """The npm `open311` client sends it in the query string (decision 0026); the key decides."""
    category_make(nst)
    nst_key = key_issue()
    fields = {
        "api_key": nst_key,
        "service_code": "street-light",
        "lat": NST_POINT[1],
        "long": NST_POINT[0],
        "description": "ไฟดับ แจ้งผ่านแอป",
    }

    in_query = anonymous.post(BASE + f"requests.json?jurisdiction_id={NST}", fields)
    form_wins = anonymous.post(
        BASE + f"requests.json?jurisdiction_id={NST}", fields | {"jurisdiction_id": "chon-buri"}
    )
    none = anonymous.post(BASE + "requests.json", fields)

    assert in_query.status_code == 200, in_query.content
    [created] = in_query.json()
    with tenant_scope(municipality_ids=[nst.pk, chon.pk]):
        stored = Report.objects.get(pk=int(created["service_request_id"]))
    assert stored.municipality_id == nst.pk
    assert form_wins.status_code == 403  # the NST key is not Chon Buri's
    assert none.status_code == 400


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("services.json", 400),  # no jurisdiction_id
        ("services.json?jurisdiction_id=nowhere", 404),
        (f"services/nothing.json?jurisdiction_id={NST}", 404),
        (f"requests.json?jurisdiction_id={NST}&status=pending", 400),
        (f"requests.json?jurisdiction_id={NST}&start_date=yesterday", 400),
        (f"requests.json?jurisdiction_id={NST}&start_date=2020-01-01T00:00:00Z", 400),
        (f"requests.json?jurisdiction_id={NST}&service_request_id=1;DROP", 400),
        (f"requests/999999999.json?jurisdiction_id={NST}", 404),
        (f"requests/abc.json?jurisdiction_id={NST}", 404),
        (f"tokens/AAAA-BBBB-CCCC.json?jurisdiction_id={NST}", 404),
    ],
)
def test_errors_are_the_specs_error_lists(anonymous, nst, path, status):
    response = anonymous.get(BASE + path)

    assert response.status_code == status
    assert response.json()[0]["code"] == status


def test_errors_come_as_xml_in_the_xml_form(anonymous, db):
    response = anonymous.get(BASE + "services.xml")

    root = ElementTree.fromstring(response.content)
    assert response.status_code == 400
    assert root.tag == "errors"
    assert root.find("error/code").text == "400"


def test_requests_filter_by_status_code_dates_and_ids(anonymous, nst):
    light = category_make(nst)
    garbage = category_make(nst, code="garbage", name_th="ขยะ")
    open_one = report_make(nst, light)
    done = report_make(nst, garbage)
    report_status_set(report=done, status=ReportStatus.DONE, user=None, note="เก็บแล้ว")

    def ids(query: str) -> set[str]:
        answer = anonymous.get(BASE + f"requests.json?jurisdiction_id={NST}&{query}").json()
        return {row["service_request_id"] for row in answer}

    assert {str(open_one.pk), str(done.pk)} <= ids("")
    assert str(done.pk) not in ids("status=open")
    assert str(done.pk) in ids("status=closed")
    assert str(open_one.pk) not in ids("status=closed")
    assert ids("service_code=garbage") == {str(done.pk)}
    assert ids(f"service_request_id={done.pk},{open_one.pk}&status=open") == {
        str(done.pk),
        str(open_one.pk),
    }
    assert ids("start_date=2026-01-01T00:00:00Z&end_date=2026-01-02T00:00:00Z") == set()
    closed = anonymous.get(BASE + f"requests/{done.pk}.json?jurisdiction_id={NST}").json()[0]
    assert (closed["status"], closed["status_notes"]) == ("closed", "เก็บแล้ว")


def test_a_posted_request_keeps_its_contact_encrypted_and_its_photo_bare(
    anonymous, nst, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    category_make(nst)
    key = key_issue()

    response = anonymous.post(
        BASE + "requests.xml",
        {"api_key": key, "jurisdiction_id": NST, "service_code": "street-light",
         "lat": NST_POINT[1], "long": NST_POINT[0], "description": "ไฟดับ", "email": "x@y.th",
         "media": io.BytesIO(jpeg_with_location())},
    )  # fmt: skip

    root = ElementTree.fromstring(response.content)
    request_id = root.find("request/service_request_id").text
    report = Report.objects.get(pk=int(request_id))
    assert report.location_source == "api"
    assert ReportContact.objects.get(report=report).email == "x@y.th"
    for path in (tmp_path / "reports").rglob("*.jpg"):
        assert_bare(path.read_bytes())


@pytest.mark.parametrize(
    "fields",
    [
        {"service_code": "nothing"},
        {"lat": "nan"},
        {"lat": "13.75", "long": "100.5"},  # Bangkok, outside the municipality
        {"description": ""},
        {"description": "x" * 4001},
        {"email": "not-an-address"},
    ],
    ids=lambda fields: "-".join(fields),
)
def test_hostile_posts_are_refused_with_400(anonymous, nst, fields):
    category_make(nst)
    key = key_issue()
    # Counted in NST: after the request the transaction is scoped to NST alone (the demo has
    # reports in Chon Buri too).
    before = Report.objects.filter(municipality=nst).count()
    data = {"api_key": key, "jurisdiction_id": NST, "service_code": "street-light",
            "lat": NST_POINT[1], "long": NST_POINT[0], "description": "ไฟดับ"}  # fmt: skip

    response = anonymous.post(BASE + "requests.json", data | fields)

    assert response.status_code == 400
    assert Report.objects.filter(municipality=nst).count() == before


def test_a_disguised_media_file_is_refused(anonymous, nst):
    category_make(nst)
    data = {"api_key": key_issue(), "jurisdiction_id": NST, "service_code": "street-light",
            "lat": NST_POINT[1], "long": NST_POINT[0], "description": "ไฟดับ",
            "media": io.BytesIO(b"<?php system($_GET['c']); ?>")}  # fmt: skip

    response = anonymous.post(BASE + "requests.json", data)

    assert response.status_code == 400
    assert "media" in response.json()[0]["description"]
