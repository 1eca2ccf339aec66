"""Background jobs: a queue in PostgreSQL, run by `manage.py run_jobs`, with progress and cancel.

A page or an API call `submit`s a job; a worker process claims it (`SELECT ... FOR UPDATE SKIP
LOCKED`, so several workers never take the same job), runs the registered function in one
transaction scoped to the job's municipality, and stores the result or a readable error. While it
runs, the function reports progress through `JobContext.progress`; that write goes through a
second connection (`ProgressChannel`) and commits at once, so the progress bar moves while the
job's own transaction is still open, and it is also where the worker learns that the user asked
to cancel (the function then raises `Cancelled` and its transaction rolls back).

A worker that dies leaves its job `running` with a stale heartbeat; the next worker to look for
work marks such jobs failed (their transaction died with the connection, so nothing was written).
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connection
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geoapp.models import Job, JobStatus
from geoapp.web.permissions import Action, can
from layers.tenancy import TENANTS_SETTING, all_tenants_scope, tenant_scope

log = logging.getLogger(__name__)

CHANNEL = "mueang_jobs"
# A running job's heartbeat is refreshed this often; silent for STALE_AFTER, it lost its worker.
HEARTBEAT_EVERY = datetime.timedelta(seconds=15)
STALE_AFTER = datetime.timedelta(minutes=2)
# A running job's worker holds this advisory lock (with the job's hash) on the connection doing
# the job's work: it ends with that connection, so a job whose lock is free cannot commit any more.
LOCK_CLASS = 7_245_001
# Progress is written at most this often (the last call of a job always gets through).
PROGRESS_EVERY_S = 0.25


class Cancelled(Exception):
    """Raised inside a job when its user asked to cancel; the job's transaction rolls back."""


class JobError(Exception):
    """A failure to show the user as it is (already translated, specific).

    `detail` (JSON-ready) is kept as the job's result, e.g. the import report that says which rows
    were refused.
    """

    def __init__(self, message: str, detail: object | None = None):
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class JobKind:
    """What a kind of job is called, who may see it, and what runs it."""

    name: str
    title: Callable[[], str]
    action: Action
    run: Callable[[JobContext, dict], dict | None]
    result_url: Callable[[Job], str | None] | None = None


_KINDS: dict[str, JobKind] = {}


def register(
    name: str,
    *,
    title: Callable[[], str],
    action: Action,
    result_url: Callable[[Job], str | None] | None = None,
) -> Callable:
    """Register the decorated function `run(ctx, params) -> result` as the job kind `name`.

    `action` is what a user must be allowed in the job's municipality to submit the job, see its
    progress and read its result; `title` a callable giving the translated name.
    """

    def decorate(run: Callable[[JobContext, dict], dict | None]):
        if name in _KINDS and _KINDS[name].run is not run:
            raise ValueError(f"job kind {name!r} is registered twice")
        _KINDS[name] = JobKind(
            name=name, title=title, action=action, run=run, result_url=result_url
        )
        return run

    return decorate


def kinds() -> dict[str, JobKind]:
    """Every registered kind of job, by name."""
    return dict(_KINDS)


def kind_get(name: str) -> JobKind | None:
    """The registered kind called `name`, or None."""
    return _KINDS.get(name)


def submit(kind: str, *, municipality, user, params: dict[str, Any]) -> Job:
    """Queue a job (inside the caller's transaction: it exists, and wakes a worker, on commit)."""
    spec = _KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown job kind {kind!r}")
    if not can(user, municipality, spec.action):
        raise PermissionError(f"{spec.action} is not allowed")
    job = Job.objects.create(
        municipality=municipality,
        user=user if user.is_authenticated else None,
        kind=kind,
        params=params,
        language=translation.get_language() or "th",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(job.pk)])
    return job


def may_see(user, job: Job) -> bool:
    """The submitter and the municipality's administrators, while they may still take its action."""
    spec = _KINDS.get(job.kind)
    if spec is None or not user.is_authenticated:
        return False
    if not can(user, job.municipality, spec.action):
        return False
    return job.user_id == user.pk or can(user, job.municipality, Action.MANAGE_MEMBERS)


