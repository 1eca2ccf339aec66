"""The phones' sync API: idempotent writes, versions and conflicts, hostile input, photos, scope."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from layers.field.assignments import assignment_add
from layers.field.sync import conflict_resolve
from layers.models import (
    Building,
    HouseSurvey,
    LarvalContainerCount,
    SprayRound,
    SurveyPhoto,
    SyncConflict,
    SyncReceipt,
)
from tests.field_setup import field_assign, field_place
from tests.layers.test_field_larval import surveys_clear
from tests.security.test_report_photos import assert_bare, jpeg_with_location

CODE = "nakhon-si-thammarat"
ZONE = "z0123456789"


@pytest.fixture(autouse=True)
def no_demo_surveys(db):
    """These tests count from empty survey tables; the demo loader surveys both towns."""
    from layers.models import Municipality

    for municipality in Municipality.objects.all():
        surveys_clear(municipality)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def client_for(username: str, **kwargs) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", **kwargs)
    client.force_login(get_user_model().objects.get(username=username))
    return client


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs={"code": CODE, **kwargs})


@pytest.fixture
def houses(nst):
    return field_assign(nst, "nst-volunteer", field_place(nst))


def survey(houses, **changes) -> dict:
    house = houses[0]
    body = {
        "client_uuid": str(uuid.uuid4()),
        "base_version": 0,
        "place_id": house.place_id,
        "building_id": house.building_id,
        "round_number": 1,
        "surveyed_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "status": "surveyed",
        "containers": [
            {"type": 1, "location": "indoor", "containers": 4, "positive": 1},
            {"type": 3, "location": "outdoor", "containers": 2, "positive": 0},
        ],
    }
    return {**body, **changes}


def post(client: Client, name: str, body, key: str | None = None):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url(name), raw, content_type="application/json", **headers)


def key() -> str:
    return f"k-{uuid.uuid4()}"


# --- Who sees what ------------------------------------------------------------------------------


def test_bootstrap_gives_the_volunteer_the_assigned_houses_and_nothing_about_cases(nst, houses):
    own = {h.building_id for h in houses}
    outside = Building.objects.filter(municipality=nst).exclude(pk__in=own).order_by("id").first()
    elsewhere = field_place(nst, "ชุมชนของคนอื่น")
    elsewhere.geom = outside.geom.point_on_surface
    elsewhere.save()
    assignment_add(
        municipality=nst,
        by=None,
        volunteer_id=get_user_model().objects.get(username="nst-health").pk,
        place=elsewhere,
    )

    body = client_for("nst-volunteer").get(url("field-api-bootstrap")).json()

    assert [p["name"] for p in body["places"]] == ["ชุมชนทดสอบภาคสนาม"]
    assert len(body["houses"]) == len(houses) >= 30
    assert {h["id"] for h in body["houses"]} == own
    assert outside.pk not in own
    assert {tuple(sorted(h)) for h in body["houses"]} == {("id", "label", "lat", "lon", "place_id")}
    assert body["gps_limit_m"] == 30
    assert body["csrf_token"]
    assert len(body["container_types"]) >= 11
    text = json.dumps(body, ensure_ascii=False).lower()
    assert "case" not in text
    assert "dengue" not in text
    assert "onset" not in text


def test_a_volunteer_cannot_record_a_house_or_place_outside_the_assignment(nst, houses):
    client = client_for("nst-volunteer")
    assigned = {h.building_id for h in houses}
    outside = Building.objects.filter(municipality=nst).exclude(pk__in=assigned).first()
    other_place = field_place(nst, "ที่อื่น")

    house = post(client, "field-api-surveys", survey(houses, building_id=outside.pk), key())
    place = post(client, "field-api-surveys", survey(houses, place_id=other_place.pk), key())
    no_such = post(client, "field-api-surveys", survey(houses, building_id=10**12), key())

    assert house.status_code == place.status_code == no_such.status_code == 400
    assert "building_id" in house.json()["errors"]
    assert "place_id" in place.json()["errors"]
    assert HouseSurvey.objects.count() == 0


def test_another_municipalitys_volunteer_gets_404_everywhere(houses):
    client = client_for("chon-volunteer")

    assert client.get(url("field-api-bootstrap")).status_code == 404
    assert post(client, "field-api-surveys", survey(houses), key()).status_code == 404
    assert HouseSurvey.objects.count() == 0


def test_viewers_and_planners_may_not_use_the_field_api(houses):
    for username in ("nst-viewer", "nst-planner"):
        response = post(client_for(username), "field-api-surveys", survey(houses), key())
        assert response.status_code == 403


def test_uploads_need_the_csrf_token(houses):
    client = client_for("nst-volunteer", enforce_csrf_checks=True)

    response = post(client, "field-api-surveys", survey(houses), key())

    assert response.status_code == 403
    assert HouseSurvey.objects.count() == 0


# --- Nothing doubled ----------------------------------------------------------------------------


def test_a_replayed_request_gets_the_same_answer_and_stores_nothing_twice(houses):
    client = client_for("nst-volunteer")
    body, k = survey(houses), key()

    first = post(client, "field-api-surveys", body, k)
    again = post(client, "field-api-surveys", body, k)
    new_key = post(client, "field-api-surveys", body, key())

    assert first.status_code == 201
    assert first.json()["status"] == "stored"
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert new_key.status_code == 200
    assert new_key.json()["status"] == "unchanged"
    assert HouseSurvey.objects.count() == 1
    assert LarvalContainerCount.objects.count() == 2


def test_a_key_reused_for_another_body_is_refused(houses):
    client = client_for("nst-volunteer")
    k = key()
    post(client, "field-api-surveys", survey(houses), k)

    response = post(client, "field-api-surveys", survey(houses), k)

    assert response.status_code == 422
    assert HouseSurvey.objects.count() == 1


def test_a_write_without_idempotency_key_is_refused(houses):
    response = post(client_for("nst-volunteer"), "field-api-surveys", survey(houses))

    assert response.status_code == 400
    assert HouseSurvey.objects.count() == SyncReceipt.objects.count() == 0


def test_the_server_says_which_client_ids_it_holds(houses):
    client = client_for("nst-volunteer")
    body = survey(houses)
    post(client, "field-api-surveys", body, key())
    unknown = str(uuid.uuid4())

    held = client.get(url("field-api-held"), {"uuid": f"{body['client_uuid']},{unknown}"}).json()

    assert held == {"held": {body["client_uuid"]: {"kind": "survey", "version": 1}}}
    assert client.get(url("field-api-held"), {"uuid": "not-a-uuid"}).status_code == 400


# --- Versions and conflicts ---------------------------------------------------------------------


def test_an_edit_from_the_current_version_updates_and_one_from_an_older_is_a_conflict(houses):
    client = client_for("nst-volunteer")
    body = survey(houses)
    post(client, "field-api-surveys", body, key())
    rows = [{"type": 1, "location": "indoor", "containers": 4, "positive": 4}]

    phone_a = post(
        client, "field-api-surveys", {**body, "base_version": 1, "containers": rows}, key()
    )
    phone_b = post(client, "field-api-surveys", {**body, "base_version": 1, "status": "closed",
                                                 "containers": []}, key())  # fmt: skip

    assert phone_a.status_code == 200
    assert phone_a.json()["version"] == 2
    assert phone_b.status_code == 409
    assert phone_b.json()["status"] == "conflict"
    stored = HouseSurvey.objects.get()
    assert (stored.status, stored.version) == ("surveyed", 2)
    assert list(stored.container_counts.values_list("positive", flat=True)) == [4]
    conflict = SyncConflict.objects.get()
    assert conflict.server_record["containers"] == [{**rows[0]}]
    assert conflict.phone_record["status"] == "closed"
    assert (conflict.base_version, conflict.server_version) == (1, 2)


def test_the_same_conflicting_edit_sent_twice_is_one_conflict(houses):
    client = client_for("nst-volunteer")
    body = survey(houses)
    post(client, "field-api-surveys", body, key())
    post(
        client,
        "field-api-surveys",
        {**body, "base_version": 1, "status": "vacant", "containers": []},
        key(),
    )
    late = {**body, "base_version": 1, "status": "refused", "containers": []}

    first = post(client, "field-api-surveys", late, key())
    second = post(client, "field-api-surveys", late, key())

    assert first.json()["conflict_id"] == second.json()["conflict_id"]
    assert SyncConflict.objects.count() == 1


def test_a_supervisor_resolves_a_conflict_on_the_page_and_it_is_logged(nst, houses):
    volunteer = client_for("nst-volunteer")
    body = survey(houses)
    post(volunteer, "field-api-surveys", body, key())
    post(
        volunteer,
        "field-api-surveys",
        {**body, "base_version": 1, "status": "vacant", "containers": []},
        key(),
    )
    post(
        volunteer,
        "field-api-surveys",
        {**body, "base_version": 1, "status": "closed", "containers": []},
        key(),
    )
    conflict = SyncConflict.objects.get()
    supervisor = client_for("nst-health")

    listing = supervisor.get(url("field-conflicts")).content.decode()
    page = supervisor.get(url("field-conflict", conflict_id=conflict.pk)).content.decode()
    merged = supervisor.post(
        url("field-conflict", conflict_id=conflict.pk),
        {
            "resolution": "merged",
            "status": "surveyed",
            "count_1_indoor": "5/2",
            "note": "โทรถามแล้ว",
        },
    )

    assert f"/field/conflicts/{conflict.pk}/" in listing
    # The statuses read as words on the (Thai) page, not as stored codes.
    assert 'data-side="server">บ้านว่าง' in page
    assert 'data-side="phone">ปิดบ้าน' in page
    assert merged.status_code == 302
    stored = HouseSurvey.objects.get()
    assert (stored.status, stored.version) == ("surveyed", 3)
    assert list(stored.container_counts.values_list("containers", "positive")) == [(5, 2)]
    conflict.refresh_from_db()
    assert conflict.resolution == "merged"
    assert conflict.resolved_by.username == "nst-health"
    assert conflict.note == "โทรถามแล้ว"
    with translation.override("en"), pytest.raises(ValidationError, match="already resolved"):
        conflict_resolve(conflict=conflict, user=conflict.resolved_by, resolution="kept_phone")


def test_a_merge_with_more_positive_than_containers_is_refused_and_changes_nothing(houses):
    volunteer = client_for("nst-volunteer")
    body = survey(houses)
    post(volunteer, "field-api-surveys", body, key())
    post(
        volunteer,
        "field-api-surveys",
        {**body, "base_version": 1, "status": "vacant", "containers": []},
        key(),
    )
    post(
        volunteer,
        "field-api-surveys",
        {**body, "base_version": 1, "status": "closed", "containers": []},
        key(),
    )
    conflict = SyncConflict.objects.get()

    page = client_for("nst-health").post(
        url("field-conflict", conflict_id=conflict.pk),
        {"resolution": "merged", "status": "surveyed", "count_1_indoor": "2/5"},
    )

    assert page.status_code == 200
    # Thai first: the refusal reads as a municipal officer writes it.
    assert "จำนวนภาชนะที่พบลูกน้ำมากกว่าจำนวนภาชนะทั้งหมด" in page.content.decode()
    conflict.refresh_from_db()
    assert conflict.resolution == ""
    assert HouseSurvey.objects.get().version == 2


def test_volunteers_cannot_open_the_supervisors_pages(houses):
    client = client_for("nst-volunteer")

    assert client.get(url("field-assignments")).status_code == 403
    assert client.get(url("field-conflicts")).status_code == 403


# --- Hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"containers": [{"type": 1, "location": "indoor", "containers": 2, "positive": 3}]},
            "containers[1]",
        ),
        (
            {"containers": [{"type": 1, "location": "indoor", "containers": -1, "positive": 0}]},
            "containers[1]",
        ),
        (
            {"containers": [{"type": 999, "location": "indoor", "containers": 1, "positive": 0}]},
            "containers[1]",
        ),
        (
            {"containers": [{"type": 1, "location": "roof", "containers": 1, "positive": 0}]},
            "containers[1]",
        ),
        (
            {"containers": [{"type": 1, "location": "indoor", "containers": 1.5, "positive": 0}]},
            "containers[1]",
        ),
        (
            {"containers": [{"type": 1, "location": "indoor", "containers": True, "positive": 0}]},
            "containers[1]",
        ),
        (
            {"containers": [{"type": 1, "location": "indoor", "containers": "3", "positive": 0}]},
            "containers[1]",
        ),
        (
            {"containers": [{"type": 1, "location": "indoor", "containers": 10**9, "positive": 0}]},
            "containers[1]",
        ),
        (
            {"containers": [{"type": 1, "location": "indoor", "containers": 1, "positive": 0}] * 2},
            "containers[2]",
        ),
        ({"containers": "lots"}, "containers"),
        ({"status": "vacant"}, "containers"),
        ({"status": "<script>"}, "status"),
        ({"client_uuid": "'; DROP TABLE x; --"}, "client_uuid"),
        ({"surveyed_at": "2569-01-05T10:00:00+07:00"}, "surveyed_at"),
        ({"surveyed_at": "2099-01-05T10:00:00+07:00"}, "surveyed_at"),
        ({"surveyed_at": "2026-01-05T10:00:00"}, "surveyed_at"),
        ({"place_id": "1 OR 1=1"}, "place_id"),
        ({"building_id": None, "house_number": ""}, "house_number"),
        ({"house_number": "9" * 51}, "house_number"),
        ({"round_number": 0}, "round_number"),
    ],
)
def test_hostile_survey_values_are_refused_with_the_field(houses, change, field):
    response = post(
        client_for("nst-volunteer"), "field-api-surveys", survey(houses, **change), key()
    )

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert HouseSurvey.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        '{"containers": [{"type": 1, "location": "indoor", "containers": NaN, "positive": 0}]}',
        '{"containers": Infinity}',
        "[1, 2",
        "\xff\xfe",
        "[]",
        "null",
    ],
)
def test_bodies_that_are_not_a_survey_are_refused(houses, raw):
    response = post(client_for("nst-volunteer"), "field-api-surveys", raw, key())

    assert response.status_code == 400
    assert HouseSurvey.objects.count() == 0


def test_an_oversized_record_is_refused_before_it_is_read(houses):
    body = survey(houses, notes="x" * 300_000)

    response = post(client_for("nst-volunteer"), "field-api-surveys", body, key())

    assert response.status_code == 413


# --- Spray rounds -------------------------------------------------------------------------------


@pytest.fixture
def zone(nst, houses):
    user = get_user_model().objects.get(username="nst-volunteer")
    place = field_place(nst)
    assignment_add(municipality=nst, by=None, volunteer_id=user.pk, place=place, zone_key=ZONE)
    return ZONE


def spray_round(**changes) -> dict:
    today = timezone.localdate()
    body = {
        "client_uuid": str(uuid.uuid4()),
        "base_version": 0,
        "zone_key": ZONE,
        "round_number": 1,
        "planned_date": today.isoformat(),
        "done_on": today.isoformat(),
        "done_at": "07:30",
        "team": "ทีม อสม. หมู่ 3",
        "method": "ulv",
        "chemical": "เดลทาเมทริน",
        "households_targeted": 40,
        "households_sprayed": 35,
        "households_refused": 2,
        "households_closed": 3,
        "notes": "",
    }
    return {**body, **changes}


def test_a_spray_round_from_the_phone_is_recorded_once_and_a_second_phone_is_a_conflict(zone):
    client = client_for("nst-volunteer")
    body, k = spray_round(), key()

    first = post(client, "field-api-rounds", body, k)
    replay = post(client, "field-api-rounds", body, k)
    other_phone = post(client, "field-api-rounds", spray_round(team="ทีมสอง"), key())

    assert first.status_code == replay.status_code == 201
    assert other_phone.status_code == 409
    stored = SprayRound.objects.get()
    assert (stored.team, str(stored.client_uuid)) == ("ทีม อสม. หมู่ 3", body["client_uuid"])
    assert SyncConflict.objects.get().phone_record["team"] == "ทีมสอง"


@pytest.mark.parametrize(
    "change",
    [
        {"zone_key": "z9999999999"},
        {"households_sprayed": 50},
        {"households_refused": -1},
        {"households_closed": 1.5},
        {"done_on": "2099-01-01"},
        {"team": ""},
        {"method": "napalm"},
        {"planned_date": "yesterday"},
    ],
)
def test_hostile_spray_rounds_are_refused(zone, change):
    response = post(client_for("nst-volunteer"), "field-api-rounds", spray_round(**change), key())

    assert response.status_code == 400
    assert SprayRound.objects.count() == 0


# --- Photos -------------------------------------------------------------------------------------


def put_photo(client, data: bytes, survey_uuid: str, photo_uuid: str | None = None, k=None):
    photo_uuid = photo_uuid or str(uuid.uuid4())
    return client.put(
        url("field-api-photo", photo_uuid=photo_uuid) + f"?survey={survey_uuid}",
        data,
        content_type="image/jpeg",
        HTTP_IDEMPOTENCY_KEY=k or key(),
    )


def test_a_photo_is_stored_once_without_any_metadata(houses, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("nst-volunteer")
    body = survey(houses)
    post(client, "field-api-surveys", body, key())
    photo_uuid = str(uuid.uuid4())

    first = put_photo(client, jpeg_with_location(), body["client_uuid"], photo_uuid)
    again = put_photo(client, jpeg_with_location(), body["client_uuid"], photo_uuid)

    assert first.status_code == 201
    assert again.json()["status"] == "unchanged"
    stored = SurveyPhoto.objects.get()
    assert_bare((Path(tmp_path) / stored.stored_name).read_bytes())
    assert list(Path(tmp_path).rglob("*.jpg")) == [Path(tmp_path) / stored.stored_name]


def test_a_photo_before_its_survey_waits_and_goes_through_with_the_same_key(
    houses, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("nst-volunteer")
    body, photo_uuid, k = survey(houses), str(uuid.uuid4()), key()

    early = put_photo(client, jpeg_with_location(), body["client_uuid"], photo_uuid, k)
    post(client, "field-api-surveys", body, key())
    later = put_photo(client, jpeg_with_location(), body["client_uuid"], photo_uuid, k)

    assert early.status_code == 409
    assert later.status_code == 201
    assert SurveyPhoto.objects.count() == 1


def noise_jpeg(side: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((side, side), 120).convert("RGB").save(out, format="JPEG", quality=100)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"<?php system($_GET['c']); ?>", 400),
        (b"\xff\xd8\xff\xe0" + b"\0" * 5000, 400),  # a JPEG header over nothing
        (b"GIF89a" + b"\0" * 100, 400),
    ],
)
def test_a_disguised_photo_is_refused(houses, settings, tmp_path, data, status):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("nst-volunteer")
    body = survey(houses)
    post(client, "field-api-surveys", body, key())

    response = put_photo(client, data, body["client_uuid"])

    assert response.status_code == status
    assert SurveyPhoto.objects.count() == 0


def test_an_oversized_photo_is_refused_unread(houses, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("nst-volunteer")
    body = survey(houses)
    post(client, "field-api-surveys", body, key())
    big = noise_jpeg(1500)
    assert len(big) > 2 * 1024 * 1024

    response = put_photo(client, big, body["client_uuid"])

    assert response.status_code == 413
    assert SurveyPhoto.objects.count() == 0
