"""The npm `open311` client library (codeforamerica/node-open311 0.0.12) against the live server.

It is run unchanged by tests/clients/open311/client.js, installed from that folder's
package-lock.json by `make setup-dev` (the stamp `.make/open311-client`). Unlike the Python
`georeport` client (tests/geoapp/test_reports_open311.py) it can POST a request with an API key,
so this is issue 19's "an Open311 client library lists services, posts a request with an API key
and reads it back". Its XML helpers are not installed (docs/decisions/0026-open311-client-js.md);
it speaks the JSON format here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from geoapp.models import Open311Key, Report, ReportContact, ReportSubmission, ServiceCategory
from geoapp.reports import selectors
from geoapp.reports.services import Contact, contact_digest
from layers.models import Municipality
from layers.tenancy import tenant_scope
from tests.geoapp.test_reports_models import NST_POINT, category_make
from tests.geoapp.test_reports_open311 import BASE, NST, key_issue

CLIENT = Path(__file__).resolve().parents[1] / "clients" / "open311"
NODE = shutil.which("node")

pytestmark = [
    # pytest-django 4.14 sets up the test database only for tests that ask for one; without
    # this mark a run of this module alone would reach the dev database named in .env.
    pytest.mark.django_db,
    pytest.mark.skipif(NODE is None, reason="Node.js is not installed: the npm client needs it"),
]


def library(live: dict, command: str, argument: str = "", *, key: str | None = None) -> dict:
    """One call of the npm library; its answer as {"ok": ..., "result" | "error", "body"}."""
    if not (CLIENT / "node_modules" / "open311").is_dir():
        pytest.fail("the npm open311 client is not installed: run `make setup-dev`")
    args = [NODE, "client.js", live["url"] + BASE, NST, key or live["key"], command]
    done = subprocess.run(
        [*args, argument] if argument else args,
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# The reporter the library posts as; the server counts its submissions (5 an hour per contact).
PHONE = "0865550123"


def submissions_forget() -> None:
    """Drop the committed rate-limit rows of the test's reporter, so a rerun is not refused."""
    ReportSubmission.objects.filter(contact_digest=contact_digest(Contact(phone=PHONE))).delete()


@pytest.fixture(scope="module")
def live(django_db_blocker, app_url) -> Iterator[dict]:
    """Committed categories and an API key of NST on the live server; removed afterwards."""
    with django_db_blocker.unblock():
        submissions_forget()
        nst = Municipality.objects.get(code=NST)
        with tenant_scope(municipality_ids=[nst.pk]):
            category_make(nst, code="o311js-light", division="กองช่าง", target_days=3)
            category_make(nst, code="o311js-tree", name_th="ต้นไม้ล้มขวางถนน", target_days=1)
        key = key_issue(name="แอปแจ้งเหตุของจังหวัด")
    yield {"url": app_url, "nst": nst, "key": key}
    with django_db_blocker.unblock(), tenant_scope(municipality_ids=[nst.pk]):
        Report.objects.filter(category__code__startswith="o311js-").delete()
        Open311Key.objects.filter(municipality=nst).delete()
        ServiceCategory.objects.filter(code__startswith="o311js-").delete()
        submissions_forget()


@pytest.fixture
def open_database(django_db_blocker) -> Iterator[None]:
    """The live server's thread reads the committed database while the test runs."""
    with django_db_blocker.unblock():
        yield


def test_the_npm_library_lists_services_and_reads_a_definition(open_database, live):
    with tenant_scope(municipality_ids=[live["nst"].pk]):
        offered = {c.code for c in selectors.category_list(municipality=live["nst"])}

    services = library(live, "services")
    definition = library(live, "definition", "o311js-light")

    assert services["ok"], services
    codes = [s["service_code"] for s in services["result"]]
    assert len(codes) == len(offered)
    assert set(codes) == offered
    light = next(s for s in services["result"] if s["service_code"] == "o311js-light")
    assert (light["group"], light["metadata"], light["type"]) == ("กองช่าง", False, "realtime")
    assert definition == {"ok": True, "result": {"service_code": "o311js-light", "attributes": []}}


