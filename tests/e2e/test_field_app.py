"""The volunteers' phone app in a phone-sized chromium: a day's survey offline reaches the server
whole through dropped connections, a reload, a new app version and a replay of every request;
two phones editing one survey offline become a conflict a supervisor sees (issue 18).
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from layers.field import assignments
from layers.field.selectors import larval_indices_for
from layers.field.sql import larval_indices_sql
from layers.models import (
    HouseSurvey,
    LarvalContainerCount,
    Municipality,
    SurveyPhoto,
    SyncConflict,
    SyncReceipt,
)
from layers.tenancy import all_tenants_scope
from tests.e2e.conftest import DEMO_PASSWORD
from tests.field_setup import field_assign, field_place
from tests.security.test_report_photos import assert_bare, jpeg_with_location

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
APP = f"/m/{NST}/field/app/"
HOUSES = 30
PHOTOS = 10
#: (type number, location) of the ten rows entered per house: 30 houses, 300 container rows.
ROWS = [(t, loc) for t in (1, 2, 3, 4, 5) for loc in ("indoor", "outdoor")]


@pytest.fixture
def field_committed(django_db_setup, django_db_blocker) -> Iterator[list]:
    """The volunteer's place and houses, committed for the live server; erased afterwards."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic(), all_tenants_scope():
        nst = Municipality.objects.get(code=NST)
        place = field_place(nst)
        houses = field_assign(nst, "nst-volunteer", place)
    yield houses
    with django_db_blocker.unblock(), transaction.atomic(), all_tenants_scope():
        photos = SurveyPhoto.objects.filter(survey__place=place)
        for name in photos.values_list("stored_name", flat=True):
            (Path(settings.MEDIA_ROOT) / name).unlink(missing_ok=True)
        photos.delete()
        SyncConflict.objects.filter(survey__place=place).delete()
        HouseSurvey.objects.filter(place=place).delete()
        SyncReceipt.objects.filter(municipality=nst).delete()
        place.delete()  # its assignments go with it