def cancel(job: Job) -> Job:
    """Ask the job to stop: a queued job is cancelled at once, a running one at its next step."""
    updated = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED,
        cancel_requested=True,
        finished_at=timezone.now(),
        message=_("Cancelled before it started."),
    )
    if not updated:
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def as_json(job: Job, *, links: dict[str, str] | None = None) -> dict[str, Any]:
    """The job as the status endpoints show it."""
    spec = _KINDS.get(job.kind)
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "title": spec.title() if spec else job.kind,
        "status": job.status,
        "status_label": str(JobStatus(job.status).label),
        "progress": job.fraction,
        "done": job.done,
        "total": job.total,
        "message": job.message,
        "cancel_requested": job.cancel_requested,
        "error": job.error or None,
        "result": job.result,
        "result_url": (spec.result_url(job) if spec and spec.result_url else None)
        if job.status == JobStatus.SUCCEEDED
        else None,
        "created": job.created_at.isoformat() if job.created_at else None,
        "started": job.started_at.isoformat() if job.started_at else None,
        "finished": job.finished_at.isoformat() if job.finished_at else None,
        "links": links or {},
    }


class ProgressChannel:
    """A second, autocommitting connection for a running job's progress and heartbeat."""

    def __init__(self, job: Job):
        self.job_id = str(job.pk)
        self.tenants = str(job.municipality_id)
        self._lock = threading.Lock()
        self._connection = psycopg2.connect(**connection.get_connection_params())
        self._last_write = 0.0

    def update(self, *, done: int | None, total: int | None, message: str | None) -> bool:
        """Write progress (and the heartbeat); return whether the user asked to cancel."""
        assignments = ["heartbeat_at = now()"]
        values: list[object] = []
        if done is not None:
            assignments.append("done = %s")
            values.append(int(done))
        if total is not None:
            assignments.append("total = %s")
            values.append(int(total))
        if message is not None:
            assignments.append("message = %s")
            values.append(message)
        with self._lock:
            if self._connection.closed:  # lost (a restart, the network): try a new one
                self._connection = psycopg2.connect(**connection.get_connection_params())
            row = self._write(assignments, values)
        self._last_write = time.monotonic()
        return bool(row and row[0])

    def _write(self, assignments: list[str], values: list[object]):
        with self._connection, self._connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [TENANTS_SETTING, self.tenants])
            cursor.execute(
                f"UPDATE geoapp_job SET {', '.join(assignments)} WHERE id = %s "
                "RETURNING cancel_requested",
                [*values, self.job_id],
            )
            return cursor.fetchone()

    def due(self) -> bool:
        return time.monotonic() - self._last_write >= PROGRESS_EVERY_S

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class JobContext:
    """What a job function gets besides its parameters: who, where, and a way to report progress."""

    def __init__(self, job: Job, channel: ProgressChannel | None):
        self.job = job
        self.municipality = job.municipality
        self.user = job.user
        self.params = job.params
        self._channel = channel

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Report how far the job is; raises `Cancelled` if its user asked to stop it."""
        if self._channel is None:
            return
        last = total is not None and done >= total
        if not (last or message or self._channel.due()):
            return
        if self._channel.update(done=done, total=total, message=message):
            raise Cancelled()

    def check_cancelled(self) -> None:
        if self._channel is not None and self._channel.update(done=None, total=None, message=None):
            raise Cancelled()


def _json_safe(value: object) -> object:
    """Round-trip through Django's encoder (dates, decimals, UUIDs) so JSONField accepts it."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


