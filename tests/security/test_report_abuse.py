"""Abuse of the residents' report form: bursts, robots, spoofed addresses, hostile fields."""

from __future__ import annotations

import pytest
from django.test import Client

from geoapp.models import Report, ReportSubmission
from geoapp.reports.services import address_digest
from tests.geoapp.test_reports_models import category_make
from tests.geoapp.test_reports_pages import report_post


@pytest.fixture
def light(nst):
    return category_make(nst)


def reports_count(nst) -> int:
    return Report.objects.filter(municipality=nst).count()


def test_a_burst_of_100_submissions_from_one_address_creates_at_most_5_reports(nst, light):
    before = reports_count(nst)
    robot = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="203.0.113.7")

    statuses = [report_post(robot, description=f"ไฟดับ {i}").status_code for i in range(100)]

    assert reports_count(nst) - before == 5
    assert statuses.count(302) == 5
    assert statuses.count(429) == 95


def test_a_spoofed_forwarded_for_header_does_not_reset_the_limit(nst, light, settings):
    settings.MUEANG_TRUSTED_PROXY_COUNT = 0
    before = reports_count(nst)

    for i in range(20):
        client = Client(
            HTTP_HOST="127.0.0.1", REMOTE_ADDR="203.0.113.8", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        )
        report_post(client, description=f"ไฟดับ {i}")

    assert reports_count(nst) - before == 5


def test_one_phone_number_from_many_addresses_is_limited_too(nst, light):
    before = reports_count(nst)

    for i in range(12):
        client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=f"198.51.100.{i + 1}")
        report_post(client, phone="+66 81 555 0000" if i % 2 else "081-555-0000")

    assert reports_count(nst) - before == 5


def test_the_honeypot_creates_nothing(nst, light):
    before = reports_count(nst)
    robot = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="203.0.113.9")

    response = report_post(robot, website="http://spam.example/")

    assert response.status_code == 400
    assert reports_count(nst) == before
    assert not ReportSubmission.objects.filter(
        address_digest=address_digest("203.0.113.9")
    ).exists()


def test_addresses_are_kept_only_as_keyed_digests(nst, light):
    report_post(Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="203.0.113.10"), phone="0812223333")

    row = ReportSubmission.objects.latest("at")

    assert len(row.address_digest) == 64
    assert "203.0.113.10" not in row.address_digest
    assert "0812223333" not in row.contact_digest


@pytest.mark.parametrize(
    "fields",
    [
        {"latitude": "nan"},
        {"latitude": "inf"},
        {"longitude": "1e400"},
        {"latitude": "8.43\x00"},
        {"description": "ไฟดับ\x00"},
        {"description": "x" * 4001},
        {"category": "<script>alert(1)</script>"},
        {"category": "garbage-of-another-town"},
        {"location_source": "api"},
        {"accuracy_m": "-5"},
        {"phone": "call me"},
        {"email": "not-an-address"},
    ],
    ids=lambda fields: next(iter(fields)),
)
def test_hostile_fields_are_refused_with_400_and_create_nothing(nst, light, fields):
    before = reports_count(nst)
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="203.0.113.11")

    response = report_post(client, **fields)

    assert response.status_code == 400
    assert reports_count(nst) == before


def test_too_many_photos_or_a_disguised_file_are_refused(nst, light):
    from tests.geoapp.test_reports_pages import small_jpeg

    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="203.0.113.12")
    before = reports_count(nst)

    four = report_post(client, photos=[(f"{i}.jpg", small_jpeg()) for i in range(4)])
    php = report_post(client, photos=[("shell.php.jpg", b"<?php system($_GET['c']); ?>")])
    none = report_post(client, photos=[])

    assert [four.status_code, php.status_code, none.status_code] == [400, 400, 400]
    assert reports_count(nst) == before
