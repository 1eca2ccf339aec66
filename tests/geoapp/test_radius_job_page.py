"""The radius page's background path: submit the full backtest, follow its bar, read its result."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from geoapp.jobs import queue as jobs
from geoapp.jobs.processes import FULL_BACKTEST_PERMUTATIONS, FULL_BACKTEST_RADII_M
from geoapp.models import Job, JobStatus
from layers.tenancy import all_tenants_scope

NST = "nakhon-si-thammarat"
RADIUS = f"/m/{NST}/dengue/radius/"


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield
        with all_tenants_scope():
            Job.objects.filter(kind="recommended-radius").delete()


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    with all_tenants_scope():
        client.force_login(get_user_model().objects.get(username=username))
    return client


def test_the_full_backtest_runs_as_a_job_and_its_result_fills_the_radius_page(committed):
    client = client_for("nst-health")
    quick = client.get(RADIUS)
    assert b'class="dengue-radius-job"' in quick.content

    submitted = client.post(RADIUS)

    assert submitted.status_code == 302
    job_id = re.search(r"\?job=([0-9a-f-]+)$", submitted["Location"]).group(1)
    waiting = client.get(submitted["Location"])
    assert waiting.status_code == 200
    assert b'class="job-bar"' in waiting.content
    assert b"geoapp/js/job_follow.js" in waiting.content
    assert b"data-follow-result" in waiting.content

    jobs.Worker().run_once()

    with all_tenants_scope():
        job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED
    assert job.params["permutations"] == FULL_BACKTEST_PERMUTATIONS
    status = client.get(f"/m/{NST}/jobs/{job_id}.json").json()
    assert status["result_url"] == f"{RADIUS}?job={job_id}"
    done = client.get(submitted["Location"]).content.decode()
    rows = re.findall(r'<table class="dengue-table dengue-backtest">.*?</table>', done, re.S)[0]
    shown = {int(r) for r in re.findall(r'<tr[^>]*><td class="num">(\d+)</td>', rows)}
    assert {int(r) for r in FULL_BACKTEST_RADII_M} <= shown
    assert "dengue-job-result" in done
    assert f"{FULL_BACKTEST_PERMUTATIONS}" in done


@pytest.mark.parametrize(("username", "status"), [("nst-viewer", 403), ("chon-health", 404)])
def test_only_those_who_see_exact_cases_may_run_the_radius_job(committed, username, status):
    with all_tenants_scope():
        before = Job.objects.count()
    assert client_for(username).post(RADIUS).status_code == status
    with all_tenants_scope():
        assert Job.objects.count() == before


def test_another_users_radius_job_is_not_shown(committed):
    submitted = client_for("nst-health").post(RADIUS)

    assert client_for("nst-admin").get(submitted["Location"]).status_code == 200
    assert client_for("nst-viewer").get(submitted["Location"]).status_code == 403
    assert client_for("chon-health").get(submitted["Location"]).status_code == 404
    assert client_for("nst-health").get(f"{RADIUS}?job=not-a-uuid").status_code == 404


@override_settings(MUEANG_RADIUS_SYNC_MAX_CASES=10)
def test_a_long_case_history_is_analysed_in_the_background_not_on_the_page(committed):
    page = client_for("nst-health").get(RADIUS)

    assert page.status_code == 200
    assert b'class="dengue-radius-job"' in page.content
    assert b"dengue-costs" not in page.content  # nothing was computed while the officer waited
