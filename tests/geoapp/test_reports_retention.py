"""Reporters' contacts are erased after the retention period; nothing decrypts to them after."""

from __future__ import annotations

import io
from datetime import timedelta

from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from geoapp.models import (
    Report,
    ReportContact,
    ReportContactAccess,
    ReportRetention,
    ReportStatus,
)
from geoapp.reports.retention import report_contacts_erase
from geoapp.reports.services import Contact, report_follow, report_status_set
from layers.fields import EncryptedTextField
from tests.geoapp.test_reports_models import category_make, report_make

SECRET = Contact(name="นายลับ เฉพาะตัว", phone="0867654321", email="secret.reporter@example.org")


def _closed_days_ago(report, days, status=ReportStatus.DONE):
    report_status_set(report=report, status=status, user=None)
    Report.objects.filter(pk=report.pk).update(closed_at=timezone.now() - timedelta(days=days))


def _every_decrypted_value() -> set[str]:
    """Every encrypted value of every model, decrypted (the attacker holding the keys)."""
    values = set()
    for model in apps.get_models():
        fields = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
        for row in model.objects.all().values_list(*fields) if fields else ():
            values.update(v for v in row if v)
    return values


def test_contacts_of_reports_closed_longer_than_the_period_are_erased(nst):
    light = category_make(nst)
    old = report_make(nst, light, contact=SECRET)
    report_follow(report=old, contact=Contact(phone="0855550000"))
    _closed_days_ago(old, 366)
    recent = report_make(nst, light, contact=Contact(phone="0811112222"))
    _closed_days_ago(recent, 300)
    still_open = report_make(nst, light, contact=Contact(phone="0833334444"))
    Report.objects.filter(pk=still_open.pk).update(created_at=timezone.now() - timedelta(days=900))

    result = report_contacts_erase(municipality=nst)

    assert (result.reports, result.contacts, result.retention_days) == (1, 2, 365)
    assert not ReportContact.objects.filter(report=old).exists()
    assert ReportContact.objects.filter(report=recent).count() == 1
    assert ReportContact.objects.filter(report=still_open).count() == 1
    assert Report.objects.filter(pk=old.pk).exists()  # the report itself stays
    log = ReportContactAccess.objects.filter(report_ref=old.pk).get()
    assert log.username == "system"
    assert "365" in log.purpose
    decrypted = _every_decrypted_value()
    assert not {SECRET.name, SECRET.phone, SECRET.email, "0855550000"} & decrypted
    assert "0811112222" in decrypted  # the scan does read reporters' contacts
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM geoapp_reportcontact WHERE report_id = %s", [old.pk])
        assert cursor.fetchone()[0] == 0


def test_the_period_is_set_per_municipality(nst, chon):
    ReportRetention.objects.create(municipality=nst, contact_days=30)
    nst_report = report_make(nst, category_make(nst), contact=Contact(phone="0822223333"))
    _closed_days_ago(nst_report, 31, status=ReportStatus.REJECTED)
    chon_report = report_make(
        chon, category_make(chon), lon_lat=(100.9847, 13.3611), contact=Contact(phone="0899998888")
    )
    _closed_days_ago(chon_report, 31)

    out = io.StringIO()
    call_command("reports_erase_contacts", stdout=out)

    assert "nakhon-si-thammarat: erased 1 contacts of 1 reports closed over 30 days ago" in (
        out.getvalue()
    )
    assert "chon-buri: erased 0 contacts" in out.getvalue()
    assert not ReportContact.objects.filter(report=nst_report).exists()
    assert ReportContact.objects.filter(report=chon_report).exists()


def test_a_dry_run_erases_nothing(nst):
    report = report_make(nst, category_make(nst), contact=Contact(phone="0877776666"))
    _closed_days_ago(report, 400)

    out = io.StringIO()
    call_command("reports_erase_contacts", "--code", "nakhon-si-thammarat", "--dry-run", stdout=out)

    assert "would erase 1 contacts" in out.getvalue()
    assert ReportContact.objects.filter(report=report).exists()
