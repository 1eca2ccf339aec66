"""Background jobs against the real database: a worker thread, a second connection, real commits.

These tests commit (a job's progress is only visible to others once committed), so they do not
use the `db` fixture's rolled-back transaction; each removes what it created.
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from geoapp.imports.job import upload_root
from geoapp.jobs import queue as jobs
from geoapp.models import Job, JobStatus
from geoapp.web.permissions import Action
from layers.models import Dataset, Municipality, Road
from layers.storage import dataset_file_path
from layers.tenancy import all_tenants_scope, tenant_scope
from tests.worker import run_in_thread

CODE = "nakhon-si-thammarat"
release = threading.Event()


@jobs.register("test_count_roads", title=lambda: "count roads", action=Action.VIEW_LAYERS)
def _count_roads(ctx: jobs.JobContext, params: dict) -> dict:
    steps = int(params["steps"])
    for step in range(1, steps + 1):
        ctx.progress(step, steps, f"step {step}")
    return {"roads": Road.objects.filter(municipality=ctx.municipality).count()}


@jobs.register("test_rename_then_wait", title=lambda: "rename", action=Action.EDIT_INFRASTRUCTURE)
def _rename_then_wait(ctx: jobs.JobContext, params: dict) -> dict:
    Road.objects.filter(pk=params["road"]).update(name_th="ถนนที่ยังไม่บันทึก")
    step = 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        step += 1
        ctx.progress(step, 1000, "waiting")
        if release.wait(0.05):
            break
    return {"steps": step}


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Real commits; every job made in the test is deleted afterwards."""
    with django_db_blocker.unblock():
        yield
        with all_tenants_scope():
            Job.objects.filter(kind__in=["test_count_roads", "test_rename_then_wait"]).delete()
            Job.objects.filter(params__display_name="jobs-test.geojson").delete()


def _user(username: str):
    with all_tenants_scope():
        return get_user_model().objects.get(username=username)


def _submit(kind: str, username: str, params: dict) -> Job:
    user = _user(username)
    with transaction.atomic():
        municipality = Municipality.objects.get(code=CODE)
        with tenant_scope(municipality_ids=[municipality.pk], user_id=user.pk):
            return jobs.submit(kind, municipality=municipality, user=user, params=params)


def _fresh(job: Job) -> Job:
    with all_tenants_scope():
        return Job.objects.get(pk=job.pk)