def test_the_npm_library_posts_with_an_api_key_and_reads_the_request_back(open_database, live):
    fields = {
        "service_code": "o311js-tree",
        "lat": NST_POINT[1],
        "long": NST_POINT[0],
        "address_string": "ถนนราชดำเนิน หน้าวัดพระมหาธาตุ",
        "description": "ต้นไม้ล้มขวางถนน รถผ่านไม่ได้",
        "first_name": "สมชาย",
        "last_name": "ใจกล้า",
        "phone": PHONE,
        "email": "somchai@example.th",
    }

    posted = library(live, "submit", json.dumps(fields, ensure_ascii=False))
    assert posted["ok"], posted
    [created] = posted["result"]
    request_id = created["service_request_id"]
    one = library(live, "request", request_id)
    filtered = library(live, "requests", json.dumps({"service_code": "o311js-tree"}))
    token = library(live, "token", created["token"])

    with tenant_scope(municipality_ids=[live["nst"].pk]):
        report = Report.objects.select_related("category", "open311_key").get(pk=int(request_id))
        [contact] = ReportContact.objects.filter(report=report)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, phone, email FROM geoapp_reportcontact WHERE id = %s", [contact.pk]
            )
            stored = cursor.fetchone()

    assert report.category.code == "o311js-tree"
    assert report.description == "ต้นไม้ล้มขวางถนน รถผ่านไม่ได้"
    assert report.address_string == "ถนนราชดำเนิน หน้าวัดพระมหาธาตุ"
    assert report.location_source == Report.LocationSource.API
    assert (report.location.x, report.location.y) == pytest.approx(NST_POINT)
    assert report.open311_key.name == "แอปแจ้งเหตุของจังหวัด"
    assert (contact.name, contact.phone, contact.email) == (
        "สมชาย ใจกล้า",
        PHONE,
        "somchai@example.th",
    )
    assert all(value.startswith("enc1:") for value in stored)
    assert not any(word in " ".join(stored) for word in ("สมชาย", "0865550123", "somchai"))

    assert one["ok"], one
    [back] = one["result"]
    assert back["service_request_id"] == request_id
    assert back["service_code"] == "o311js-tree"
    assert back["description"] == "ต้นไม้ล้มขวางถนน รถผ่านไม่ได้"
    assert back["status"] == "open"
    # The library turns the dates into JavaScript Dates; one it cannot read comes out as null.
    requested = datetime.fromisoformat(back["requested_datetime"])
    assert abs(requested - report.created_at) < timedelta(seconds=1)
    assert back["updated_datetime"] is not None
    assert (float(back["long"]), float(back["lat"])) == pytest.approx(NST_POINT)
    assert filtered["ok"], filtered
    assert [r["service_request_id"] for r in filtered["result"]] == [request_id]
    assert token == {
        "ok": True,
        "result": [{"service_request_id": request_id, "token": created["token"]}],
    }
    answers = json.dumps([one, filtered], ensure_ascii=False)
    for secret in ("สมชาย", "ใจกล้า", "0865550123", "somchai@example.th", created["token"]):
        assert secret not in answers


def test_the_npm_library_post_with_a_wrong_key_is_refused(open_database, live):
    fields = {
        "service_code": "o311js-light",
        "lat": NST_POINT[1],
        "long": NST_POINT[0],
        "description": "ไฟดับ ส่งด้วยกุญแจปลอม",
    }

    refused = library(live, "submit", json.dumps(fields, ensure_ascii=False), key="not-a-key")

    assert refused["ok"] is False
    assert refused["error"] == 403
    assert "api_key" in refused["body"]
    with tenant_scope(municipality_ids=[live["nst"].pk]):
        assert not Report.objects.filter(description="ไฟดับ ส่งด้วยกุญแจปลอม").exists()
