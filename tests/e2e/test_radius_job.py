"""The radius page's full backtest in a real browser: a live progress bar, then the result."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from geoapp.jobs.processes import FULL_BACKTEST_RADII_M
from geoapp.models import Job
from layers.tenancy import all_tenants_scope
from tests.worker import run_in_thread

pytestmark = pytest.mark.e2e

NST = "nakhon-si-thammarat"
# Every job:update the page's progress block sends, with the bar's value at that moment; kept
# in sessionStorage so it survives the page opening the result.
RECORD_UPDATES = """
document.addEventListener("job:update", function (event) {
  var bar = document.querySelector(".job-bar");
  var seen = JSON.parse(sessionStorage.getItem("jobUpdates") || "[]");
  seen.push({status: event.detail.status, progress: event.detail.progress,
             bar: bar && bar.hasAttribute("value") ? bar.value : null,
             label: document.querySelector(".job-status-label").textContent});
  sessionStorage.setItem("jobUpdates", JSON.stringify(seen));
});
"""


def _delete_radius_jobs() -> None:
    """In a thread of its own: its connection commits (the test's own is rolled back)."""

    def run() -> None:
        try:
            with all_tenants_scope():
                Job.objects.filter(kind="recommended-radius").delete()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


@pytest.fixture
def worker(visit):
    running = run_in_thread(poll_s=0.1)
    yield running
    running.stopping.set()
    _delete_radius_jobs()


def test_the_full_backtest_shows_a_live_progress_bar_then_the_result(visit, worker):
    page = visit.page
    page.add_init_script(RECORD_UPDATES)
    visit.login("nst-health")
    visit.goto(f"/m/{NST}/dengue/radius/")

    page.click("form.dengue-radius-job button[type=submit]")
    page.wait_for_selector(".job-progress .job-bar")
    assert "?job=" in page.url
    page.wait_for_selector(".dengue-job-result", timeout=90_000)

    updates = json.loads(page.evaluate("sessionStorage.getItem('jobUpdates')"))
    bars = [u["bar"] for u in updates if u["bar"] is not None]
    assert updates[-1]["status"] == "succeeded"
    assert updates[-1]["bar"] == 1
    assert updates[-1]["label"] == "เสร็จแล้ว"  # Thai first: "Finished"
    assert bars == sorted(bars)  # the bar only moves forward
    rows = page.locator("table.dengue-backtest tbody tr td:first-child").all_inner_texts()
    assert {int(r) for r in FULL_BACKTEST_RADII_M} <= {int(r) for r in rows}
    assert visit.foreign_hosts() == set()
    assert visit.console_errors == []