def _wait_for(job: Job, condition, timeout: float = 20.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = _fresh(job)
        if condition(current):
            return current
        time.sleep(0.05)
    raise AssertionError(f"job never reached the condition: {_fresh(job).__dict__}")


def _client(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(_user(username))
    return client


def test_a_worker_runs_a_job_with_progress_and_stores_its_result(committed):
    job = _submit("test_count_roads", "nst-viewer", {"steps": 7})
    assert _fresh(job).status == JobStatus.QUEUED

    ran = jobs.Worker().run_once()

    assert ran is not None
    assert ran.pk == job.pk
    done = _fresh(job)
    with all_tenants_scope():
        roads = Road.objects.filter(municipality__code=CODE).count()
    assert done.status == JobStatus.SUCCEEDED
    assert done.result == {"roads": roads}
    assert (done.done, done.total, done.fraction) == (7, 7, 1.0)
    assert done.started_at <= done.finished_at


def test_progress_is_visible_while_the_jobs_own_transaction_is_open_and_cancel_rolls_back(
    committed,
):
    release.clear()
    with all_tenants_scope():
        road = Road.objects.filter(municipality__code=CODE).order_by("pk").first()
    job = _submit("test_rename_then_wait", "nst-planner", {"road": road.pk})
    worker = run_in_thread(poll_s=0.05)
    try:
        running = _wait_for(job, lambda j: j.status == JobStatus.RUNNING and j.done >= 3)
        assert running.total == 1000
        assert running.message == "waiting"
        with all_tenants_scope():
            # The rename is inside the job's open transaction: nobody else sees it yet.
            assert Road.objects.get(pk=road.pk).name_th == road.name_th

        response = _client("nst-planner").post(
            f"/m/{CODE}/jobs/{job.pk}/cancel/", HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 200
        assert response.json()["cancel_requested"] is True

        cancelled = _wait_for(job, lambda j: j.finished)
    finally:
        release.set()
        worker.stopping.set()
    assert cancelled.status == JobStatus.CANCELLED
    assert cancelled.error
    with all_tenants_scope():
        assert Road.objects.get(pk=road.pk).name_th == road.name_th


def test_the_status_page_and_json_follow_the_job_to_its_end(committed):
    job = _submit("test_count_roads", "nst-viewer", {"steps": 3})
    client = _client("nst-viewer")

    queued = client.get(f"/m/{CODE}/jobs/{job.pk}.json").json()
    page = client.get(f"/m/{CODE}/jobs/{job.pk}/")
    assert queued["status"] == "queued"
    assert queued["progress"] is None
    assert queued["links"]["cancel"] == f"/m/{CODE}/jobs/{job.pk}/cancel/"
    assert page.status_code == 200
    assert b'class="job-bar"' in page.content
    assert b"geoapp/js/jobs.js" in page.content

    jobs.Worker().run_once()
    finished = client.get(f"/m/{CODE}/jobs/{job.pk}.json").json()
    assert finished["status"] == "succeeded"
    assert finished["progress"] == 1.0
    assert finished["result"]["roads"] > 0
    listing = client.get(f"/m/{CODE}/jobs/")
    assert str(job.pk) in listing.content.decode()


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("nst-planner", 200),  # the submitter
        ("nst-admin", 200),  # the municipality's administrator
        ("nst-editor", 404),  # may edit too, but it is not theirs
        ("nst-viewer", 404),  # may not run it at all
        ("chon-admin", 404),  # another municipality
    ],
)
def test_only_the_submitter_and_administrators_see_a_job(committed, username, status):
    with all_tenants_scope():
        road = Road.objects.filter(municipality__code=CODE).first()
    job = _submit("test_rename_then_wait", "nst-planner", {"road": road.pk})
    client = _client(username)

    assert client.get(f"/m/{CODE}/jobs/{job.pk}.json").status_code == status
    assert client.get(f"/m/{CODE}/jobs/{job.pk}/").status_code == status
    cancel = client.post(f"/m/{CODE}/jobs/{job.pk}/cancel/")
    assert cancel.status_code == (302 if status == 200 else 404)
    assert _fresh(job).cancel_requested is (status == 200)


def test_a_queued_job_cancelled_never_runs(committed):
    job = _submit("test_count_roads", "nst-viewer", {"steps": 2})
    with all_tenants_scope():
        jobs.cancel(_fresh(job))

    assert jobs.Worker().run_once() is None
    assert _fresh(job).status == JobStatus.CANCELLED


def test_submitting_needs_the_kinds_permission(committed):
    with pytest.raises(PermissionError):
        _submit("test_rename_then_wait", "nst-viewer", {"road": 1})


def test_a_job_whose_worker_died_is_failed_by_the_next_worker(committed):
    job = _submit("test_count_roads", "nst-viewer", {"steps": 1})
    with all_tenants_scope():
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING,
            started_at=timezone.now() - jobs.STALE_AFTER * 3,
            heartbeat_at=timezone.now() - jobs.STALE_AFTER * 2,
        )

    assert jobs.Worker().run_once() is None
    failed = _fresh(job)
    assert failed.status == JobStatus.FAILED
    assert "ตัวประมวลผลเบื้องหลังหยุดทำงาน" in failed.error  # in the language it was submitted in