def phone(browser, app_url: str, username: str = "nst-volunteer"):
    """A 360 x 740 phone, logged in, with the app opened once online (its worker in control)."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="th-TH", has_touch=True
    )
    page = context.new_page()
    page.goto(app_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(app_url + APP)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return context, page


def unsent(page) -> int:
    return int(page.text_content("#outbox-count [data-count]"))


def wait_unsent(page, at_most: int, timeout_s: float = 180) -> None:
    page.wait_for_function(
        "n => Number(document.querySelector('#outbox-count [data-count]').textContent) <= n",
        arg=at_most,
        timeout=timeout_s * 1000,
    )


def survey_house(page, house_id: int, counts: dict, photo: bytes | None = None) -> None:
    page.click(f"button[data-house='{house_id}']")
    page.wait_for_selector("#view-survey:not([hidden])")
    for (kind, location), (containers, positive) in counts.items():
        page.fill(f"input[name='c-{kind}-{location}-containers']", str(containers))
        page.fill(f"input[name='c-{kind}-{location}-positive']", str(positive))
    if photo is not None:
        page.set_input_files(
            "#photo-input",
            files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}],
        )
        page.wait_for_function("() => document.getElementById('photo-count').textContent !== ''")
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("#view-houses:not([hidden])")


def assert_stored_whole(place_id: int, entered: dict, preview: dict) -> None:
    """Every survey, row and photo once in PostGIS, photos bare, indices as the phone showed."""
    nst = Municipality.objects.get(code=NST)
    surveys = HouseSurvey.objects.filter(place_id=place_id)
    assert surveys.count() == HOUSES
    assert set(surveys.values_list("building_id", flat=True)) == set(entered)
    stored_rows = LarvalContainerCount.objects.filter(survey__place_id=place_id)
    expected_rows = sum(1 for rows in entered.values() for n, p in rows.values() if n or p)
    assert stored_rows.count() == expected_rows == HOUSES * len(ROWS)
    for survey in surveys:
        got = {
            (c.container_type.number, c.location): (c.containers, c.positive)
            for c in survey.container_counts.select_related("container_type")
        }
        assert got == entered[survey.building_id]
    photos = SurveyPhoto.objects.filter(survey__place_id=place_id)
    assert photos.count() == PHOTOS
    for photo in photos:
        data = (Path(settings.MEDIA_ROOT) / photo.stored_name).read_bytes()
        assert_bare(data)
        assert b"GPS" not in data
        assert max(Image.open(io.BytesIO(data)).size) <= 1600
        assert photo.received_bytes < 700 * 1024  # resized on the phone before it was sent

    _total, groups = larval_indices_sql(municipality=nst, by="place", round_number=1)
    server = dict(groups)[field_place(nst).name]
    for name in ("hi", "ci", "bi"):
        assert round(getattr(server, name), 2) == round(preview[name], 2), name
    assert server.houses_surveyed == preview["houses_surveyed"]
    assert server.containers_positive == preview["containers_positive"]
    pure = dict(larval_indices_for(municipality=nst, by="place", round_number=1).groups)
    assert pure[field_place(nst).name].hi == server.hi


def test_a_days_survey_offline_arrives_whole_through_drops_reload_update_and_replay(
    field_committed, browser, app_url, db
):
    houses = field_committed[:HOUSES]
    rng = random.Random(18)
    entered = {
        h.building_id: {
            row: (n, rng.randint(0, n) if rng.random() < 0.2 else 0)
            for row in ROWS
            for n in [rng.randint(1, 6)]
        }
        for h in houses
    }
    camera = jpeg_with_location(size=(4000, 3000))
    context, page = phone(browser, app_url)
    sent: list[dict] = []

    def record(request) -> None:
        if "/field/api/" in request.url and request.method in ("POST", "PUT"):
            sent.append(
                {
                    "url": request.url,
                    "method": request.method,
                    "headers": {
                        k: v
                        for k, v in request.headers.items()
                        if k.lower() in ("idempotency-key", "x-csrftoken", "content-type")
                    },
                    "body": request.post_data_buffer,
                }
            )

    page.on("request", record)
    beforeunload: list[str] = []

    def on_dialog(dialog) -> None:
        beforeunload.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)

    # Offline from here on: the app opens from its worker's cache and keeps everything.
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    for i, house in enumerate(houses):
        survey_house(
            page, house.building_id, entered[house.building_id], camera if i < PHOTOS else None
        )
    assert unsent(page) == HOUSES + PHOTOS
    preview = page.evaluate("window.mueangField.indices()")
    assert preview["houses_surveyed"] == HOUSES
    assert preview["containers"] == sum(n for rows in entered.values() for n, _p in rows.values())

    # Three dropped connections: the server stores the request, the phone never hears back.
    drops = {"left": 3}
    seen = {"n": 0}

    def drop_some(route) -> None:
        if route.request.method == "GET":
            route.continue_()
            return
        seen["n"] += 1
        if drops["left"] and seen["n"] in (3, 14, 27):
            drops["left"] -= 1
            route.fetch()  # reaches the server and is stored ...
            route.abort("connectionreset")  # ... but the answer is lost
            return
        route.continue_()

    context.route("**/field/api/**", drop_some)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_unsent(page, HOUSES + PHOTOS - 15)

    # A reload mid-upload, which also brings a new app version from the server.
    old_version = assignments.APP_VERSION
    assignments.APP_VERSION = old_version + "-next"
    try:
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and page.evaluate(
            "async old => { const k = await caches.keys();"
            " return !(k.some(n => n.endsWith('-next')) && !k.some(n => n.endsWith(old))); }",
            old_version,
        ):
            time.sleep(0.5)
        assert page.evaluate(
            "async () => (await caches.keys()).filter(n => n.startsWith('mueang-field-'))"
        ) == [f"mueang-field-{NST}-{old_version}-next"]
        wait_unsent(page, 0)
    finally:
        assignments.APP_VERSION = old_version
    assert drops["left"] == 0
    assert "beforeunload" in beforeunload, "leaving with unsent records must warn"

    # The new version still works offline.
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("window.mueangField.indices()") == preview
    context.set_offline(False)
    context.unroute("**/field/api/**")

    # A deliberate replay of every request the phone made: same answers, nothing new.
    assert len({r["headers"]["idempotency-key"] for r in sent}) >= HOUSES + PHOTOS
    for request in sent:
        response = context.request.fetch(
            request["url"],
            method=request["method"],
            headers=request["headers"],
            data=request["body"],
        )
        assert response.status in (200, 201), (request["url"], response.status, response.text())
        # A photo sent before its survey got a passing "wait" that is not kept: it is held now.
        assert response.headers.get("idempotent-replayed") == "true" or (
            response.json()["status"] == "unchanged"
        )

    assert_stored_whole(houses[0].place_id, entered, preview)
    context.close()


def test_two_phones_editing_one_survey_offline_make_a_conflict_the_supervisor_sees(
    field_committed, browser, app_url, db
):
    house = field_committed[0]
    first, page_a = phone(browser, app_url)
    survey_house(page_a, house.building_id, {(1, "indoor"): (3, 0)})
    wait_unsent(page_a, 0, 60)
    second, page_b = phone(browser, app_url)  # downloads the survey at version 1

    first.set_offline(True)
    second.set_offline(True)
    survey_house(page_a, house.building_id, {(1, "indoor"): (3, 2)})
    survey_house(page_b, house.building_id, {(1, "indoor"): (5, 0)})
    first.set_offline(False)
    page_a.evaluate("window.dispatchEvent(new Event('online'))")
    wait_unsent(page_a, 0, 60)
    second.set_offline(False)
    page_b.evaluate("window.dispatchEvent(new Event('online'))")
    wait_unsent(page_b, 0, 60)
    page_b.click(".tabs button[data-view=outbox]")
    # The outbox list is drawn after the tab opens (slower on a loaded machine): wait for it.
    page_b.locator("#outbox li[data-state=conflict]").first.wait_for(timeout=15_000)

    assert page_b.locator("#outbox li[data-state=conflict]").count() == 1
    survey = HouseSurvey.objects.get(place_id=house.place_id)
    assert survey.version == 2
    assert list(survey.container_counts.values_list("containers", "positive")) == [(3, 2)]
    conflict = SyncConflict.objects.get(survey=survey)
    assert conflict.phone_record["containers"][0]["containers"] == 5

    office = browser.new_context(viewport={"width": 1280, "height": 800}, locale="th-TH")
    supervisor = office.new_page()
    supervisor.goto(app_url + "/accounts/login/")
    supervisor.fill("#id_username", "nst-health")
    supervisor.fill("#id_password", DEMO_PASSWORD)
    supervisor.click("form.login button[type=submit]")
    supervisor.wait_for_load_state("networkidle")
    supervisor.goto(app_url + f"/m/{NST}/field/conflicts/")
    supervisor.click(f"a[href$='/field/conflicts/{conflict.pk}/']")
    assert supervisor.text_content("tr.differs td[data-side=server]") == "3/2"
    assert supervisor.text_content("tr.differs td[data-side=phone]") == "5/0"
    supervisor.click("button[value=kept_phone]")
    supervisor.wait_for_load_state("networkidle")
    survey.refresh_from_db()
    conflict.refresh_from_db()
    assert survey.version == 3
    assert conflict.resolution == "kept_phone"
    assert list(survey.container_counts.values_list("containers", "positive")) == [(5, 0)]
    for context in (first, second, office):
        context.close()


def test_a_poor_gps_fix_asks_for_the_map_and_a_good_one_opens_the_house(
    field_committed, browser, app_url, db
):
    house = field_committed[0]
    context, page = phone(browser, app_url)
    context.grant_permissions(["geolocation"])
    limit = assignments.GPS_LIMIT_M

    context.set_geolocation({"latitude": house.lat, "longitude": house.lon, "accuracy": 80})
    page.click("#gps")
    page.wait_for_function("() => document.getElementById('gps-result').textContent !== ''")
    poor = page.text_content("#gps-result")

    assert "±80" in poor
    assert "poor" in page.get_attribute("#gps-result", "class")
    assert page.is_hidden("#view-survey")

    context.set_geolocation({"latitude": house.lat, "longitude": house.lon, "accuracy": limit / 3})
    page.click("#gps")
    page.wait_for_selector("#view-survey:not([hidden])")

    assert f"±{round(limit / 3)}" in page.text_content("#gps-result")
    assert page.text_content("#survey-house") == (house.label or f"#{house.building_id}")
    context.close()


ZONE = "z0123456789"


@pytest.fixture
def zone_committed(field_committed, django_db_blocker) -> Iterator[str]:
    """The volunteer also assigned a spray zone with a round planned today (committed)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from layers.models import SprayRound

    with django_db_blocker.unblock(), transaction.atomic(), all_tenants_scope():
        nst = Municipality.objects.get(code=NST)
        assignments.assignment_add(
            municipality=nst,
            by=None,
            volunteer_id=get_user_model().objects.get(username="nst-volunteer").pk,
            place=field_place(nst),
            zone_key=ZONE,
            planned_date=timezone.localdate(),
        )
    yield ZONE
    with django_db_blocker.unblock(), transaction.atomic(), all_tenants_scope():
        SprayRound.objects.filter(municipality__code=NST, zone_key=ZONE).delete()


