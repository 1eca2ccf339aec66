"""Resident reports in the database: tenant isolation, encrypted contacts, an append-only log."""

from __future__ import annotations

import re

import pytest
from django.contrib.gis.geos import Point
from django.db import DatabaseError, connection, transaction

from geoapp.models import (
    Report,
    ReportContact,
    ReportContactAccess,
    ReportStatus,
    ServiceCategory,
)
from geoapp.reports.services import (
    TRACKING_ALPHABET,
    Contact,
    ReportInput,
    report_contacts_read,
    report_create,
    report_follow,
    report_status_set,
    tracking_code_new,
    tracking_code_normalise,
)
from layers.tenancy import tenant_scope

REPORT_TABLES = [
    "geoapp_servicecategory",
    "geoapp_report",
    "geoapp_reportstatuschange",
    "geoapp_reportphoto",
    "geoapp_reportcontact",
    "geoapp_reportcontactaccess",
    "geoapp_open311key",
]
# A point inside each demo town (the town hall areas).
NST_POINT = (99.9631, 8.4325)
CHON_POINT = (100.9847, 13.3611)


def category_make(municipality, code="street-light", **fields) -> ServiceCategory:
    """A report category of the municipality (created if missing)."""
    defaults = {"name_th": "ไฟฟ้าส่องสว่างชำรุด", "name_en": "Broken street light", "target_days": 3}
    category, _created = ServiceCategory.objects.get_or_create(
        municipality=municipality, code=code, defaults=defaults | fields
    )
    return category


def report_make(municipality, category=None, *, lon_lat=NST_POINT, contact=None, **data):
    """A report created through the service (no photos unless given)."""
    category = category or category_make(municipality)
    fields = {
        "category": category,
        "point": Point(*lon_lat, srid=4326),
        "accuracy_m": 8.0,
        "location_source": Report.LocationSource.GPS,
        "description": "หลอดไฟดับทั้งซอย",
    }
    photos = data.pop("photos", [])
    return report_create(
        municipality=municipality,
        data=ReportInput(**(fields | data)),
        photos=photos,
        contact=contact or Contact(),
    )


def test_every_report_table_forces_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s)",
            [REPORT_TABLES],
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
    assert flags == dict.fromkeys(REPORT_TABLES, (True, True))


def test_another_tenant_sees_and_writes_no_report_rows(nst, chon):
    report = report_make(nst, contact=Contact(name="สมชาย", phone="081-234-5678"))

    with tenant_scope(municipality_ids=[chon.pk]):
        with connection.cursor() as cursor:
            seen = {}
            for table in REPORT_TABLES:
                cursor.execute(f"SELECT count(*) FROM {table} WHERE municipality_id = %s", [nst.pk])
                seen[table] = cursor.fetchone()[0]
        assert not Report.objects.filter(pk=report.pk).exists()
        with pytest.raises(DatabaseError), transaction.atomic():
            ServiceCategory.objects.create(municipality=nst, code="x", name_th="x")

    assert seen == dict.fromkeys(REPORT_TABLES, 0)


def test_contact_details_are_encrypted_at_rest_and_reads_are_logged(nst, django_user_model):
    report = report_make(nst, contact=Contact(name="สมหญิง ใจดี", phone="0812345678", email="a@b.th"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone, email FROM geoapp_reportcontact WHERE report_id = %s", [report.pk]
        )
        stored = cursor.fetchone()
    staff = django_user_model.objects.get(username="nst-admin")

    details = report_contacts_read(report=report, user=staff, purpose="โทรกลับเพื่อสอบถามจุด")

    assert all(value.startswith("enc1:") for value in stored)
    assert not any("0812345678" in value or "สมหญิง" in value for value in stored)
    assert [(d.name, d.phone, d.email) for d in details] == [("สมหญิง ใจดี", "0812345678", "a@b.th")]
    logged = ReportContactAccess.objects.get(report_ref=report.pk)
    assert (logged.username, logged.purpose) == ("nst-admin", "โทรกลับเพื่อสอบถามจุด")


def test_the_contact_access_log_cannot_be_rewritten(nst, django_user_model):
    report = report_make(nst)
    staff = django_user_model.objects.get(username="nst-admin")
    report_contacts_read(report=report, user=staff, purpose="ติดตามงาน")

    for statement in (
        "UPDATE geoapp_reportcontactaccess SET username = 'someone-else'",
        "DELETE FROM geoapp_reportcontactaccess",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)

    assert ReportContactAccess.objects.filter(report_ref=report.pk, username="nst-admin").exists()


def test_reading_contacts_needs_a_purpose(nst, django_user_model):
    staff = django_user_model.objects.get(username="nst-admin")
    with pytest.raises(ValueError, match="purpose"):
        report_contacts_read(report=report_make(nst), user=staff, purpose="  ")


def test_tracking_codes_are_random_unambiguous_and_typed_back_in_any_form():
    codes = {tracking_code_new() for _ in range(2000)}

    assert len(codes) == 2000
    assert all(re.fullmatch(r"[%s]{4}(-[%s]{4}){2}" % ((TRACKING_ALPHABET,) * 2), c) for c in codes)
    code = next(iter(codes))
    assert tracking_code_normalise(code.lower().replace("-", " ")) == code


def test_a_new_report_has_one_history_step_and_status_changes_are_logged(nst, django_user_model):
    report = report_make(nst)
    staff = django_user_model.objects.get(username="nst-admin")

    report_status_set(report=report, status=ReportStatus.IN_PROGRESS, user=staff, note="ส่งช่างแล้ว")
    report_status_set(report=report, status=ReportStatus.DONE, user=staff, note="เปลี่ยนหลอดแล้ว")

    steps = list(report.history.values_list("status", "public_note"))
    assert steps == [("received", ""), ("in_progress", "ส่งช่างแล้ว"), ("done", "เปลี่ยนหลอดแล้ว")]
    assert Report.objects.get(pk=report.pk).closed_at is not None


def test_following_adds_one_and_keeps_the_followers_contact_apart(nst):
    report = report_make(nst)

    report_follow(report=report, contact=Contact(phone="089 999 9999"))
    report_follow(report=report, contact=Contact())

    assert Report.objects.get(pk=report.pk).follower_count == 2
    assert list(ReportContact.objects.filter(report=report).values_list("role", flat=True)) == [
        "follower"
    ]


def test_a_category_of_another_municipality_is_refused(nst, chon):
    with pytest.raises(ValueError, match="category"):
        report_make(nst, category_make(chon), lon_lat=CHON_POINT)
