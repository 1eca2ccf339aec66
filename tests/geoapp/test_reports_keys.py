"""Open311 keys on the administrators' page: shown once, stored hashed, revoked for good."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from geoapp.models import Open311Key
from geoapp.reports.services import open311_key_create
from layers.tenancy import tenant_scope
from tests.geoapp.test_reports_models import NST_POINT, category_make

NST = "nakhon-si-thammarat"
BASE = "/open311/v2/"


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def keys_url(name="report-keys", **kwargs) -> str:
    return reverse(name, kwargs={"code": NST, **kwargs})


def _post_report(key: str):
    return Client(HTTP_HOST="127.0.0.1").post(
        BASE + "requests.json",
        {"api_key": key, "jurisdiction_id": NST, "service_code": "street-light",
         "lat": NST_POINT[1], "long": NST_POINT[0], "description": "ไฟดับหน้าโรงเรียน"},
    )  # fmt: skip


def test_an_administrator_issues_a_key_that_is_shown_once_and_works(nst):
    category_make(nst)
    admin = client_for("nst-admin")

    issued = admin.post(keys_url(), {"name": "ศูนย์ดำรงธรรมจังหวัด"})
    raw = re.search(r'value="(o311_[^"]+)"', issued.content.decode()).group(1)
    later = admin.get(keys_url()).content.decode()

    assert issued.status_code == 200
    assert issued["Cache-Control"].startswith("max-age=0")
    stored = Open311Key.objects.get(municipality=nst, name="ศูนย์ดำรงธรรมจังหวัด")
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert "ศูนย์ดำรงธรรมจังหวัด" in later
    assert raw not in later
    assert stored.key_hash not in later
    assert _post_report(raw).status_code == 200  # Open311: 200 with the new request
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_a_revoked_key_is_refused_from_then_on(nst):
    category_make(nst)
    admin = client_for("nst-admin")
    issued = admin.post(keys_url(), {"name": "แอปทดลอง"})
    raw = re.search(r'value="(o311_[^"]+)"', issued.content.decode()).group(1)
    key = Open311Key.objects.get(municipality=nst, name="แอปทดลอง")

    confirm = admin.get(keys_url("report-key-revoke", key_id=key.pk))
    revoked = admin.post(keys_url("report-key-revoke", key_id=key.pk))
    again = admin.post(keys_url("report-key-revoke", key_id=key.pk))

    assert confirm.status_code == 200
    assert "แอปทดลอง" in confirm.content.decode()
    assert revoked.status_code == 302
    assert again.status_code == 404
    assert _post_report(raw).status_code == 403


@pytest.mark.parametrize("username", ["nst-viewer", "nst-editor", "nst-health", "nst-planner"])
def test_only_administrators_reach_the_keys(nst, username):
    key, _raw = open311_key_create(municipality=nst, name="ของผู้ดูแล")
    client = client_for(username)

    assert client.get(keys_url()).status_code == 403
    assert client.post(keys_url(), {"name": "แอบออกกุญแจ"}).status_code == 403
    assert client.post(keys_url("report-key-revoke", key_id=key.pk)).status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
    assert not Open311Key.objects.filter(name="แอบออกกุญแจ").exists()


def test_another_towns_administrator_cannot_revoke_our_key(nst):
    key, _raw = open311_key_create(municipality=nst, name="ของนครศรีฯ")
    chon_admin = client_for("chon-admin")

    address = reverse("report-key-revoke", kwargs={"code": "chon-buri", "key_id": key.pk})

    response = chon_admin.post(address)

    assert response.status_code == 404
    with tenant_scope(municipality_ids=[nst.pk]):  # the request narrowed the test's scope
        assert Open311Key.objects.get(pk=key.pk).revoked_at is None