def test_a_spray_round_entered_offline_is_recorded_once_with_the_paper_report_fields(
    zone_committed, browser, app_url, db
):
    from django.utils import timezone

    from layers.models import SprayRound

    today = timezone.localdate()
    context, page = phone(browser, app_url)
    context.set_offline(True)
    page.click(".tabs button[data-view=spray]")
    page.select_option("#spray-zone", zone_committed)
    page.fill("#spray-form input[name=done_on]", today.isoformat())
    page.fill("#spray-form input[name=done_at]", "07:30")
    page.fill("#spray-form input[name=team]", "ทีม อสม. หมู่ 3")
    page.fill("#spray-form input[name=chemical]", "เดลทาเมทริน")
    for name, value in (("targeted", 40), ("sprayed", 35), ("refused", 2), ("closed", 3)):
        page.fill(f"#spray-form input[name=households_{name}]", str(value))
    page.click("#spray-form button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('#outbox-count [data-count]').textContent === '1'"
    )
    assert unsent(page) == 1
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_unsent(page, 0, 60)

    stored = SprayRound.objects.get(municipality__code=NST, zone_key=zone_committed)
    assert stored.client_uuid is not None
    assert (stored.team, stored.households_sprayed, stored.done_at.isoformat()) == (
        "ทีม อสม. หมู่ 3",
        35,
        "07:30:00",
    )
    context.close()