def test_a_stale_heartbeat_does_not_fail_a_job_whose_worker_still_holds_it(committed):
    import psycopg2

    job = _submit("test_count_roads", "nst-viewer", {"steps": 1})
    with all_tenants_scope():
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING,
            started_at=timezone.now() - jobs.STALE_AFTER * 3,
            heartbeat_at=timezone.now() - jobs.STALE_AFTER * 2,
        )
    # A worker whose heartbeat stalled but whose working connection (and lock) is alive.
    holder = psycopg2.connect(**connection.get_connection_params())
    try:
        with holder.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s, hashtext(%s))", [jobs.LOCK_CLASS, str(job.pk)]
            )
        assert jobs.Worker().reap_stale() == 0
        assert _fresh(job).status == JobStatus.RUNNING
    finally:
        holder.close()  # the worker's connection ends: its job can no longer commit

    assert jobs.Worker().reap_stale() == 1
    assert _fresh(job).status == JobStatus.FAILED


def test_a_job_of_a_deleted_account_fails_with_a_reason(committed):
    job = _submit("test_count_roads", "nst-viewer", {"steps": 1})
    with all_tenants_scope():
        Job.objects.filter(pk=job.pk).update(user=None)

    jobs.Worker().run_once()

    failed = _fresh(job)
    assert failed.status == JobStatus.FAILED
    assert failed.error
    assert failed.result is None


def test_an_import_runs_as_a_job_and_its_report_is_the_result(committed):
    municipality = Municipality.objects.get(code=CODE)
    folder = upload_root(municipality) / "jobs-test"
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "jobs-test.geojson"
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": f"จุดที่ {n}", "kind": "สถานีสูบน้ำ"},
                        "geometry": {"type": "Point", "coordinates": [99.96 + n / 1000, 8.43]},
                    }
                    for n in range(5)
                ],
            }
        ),
        encoding="utf-8",
    )
    params = {
        "upload": "jobs-test/jobs-test.geojson",
        "kind": "dataset",
        "dataset_slug": "jobs-test-pumps",
        "dataset_title": "สถานีสูบน้ำ (ทดสอบ)",
        "display_name": "jobs-test.geojson",
    }
    job = _submit("import_layer", "nst-planner", params)
    try:
        jobs.Worker().run_once()
        done = _fresh(job)
        assert done.status == JobStatus.SUCCEEDED, done.error
        assert done.result["created"] == 5
        assert done.result["ok"] is True
        state = _client("nst-planner").get(f"/m/{CODE}/jobs/{job.pk}.json").json()
        assert state["result_url"] == f"/m/{CODE}/catalogue/jobs-test-pumps/"
        with all_tenants_scope():
            assert Dataset.objects.filter(
                municipality=municipality, slug="jobs-test-pumps"
            ).exists()
    finally:
        with all_tenants_scope():
            for dataset in Dataset.objects.filter(slug="jobs-test-pumps"):
                dataset.delete()
        dataset_file_path(municipality_code=CODE, slug="jobs-test-pumps").unlink(missing_ok=True)
        source.unlink(missing_ok=True)
        folder.rmdir()


@pytest.mark.parametrize("upload", ["../../../etc/passwd", "nowhere/missing.geojson"])
def test_an_import_job_refuses_files_outside_the_upload_folder(committed, upload):
    job = _submit(
        "import_layer",
        "nst-planner",
        {"upload": upload, "kind": "roads", "display_name": "jobs-test.geojson"},
    )

    jobs.Worker().run_once()

    failed = _fresh(job)
    assert failed.status == JobStatus.FAILED
    assert "passwd" not in failed.error
    assert failed.error


def test_run_jobs_once_empties_the_queue(committed):
    first = _submit("test_count_roads", "nst-viewer", {"steps": 1})
    second = _submit("test_count_roads", "nst-viewer", {"steps": 2})
    out = io.StringIO()

    call_command("run_jobs", "--once", stdout=out)

    assert _fresh(first).status == _fresh(second).status == JobStatus.SUCCEEDED
    assert "jobs run: 2" in out.getvalue()
    assert connection.in_atomic_block is False


def test_uploads_live_under_the_media_root(settings):
    municipality = Municipality(code="x-city")
    assert upload_root(municipality) == Path(settings.MEDIA_ROOT) / "uploads" / "x-city"