class Worker:
    """Claims queued jobs and runs them one at a time."""

    def __init__(
        self,
        *,
        name: str | None = None,
        poll_s: float = 2.0,
        idle: Callable[[], object] | None = None,
    ):
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.poll_s = poll_s
        self.stopping = threading.Event()
        # Run when the queue is empty, before waiting (geoapp.management.warm: fill the caches).
        self.idle = idle

    # Claiming -----------------------------------------------------------------------------
    def reap_stale(self) -> int:
        """Fail running jobs whose worker stopped (their own transaction died with it)."""
        cutoff = timezone.now() - STALE_AFTER
        with all_tenants_scope():
            stale = list(
                Job.objects.select_for_update(skip_locked=True).filter(
                    status=JobStatus.RUNNING, heartbeat_at__lt=cutoff
                )
            )
            alive = set()
            with connection.cursor() as cursor:
                for job in stale:
                    # Held by a live worker's connection: the job still runs (only its
                    # heartbeat stalled) and may yet commit, so it must not be called failed.
                    cursor.execute(
                        "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))",
                        [LOCK_CLASS, str(job.pk)],
                    )
                    if not cursor.fetchone()[0]:
                        alive.add(job.pk)
            stale = [job for job in stale if job.pk not in alive]
            for job in stale:
                with translation.override(job.language):
                    job.status = JobStatus.FAILED
                    job.error = _(
                        "The job stopped because its worker stopped; nothing it did was saved. "
                        "Please submit it again."
                    )
                job.finished_at = timezone.now()
                job.save(update_fields=["status", "error", "finished_at"])
        return len(stale)

    def claim(self) -> Job | None:
        with all_tenants_scope():
            job = (
                Job.objects.select_for_update(skip_locked=True)
                .filter(status=JobStatus.QUEUED)
                .order_by("created_at")
                .first()
            )
            if job is None:
                return None
            now = timezone.now()
            job.status = JobStatus.RUNNING
            job.started_at = now
            job.heartbeat_at = now
            job.worker = self.name[:100]
            job.save(update_fields=["status", "started_at", "heartbeat_at", "worker"])
        return job

    # Running ------------------------------------------------------------------------------
    def run_once(self) -> Job | None:
        """Claim and run one job; return it (finished), or None if the queue was empty."""
        close_old_connections()
        self.reap_stale()
        job = self.claim()
        if job is None:
            return None
        self.run(job)
        return job

    def run(self, job: Job) -> None:
        spec = _KINDS.get(job.kind)
        channel: ProgressChannel | None = None
        status, result, error = JobStatus.FAILED, None, ""
        beat = threading.Event()
        locked = False
        with translation.override(job.language):
            try:
                if spec is None:
                    raise JobError(_("This kind of job is not known to this server."))
                if job.user is None:
                    raise JobError(_("The account that submitted this job no longer exists."))
                self._lock(job, take=True)
                locked = True
                channel = ProgressChannel(job)
                heart = threading.Thread(
                    target=self._heartbeat,
                    args=(channel, beat),
                    name="mueang-job-heartbeat",  # fork-safe: an import may fork beside it
                    daemon=True,
                )
                heart.start()
                with tenant_scope(municipality_ids=[job.municipality_id], user_id=job.user_id):
                    if not can(job.user, job.municipality, spec.action):
                        raise JobError(_("You are no longer allowed to run this job."))
                    result = spec.run(JobContext(job, channel), dict(job.params))
                status = JobStatus.SUCCEEDED
            except Cancelled:
                status, error = JobStatus.CANCELLED, _("Cancelled; nothing was changed.")
            except JobError as failure:
                error, result = str(failure), failure.detail
            except Exception:
                log.exception("job %s (%s) failed", job.pk, job.kind)
                error = _(
                    "The job failed with an unexpected error; nothing was changed. "
                    "Reference: %(ref)s"
                ) % {"ref": str(job.pk)[:8]}
            finally:
                beat.set()
                if channel is not None:
                    channel.close()
                if locked:  # the work has committed or rolled back: nothing more can commit
                    self._lock(job, take=False)
            self._finish(job, status=status, result=result, error=error)

    @staticmethod
    def _lock(job: Job, *, take: bool) -> None:
        """Take (or give back) the job's advisory lock on the connection doing its work."""
        function = "pg_advisory_lock" if take else "pg_advisory_unlock"
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {function}(%s, hashtext(%s))", [LOCK_CLASS, str(job.pk)])
        except Exception:
            if take:
                raise
            # Releasing failed because the connection is gone, which released the lock too.
            log.warning("could not release the lock of job %s", job.pk)

    def _heartbeat(self, channel: ProgressChannel, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                channel.update(done=None, total=None, message=None)
            except psycopg2.Error as failure:  # keep beating: the next try reconnects
                log.warning("job heartbeat: %s", failure)

    def _finish(self, job: Job, *, status: str, result: object, error: str) -> None:
        close_old_connections()
        try:
            with tenant_scope(municipality_ids=[job.municipality_id], user_id=job.user_id):
                fields = {"status": status, "finished_at": timezone.now(), "error": error}
                if result is not None:
                    fields["result"] = _json_safe(result)
                if status == JobStatus.SUCCEEDED:
                    fields["done"] = Coalesce(F("total"), F("done"))
                if not Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(**fields):
                    log.warning("job %s was no longer running when it ended", job.pk)
                job.refresh_from_db()
        except Exception:
            # The database went away: the next worker's reap marks the job failed.
            log.exception("could not record the end of job %s", job.pk)
            connection.close()

    # The loop -----------------------------------------------------------------------------
    def run_forever(self) -> None:
        """Run jobs until `stopping` is set; sleep on LISTEN between them."""
        listener = None
        while not self.stopping.is_set():
            try:
                if self.run_once() is not None:
                    continue
                if self.idle is not None:
                    self.idle()
                listener = listener or self._listen()
                self._wait(listener)
            except Exception as failure:  # keep serving after a database restart
                log.warning("job worker: %s; retrying", failure)
                listener = None
                close_old_connections()
                self.stopping.wait(self.poll_s)

    def _listen(self):
        listener = psycopg2.connect(**connection.get_connection_params())
        listener.autocommit = True
        with listener.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
        return listener

    def _wait(self, listener) -> None:
        ready, _w, _x = select.select([listener], [], [], self.poll_s)
        if ready:
            listener.poll()
            listener.notifies.clear()
