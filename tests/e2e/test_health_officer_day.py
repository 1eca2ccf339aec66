"""Khun Malee's day in a real browser: a new case, its correction, round 1 of its zone, a fix.

The health officer (nst-health) adds a case by clicking its house on the form's map, sees it on
the dengue dashboard, corrects its onset date, records round 1 of its spray zone on the plan
(the form offers round 1), and corrects the round's household counts with a reason.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from layers.dengue.selectors import dengue_situation, zone_id_for_key, zone_key_for_case
from layers.models import Building, DengueCase, Municipality, SprayRound
from layers.tenancy import all_tenants_scope

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
CODE = "E2E-MALEE-0001"
TEAM = "ทีม 3 (ทดสอบ e2e วันทำงาน)"


@pytest.fixture
def cleanup(django_db_setup, django_db_blocker):
    """The live server commits: remove the case, its history and its rounds afterwards."""
    yield
    with django_db_blocker.unblock(), all_tenants_scope():
        SprayRound.objects.filter(team__startswith=TEAM).delete()
        ids = list(DengueCase.objects.filter(source_id=CODE).values_list("id", flat=True))
        DengueCase.objects.filter(id__in=ids).delete()
        with connection.cursor() as cursor:
            # Only the PDPA erase setting lets rows of the case history go (layers.pdpa).
            cursor.execute("SELECT set_config('mueang.history_erase', 'pdpa', true)")
            cursor.execute(
                "DELETE FROM layers_featurehistory WHERE layer = 'cases' AND feature_id = ANY(%s)",
                [ids],
            )
            cursor.execute(
                "UPDATE layers_featurehistory SET inserted_ids = inserted_ids - "
                "(SELECT range_agg(int8range(k, k, '[]')) FROM unnest(%s::bigint[]) k) "
                "WHERE layer = 'cases' AND inserted_ids && "
                "(SELECT range_agg(int8range(k, k, '[]')) FROM unnest(%s::bigint[]) k)",
                [ids, ids],
            )
            cursor.execute(
                "DELETE FROM layers_featurehistory WHERE layer = 'cases' "
                "AND inserted_ids = '{}'::int8multirange"
            )
            cursor.execute("SELECT set_config('mueang.history_erase', '', true)")


def a_house(municipality: Municipality):
    """A building of the city whose point the officer clicks (inside the boundary)."""
    building = Building.objects.filter(municipality=municipality).order_by("id")[40]
    return building.geom.point_on_surface


def click_on_map(page, lon: float, lat: float) -> None:
    page.wait_for_function("window.mueangCaseMap !== undefined")
    # The officer zooms in on the street first (as she would with the + button).
    page.evaluate(
        "([lat, lon]) => window.mueangCaseMap.setView([lat, lon], 18, {animate: false})",
        [lat, lon],
    )
    x, y = page.evaluate(
        """([lat, lon]) => {
            const p = window.mueangCaseMap.latLngToContainerPoint([lat, lon]);
            return [p.x, p.y];
        }""",
        [lat, lon],
    )
    page.locator("#case-map").click(position={"x": x, "y": y})


def drawn_cases(page) -> int:
    page.wait_for_function("window.mueangMap !== undefined")
    return page.evaluate("document.querySelectorAll('path.mueang-case').length")


def test_health_officer_adds_corrects_and_sprays_a_case(cleanup, visit):
    municipality = Municipality.objects.get(code=NST)
    today = timezone.localdate()
    house = a_house(municipality)
    n_before = DengueCase.objects.filter(municipality=municipality).count()
    page = visit.page
    visit.login("nst-health")

    # 1. Add the case from the dashboard, placing it with a click on the map.
    visit.goto(f"/m/{NST}/dengue/")
    page.locator("#dengue-case-add").click()
    page.wait_for_load_state("networkidle")
    page.fill("input[name=source_id]", CODE)
    page.fill("input[name=onset_date]", str(today - timedelta(days=3)))
    page.fill("input[name=report_date]", str(today))
    page.select_option("select[name=diagnosis]", "DHF")
    click_on_map(page, house.x, house.y)
    assert float(page.input_value("input[name=lon]")) == pytest.approx(house.x, abs=2e-5)
    assert float(page.input_value("input[name=lat]")) == pytest.approx(house.y, abs=2e-5)
    page.locator("form.case-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    case = DengueCase.objects.get(municipality=municipality, source_id=CODE)
    assert re.search(rf"/cases/{case.pk}/$", page.url)
    assert page.locator(".dengue-message").count() == 1

    # 2. The dashboard shows it at once: on the map and in the 3-3-1 timers.
    visit.goto(f"/m/{NST}/dengue/")
    assert drawn_cases(page) == n_before + 1
    assert page.locator(f"#timers a[href='/m/{NST}/cases/{case.pk}/']").count() == 1

    # 3. Correct its onset date; the case's history shows the old date and who changed it.
    visit.goto(f"/m/{NST}/cases/{case.pk}/")
    page.locator("#case-edit").click()
    page.wait_for_load_state("networkidle")
    corrected_onset = today - timedelta(days=5)
    page.fill("input[name=onset_date]", str(corrected_onset))
    page.locator("form.case-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    case.refresh_from_db()
    assert case.onset_date == corrected_onset
    history = page.locator("table.case-history").inner_text()
    assert f"{today - timedelta(days=3)} → {corrected_onset}" in history

    # 4. Round 1 of its zone, recorded on today's spray plan; the form offers round 1.
    situation = dengue_situation(municipality=municipality, on=today)
    own_key = zone_key_for_case(municipality_id=municipality.pk, case_id=case.pk)
    zone_id = zone_id_for_key(situation, own_key)
    key = situation.zones.loc[situation.zones["zone_id"] == zone_id, "key"].iloc[0]
    visit.goto(f"/m/{NST}/dengue/spray/")
    sprayed_before = int(re.search(r"\d+", page.locator("#plan-sprayed").inner_text())[0])
    card = page.locator(f"article[data-zone-key={key}]")
    card.locator("details.dengue-record summary").click()
    assert card.locator("select[name=round]").input_value() == f"1:{today}"
    now = timezone.localtime()
    done_at = max(now - timedelta(minutes=30), now.replace(hour=0, minute=0)).strftime("%H:%M")
    card.locator("input[name=done_at]").fill(done_at)
    card.locator("input[name=team]").last.fill(TEAM)
    card.locator("select[name=method]").select_option("ulv")
    card.locator("input[name=chemical]").fill("Deltamethrin")
    card.locator("input[name=households_targeted]").fill("30")
    card.locator("input[name=households_sprayed]").fill("26")
    card.locator("input[name=households_closed]").fill("4")
    card.locator(".dengue-record-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    assert page.locator(".dengue-message").count() == 1
    sprayed_after = int(re.search(r"\d+", page.locator("#plan-sprayed").inner_text())[0])
    assert sprayed_after == sprayed_before + 1
    spray_round = SprayRound.objects.get(team=TEAM)
    assert (spray_round.round_number, spray_round.planned_date) == (1, today)

    # 5. Correct the round: two of the closed houses were sprayed after all.
    page.locator(f"article[data-zone-key={key}] .dengue-recorded a").first.click()
    page.wait_for_load_state("networkidle")
    form = page.locator("form.round-correct-form")
    form.locator("input[name=households_sprayed]").fill("28")
    form.locator("input[name=households_closed]").fill("2")
    form.locator("input[name=reason]").fill("บ้านปิด 2 หลังกลับมาพ่นได้")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    assert page.locator(".round-sprayed").inner_text() == "28"
    corrections = page.locator("table.dengue-round-history").inner_text()
    assert "บ้านปิด 2 หลังกลับมาพ่นได้" in corrections
    assert "26" in corrections
    spray_round.refresh_from_db()
    assert (spray_round.households_sprayed, spray_round.households_closed) == (28, 2)
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []


@pytest.fixture
def a_recorded_round(cleanup, django_db_blocker) -> int:
    """A round committed for the live server to show (removed by `cleanup`)."""
    with django_db_blocker.unblock(), all_tenants_scope():
        municipality = Municipality.objects.get(code=NST)
        first = DengueCase.objects.filter(municipality=municipality).order_by("id").first()
        spray_round = SprayRound.objects.create(
            municipality=municipality,
            zone_key=zone_key_for_case(municipality_id=municipality.pk, case_id=first.pk),
            round_number=1,
            planned_date=first.report_date,
            done_on=first.report_date,
            team=TEAM,
            households_targeted=12,
            households_sprayed=10,
        )
    return spray_round.pk


@pytest.mark.parametrize("name", ["case-add", "case-edit", "case-steps", "round", "case-list"])
def test_the_new_pages_are_accessible_and_fit_a_phone(a_recorded_round, visit, viewport, name):
    from tests.e2e.test_accessibility import AXE, BLOCKING, EXCLUDE, RUN_AXE, describe

    case = DengueCase.objects.filter(municipality__code=NST).order_by("id").first()
    paths = {
        "case-add": f"/m/{NST}/cases/new/",
        "case-edit": f"/m/{NST}/cases/{case.pk}/edit/",
        "case-steps": f"/m/{NST}/cases/{case.pk}/steps/",
        "round": f"/m/{NST}/dengue/spray/rounds/{a_recorded_round}/",
        "case-list": f"/m/{NST}/cases/?status=confirmed&page=2",
    }
    page = visit.page
    page.set_viewport_size(viewport)
    visit.login("nst-health")

    response = visit.goto(paths[name])
    page.wait_for_load_state("networkidle")

    assert response.status == 200
    page.evaluate(AXE.read_text(encoding="utf-8"))
    blocking = [v for v in page.evaluate(RUN_AXE, EXCLUDE) if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []
