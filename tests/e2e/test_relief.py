"""Scenario 8 in a real browser: a household's claim for the demo flood, from filed to paid.

Each step is taken by the role that takes it: the disaster officer files the claim from the aid
priority list, checks it in the field (a photo with GPS tags goes up and is stored without
them); the committee's approver approves under the event's relief rates (an amount above the
cap is refused first); finance pays in two parts (an overpayment is refused). A second claim of
the same house by the same person is flagged, and the printed list is Thai A4 with page numbers.
"""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.utils import timezone

from layers.models import Municipality, PersonalDataAccess
from layers.relief.models import ReliefClaim, ReliefClaimPhoto
from tests.e2e.conftest import Visit
from tests.layers.test_relief import damaged_buildings, demo_event
from tests.security.test_report_photos import assert_bare, jpeg_with_location

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"


def fresh_national_id() -> str:
    """A valid, fictitious national ID not used before (earlier runs leave their claims)."""
    digits = "9" + "".join(random.choices("0123456789", k=11))
    total = sum(int(d) * w for d, w in zip(digits, range(13, 1, -1), strict=True))
    return digits + str((11 - total % 11) % 10)


_CLEANUP_SQL = """
    ALTER TABLE layers_personaldataaccess DISABLE TRIGGER personaldataaccess_append_only;
    DELETE FROM layers_personaldataaccess WHERE id > %(log)s AND purpose = 'relief';
    ALTER TABLE layers_personaldataaccess ENABLE TRIGGER personaldataaccess_append_only;
    DELETE FROM layers_reliefclaimphoto WHERE claim_id > %(claim)s;
    DELETE FROM layers_reliefclaimpersonal WHERE claim_id > %(claim)s;
    DELETE FROM layers_reliefclaimstep WHERE claim_id > %(claim)s;
    DELETE FROM layers_reliefclaimitem WHERE claim_id > %(claim)s;
    DELETE FROM layers_reliefpayment WHERE claim_id > %(claim)s;
    DELETE FROM layers_reliefclaim WHERE id > %(claim)s;
"""


_TENANTS_SQL = """
    SELECT set_config('mueang.tenants', (SELECT string_agg(id::text, ',')
                                         FROM layers_municipality), true);
"""


def _on_own_connection(django_db_blocker, sql: str, params: dict | None = None) -> list:
    """Run `sql` on a connection of its own (committed), seeing every municipality."""
    from django.db import connections

    with django_db_blocker.unblock():
        connection = connections.create_connection("default")
        try:
            with connection.cursor() as cursor:
                cursor.execute(_TENANTS_SQL + sql, params)
                rows = cursor.fetchall() if cursor.description else []
            connection.commit()
        finally:
            connection.close()
    return rows


@pytest.fixture
def committed_rows_removed(django_db_blocker):
    """Remove what the live server committed: the claims and their access log, photos too.

    The browser's writes are committed (unlike a test's own), so they would outlive the test and
    be seen by later tests; the append-only log's trigger is lifted for this cleanup only. Put
    it before `db` in a test's arguments: it runs after the test's transaction has ended.
    """
    ((claim, log),) = _on_own_connection(
        django_db_blocker,
        "SELECT (SELECT coalesce(max(id), 0) FROM layers_reliefclaim),"
        " (SELECT coalesce(max(id), 0) FROM layers_personaldataaccess);",
    )
    yield
    before = {"claim": claim, "log": log}
    photos = _on_own_connection(
        django_db_blocker,
        "SELECT stored_name FROM layers_reliefclaimphoto WHERE claim_id > %(claim)s;",
        before,
    )
    for (name,) in photos:
        (Path(settings.MEDIA_ROOT) / name).unlink(missing_ok=True)
    _on_own_connection(django_db_blocker, _CLEANUP_SQL, before)


def as_user(browser, app_url: str, username: str) -> Visit:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="th-TH")
    visit = Visit(context.new_page(), app_url)
    visit.login(username)
    return visit


def submit(visit: Visit, form: str) -> None:
    visit.page.locator(f"{form} button[type=submit]").click()
    visit.page.wait_for_load_state("networkidle")


def status(visit: Visit) -> str:
    return visit.page.locator("#relief-status").get_attribute("data-status")


def file_from_the_aid_list(officer: Visit, damage: dict[int, float], national_id: str) -> int:
    """The officer follows the aid list's link for an unclaimed, damaged household."""
    officer.goto(f"/m/{NST}/flood/aid/")
    links = officer.page.locator(".relief-link a[href*='/relief/new/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    href = next(h for h in links if int(parse_qs(urlparse(h).query)["building"][0]) in damage)
    building_id = int(parse_qs(urlparse(href).query)["building"][0])
    officer.page.locator(f".relief-link a[href='{href}']").click()
    officer.page.wait_for_load_state("networkidle")
    assert officer.page.input_value("#id_building") == str(building_id)
    officer.page.fill("#id_full_name", "นางสาวน้ำใส ริมคลอง")
    officer.page.fill("#id_national_id", national_id)
    officer.page.fill("#id_phone", "081-234-5678")
    officer.page.check("#id_item_house")
    officer.page.fill("#id_detail_house", "ผนังและพื้นชั้นล่าง")
    officer.page.check("#id_item_belongings")
    officer.page.fill("#id_detail_belongings", "ตู้เย็น ที่นอน")
    submit(officer, "#relief-claim-form")
    return building_id


def test_a_claim_goes_from_filed_to_paid_by_the_roles_that_take_each_step(
    browser, app_url, committed_rows_removed, db
):
    nst = Municipality.objects.get(code=NST)
    damage = dict(damaged_buildings(nst, demo_event(nst), n=100_000))
    national_id = fresh_national_id()
    today = timezone.localdate().isoformat()

    # The disaster officer files the claim and checks it in the field.
    officer = as_user(browser, app_url, "nst-disaster")
    building_id = file_from_the_aid_list(officer, damage, national_id)
    claim_path = urlparse(officer.page.url).path
    assert re.fullmatch(rf"/m/{NST}/flood/relief/\d+/", claim_path)
    assert status(officer) == "filed"
    house_estimate = officer.page.locator("tr[data-item=house] td").nth(2).inner_text()
    assert house_estimate == f"{damage[building_id]:,.2f}"
    assert officer.page.locator("#relief-approve-form, #relief-pay-form").count() == 0
    officer.page.set_input_files(
        "#relief-photo-form input[type=file]",
        files=[{"name": "field.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_location()}],
    )
    submit(officer, "#relief-photo-form")
    assert officer.page.locator("#relief-photos img").count() == 1
    officer.page.fill("#relief-survey-form input[name=amount_house]", "25000")
    officer.page.fill("#relief-survey-form input[name=amount_belongings]", "4000")
    officer.page.fill("#relief-survey-form input[name=note]", "ตรวจแล้ว น้ำท่วมสูง 80 ซม.")
    submit(officer, "#relief-survey-form")
    assert status(officer) == "surveyed"

    # The committee's approver: above the belongings cap first (refused), then within it.
    approver = as_user(browser, app_url, "nst-approver")
    approver.goto(claim_path)
    assert approver.page.locator("#relief-survey-form, #relief-pay-form").count() == 0
    assert approver.page.locator("#relief-claimant-name").inner_text() == "นางสาวน้ำใส ริมคลอง"
    approver.page.fill("#relief-approve-form input[name=meeting_date]", today)
    assert approver.page.input_value("#relief-approve-form input[name=amount_belongings]") == (
        "4000.00"
    )
    submit(approver, "#relief-approve-form")
    refusal = approver.page.locator("#relief-approve-form [role=alert]").inner_text()
    assert "3,000.00" in refusal
    assert status(approver) == "surveyed"
    approver.page.fill("#relief-approve-form input[name=amount_belongings]", "3000")
    submit(approver, "#relief-approve-form")
    assert status(approver) == "approved"
    assert approver.page.locator("#relief-approved-total").inner_text() == "28,000.00"

    # Finance pays in two parts; a payment above what is left is refused.
    finance = as_user(browser, app_url, "nst-finance")
    finance.goto(claim_path)
    assert finance.page.locator("#relief-approve-form, #relief-survey-form").count() == 0

    def pay(amount: str) -> None:
        finance.page.fill("#relief-pay-form input[name=amount_baht]", amount)
        finance.page.fill("#relief-pay-form input[name=paid_on]", today)
        finance.page.select_option("#relief-pay-form select[name=method]", "transfer")
        finance.page.fill("#relief-pay-form input[name=reference]", "KTB-0001")
        submit(finance, "#relief-pay-form")

    pay("20000")
    assert status(finance) == "approved"
    pay("8000.01")
    assert "28,000.00" in finance.page.locator("#relief-pay-form [role=alert]").inner_text()
    pay("8000")
    assert status(finance) == "paid"
    assert finance.page.locator("#relief-paid").is_visible()
    steps = finance.page.locator("#relief-steps li").evaluate_all(
        "items => items.map(li => li.dataset.step)"
    )
    assert steps == ["filed", "surveyed", "approved", "paid"]

    claim = ReliefClaim.objects.get(pk=int(claim_path.rstrip("/").rsplit("/", 1)[1]))
    assert [(s.status, s.username) for s in claim.steps.all()] == [
        ("filed", "nst-disaster"),
        ("surveyed", "nst-disaster"),
        ("approved", "nst-approver"),
        ("paid", "nst-finance"),
    ]
    photo = ReliefClaimPhoto.objects.get(claim=claim)
    assert_bare((Path(settings.MEDIA_ROOT) / photo.stored_name).read_bytes())
    readers = set(
        PersonalDataAccess.objects.filter(purpose="relief", case_ref=claim.pk).values_list(
            "username", flat=True
        )
    )
    assert {"nst-disaster", "nst-approver", "nst-finance"} <= readers

    # A second claim of the same house by the same person is flagged on both.
    file_again = officer.page.goto(f"{app_url}/m/{NST}/flood/relief/new/?building={building_id}")
    assert file_again.status == 200
    officer.page.fill("#id_full_name", "นางสาวน้ำใส ริมคลอง")
    officer.page.fill("#id_national_id", national_id)
    officer.page.check("#id_item_belongings")
    submit(officer, "#relief-claim-form")
    assert officer.page.locator("#relief-duplicate").is_visible()
    officer.goto(claim_path)
    assert officer.page.locator("#relief-duplicate").is_visible()

    for visit in (officer, approver, finance):
        assert visit.foreign_hosts() == set()
        # The refused approval and payment answered 400, as they should; nothing else failed.
        assert [e for e in visit.console_errors if "status of 400" not in e] == []
        visit.page.context.close()


def test_the_committee_prints_and_downloads_the_list_in_thai(
    browser, app_url, committed_rows_removed, db
):
    approver = as_user(browser, app_url, "nst-approver")
    approver.goto(f"/m/{NST}/flood/relief/")

    with approver.page.expect_download() as download:
        approver.page.locator("#relief-csv").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[:3] == ["เลขที่คำร้อง", "เหตุการณ์", "สถานะ"]

    approver.page.locator("a", has_text="รายชื่อสำหรับพิมพ์ (A4)").click()
    approver.page.wait_for_load_state("networkidle")
    page_rules = approver.page.evaluate(
        """() => [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
                .filter(rule => rule instanceof CSSPageRule)
                .map(rule => ({size: rule.style.getPropertyValue('size'),
                               margins: [...(rule.cssRules || [])].map(m => m.cssText)}))"""
    )
    assert any("a4" in rule["size"].lower() for rule in page_rules)
    assert any("counter(page)" in m for rule in page_rules for m in rule["margins"])
    approver.page.emulate_media(media="print")
    assert approver.page.locator(".site-header").is_hidden()
    font = approver.page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Sarabun" in font
    pdf = approver.page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes
    assert all(abs(float(w) - 841.9) < 2 and abs(float(h) - 595.3) < 2 for w, h in boxes)
    assert approver.foreign_hosts() == set()
    approver.page.context.close()
