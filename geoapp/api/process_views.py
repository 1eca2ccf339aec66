"""OGC API - Processes (Part 1: Core, JSON, job list, dismiss) over the analysis processes.

`POST /api/processes/{id}/execution` with `{"inputs": {"municipality": "<code>", ...}}` queues
the process as a background job (always asynchronous: 201 Created, `Location: /api/jobs/{id}`);
`GET /api/jobs/{id}` follows it, `GET /api/jobs/{id}/results` returns its outputs and `DELETE`
dismisses it. Scripts authenticate with `Authorization: Token <key>`, browsers with their
session (and then a CSRF token for POST and DELETE). The roles and municipalities are those of
the pages: another municipality's job or municipality answers 404, a missing right 403.
"""

from __future__ import annotations

import json
import uuid

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from geoapp.accounts.api_auth import challenged
from geoapp.api.views import ApiError, _authenticate
from geoapp.jobs import queue as jobs
from geoapp.jobs.processes import PROCESSES, Process, process_get
from geoapp.models import Job, JobStatus
from geoapp.web.inputs import InputError
from geoapp.web.permissions import can, municipality_for

EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
MAX_BODY_BYTES = 2_000_000
JOB_LIST_LIMIT = 100
STATUS = {
    JobStatus.QUEUED: "accepted",
    JobStatus.RUNNING: "running",
    JobStatus.SUCCEEDED: "successful",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "dismissed",
}


class ProcessError(ApiError):
    """An OGC exception with its type URI (and, for bad input, the message in both languages)."""

    def __init__(self, status: int, code: str, description: str, *, kind: str = "", **extra):
        super().__init__(status, code, description)
        self.kind = kind
        self.extra = extra


def _answer(error: ApiError) -> JsonResponse:
    body = {"code": error.code, "description": error.description, "status": error.status}
    if isinstance(error, ProcessError):
        if error.kind:
            body["type"] = EXCEPTIONS + error.kind
        body.update(error.extra)
    response = JsonResponse(body, status=error.status, json_dumps_params={"ensure_ascii": False})
    if error.status == 401:
        challenged(response)
    return response


def _csrf_failure(request: HttpRequest) -> bool:
    """Session callers of POST/DELETE need the CSRF token (token callers do not: no cookie)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.user.is_authenticated:
        return False
    if "Authorization" in request.headers:
        return False  # authenticated by the header (an invalid one was refused already)
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None


def processes_view(*methods: str):
    """Authenticate (token or session), allow `methods`, answer errors as OGC exception JSON."""

    def decorate(function):
        @csrf_exempt
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method not in methods:
                    response = _answer(
                        ApiError(405, "MethodNotAllowed", f"Use {' or '.join(methods)}.")
                    )
                    response["Allow"] = ", ".join(methods)
                    return response
                _authenticate(request)
                if _csrf_failure(request):
                    raise ApiError(403, "Forbidden", "CSRF token missing or incorrect.")
                response = function(request, *args, **kwargs)
            except ApiError as error:
                return _answer(error)
            response["Cache-Control"] = "no-store"
            return response

        wrapper.__name__ = function.__name__
        wrapper.__doc__ = function.__doc__
        return wrapper

    return decorate


def _url(request: HttpRequest, name: str, **kwargs) -> str:
    return request.build_absolute_uri(reverse(name, kwargs=kwargs))


def _require_user(request: HttpRequest) -> None:
    if not request.user.is_authenticated:
        raise ApiError(401, "NotAuthenticated", "Log in or send Authorization: Token <key>.")


# --- Processes ---------------------------------------------------------------------------------


def _summary(request: HttpRequest, process: Process) -> dict:
    return {
        "id": process.id,
        "title": process.title(),
        "description": process.description(),
        "version": "1.0.0",
        "keywords": list(process.keywords),
        "jobControlOptions": ["async-execute", "dismiss"],
        "outputTransmission": ["value"],
        "links": [
            {
                "href": _url(request, "ogc-process", process_id=process.id),
                "rel": "self",
                "type": "application/json",
                "title": "process description",
            },
            {
                "href": _url(request, "ogc-process-execution", process_id=process.id),
                "rel": REL + "execute",
                "type": "application/json",
                "title": "execute",
            },
        ],
    }


@processes_view("GET")
def process_list(request: HttpRequest) -> HttpResponse:
    """Every process (the list is the same for everyone; running one needs the role)."""
    return JsonResponse(
        {
            "processes": [_summary(request, process) for process in PROCESSES.values()],
            "links": [
                {
                    "href": _url(request, "ogc-processes"),
                    "rel": "self",
                    "type": "application/json",
                }
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _process_or_404(process_id: str) -> Process:
    process = process_get(process_id)
    if process is None:
        raise ProcessError(
            404, "NoSuchProcess", f"No process {process_id[:80]!r}.", kind="no-such-process"
        )
    return process


@processes_view("GET")
def process_description(request: HttpRequest, process_id: str) -> HttpResponse:
    """One process: its inputs and outputs with their schemas."""
    process = _process_or_404(process_id)
    return JsonResponse(
        {**_summary(request, process), "inputs": process.inputs, "outputs": process.outputs},
        json_dumps_params={"ensure_ascii": False},
    )


def _bad_input(error: InputError) -> ProcessError:
    return ProcessError(
        400,
        "InvalidParameterValue",
        error.text(),
        input=error.name[:100],
        messages={"th": error.text("th"), "en": error.text("en")},
    )


def _body_inputs(request: HttpRequest) -> dict:
    """The `inputs` object of the JSON body (400 with a message in both languages otherwise)."""

    def bad(message) -> ProcessError:
        return _bad_input(InputError("body", message))

    if len(request.body) > MAX_BODY_BYTES:
        raise bad(lambda: _("The request body is too large."))
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise bad(
            lambda: _('The body must be JSON: {"inputs": {"municipality": "..."}}.')
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), dict):
        raise bad(lambda: _('The body must be a JSON object with "inputs": {...}.'))
    extra = set(body) - {"inputs", "outputs", "response"}
    if extra:
        name = sorted(extra)[0][:60]
        raise bad(lambda: _("Unknown field %(name)s in the body.") % {"name": name})
    inputs = body["inputs"]
    code = inputs.get("municipality")
    if not isinstance(code, str) or not code.strip():
        raise _bad_input(
            InputError(
                "municipality",
                lambda: _("Send the municipality's code in inputs.municipality."),
            )
        )
    return inputs


@processes_view("POST")
def process_execute(request: HttpRequest, process_id: str) -> HttpResponse:
    """Queue the process for the municipality in the inputs; 201 with the job's status."""
    process = _process_or_404(process_id)
    _require_user(request)
    inputs = _body_inputs(request)
    try:
        municipality = municipality_for(request.user, inputs["municipality"])
    except Http404:
        raise ApiError(404, "NotFound", "No such municipality.") from None
    if not can(request.user, municipality, process.action):
        raise ApiError(403, "Forbidden", f"Your role may not run {process.id}.")
    try:
        params = process.parse(inputs, municipality)
    except InputError as error:
        raise _bad_input(error) from None
    job = jobs.submit(process.id, municipality=municipality, user=request.user, params=params)
    response = JsonResponse(_status_info(request, job), status=201)
    response["Location"] = _url(request, "ogc-job", job_id=str(job.pk))
    return response


# --- Jobs --------------------------------------------------------------------------------------


def _status(job: Job) -> str:
    if job.cancel_requested and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        return "dismissed"
    return STATUS[JobStatus(job.status)]


def _status_info(request: HttpRequest, job: Job) -> dict:
    status = _status(job)
    times = [t for t in (job.finished_at, job.heartbeat_at, job.started_at, job.created_at) if t]
    fraction = job.fraction
    job_id = str(job.pk)
    with translation.override(job.language or "th"):
        message = job.error or job.message or str(JobStatus(job.status).label)
    return {
        "jobID": job_id,
        "processID": job.kind,
        "type": "process",
        "status": status,
        "message": message,
        "created": job.created_at.isoformat(),
        "started": job.started_at.isoformat() if job.started_at else None,
        "finished": job.finished_at.isoformat() if job.finished_at else None,
        "updated": max(times).isoformat(),
        "progress": 0 if fraction is None else max(0, min(100, round(fraction * 100))),
        "links": _status_links(request, job, successful=status == "successful"),
    }


def _status_links(request: HttpRequest, job: Job, *, successful: bool) -> list[dict]:
    job_id = str(job.pk)
    links = [
        {
            "href": _url(request, "ogc-job", job_id=job_id),
            "rel": "self",
            "type": "application/json",
        },
        {
            "href": request.build_absolute_uri(
                reverse("job-detail", args=[job.municipality.code, job.pk])
            ),
            "rel": "alternate",
            "type": "text/html",
            "title": "progress page",
        },
    ]
    if successful:
        links.append(
            {
                "href": _url(request, "ogc-job-results", job_id=job_id),
                "rel": REL + "results",
                "type": "application/json",
            }
        )
    return links


def _job_or_404(request: HttpRequest, job_id: str) -> Job:
    """The caller's process job (or, for administrators, one of their municipality's)."""
    _require_user(request)
    try:
        key = uuid.UUID(job_id)
    except ValueError:
        key = None
    job = (
        Job.objects.filter(pk=key, kind__in=list(PROCESSES)).select_related("municipality").first()
        if key
        else None
    )
    if job is None or not jobs.may_see(request.user, job):
        raise ProcessError(404, "NoSuchJob", f"No job {job_id[:80]!r}.", kind="no-such-job")
    return job


@processes_view("GET")
def job_list(request: HttpRequest) -> HttpResponse:
    """The caller's process jobs, newest first."""
    _require_user(request)
    recent = (
        Job.objects.filter(kind__in=list(PROCESSES))
        .select_related("municipality")
        .order_by("-created_at")[: JOB_LIST_LIMIT * 2]
    )
    visible = [job for job in recent if jobs.may_see(request.user, job)][:JOB_LIST_LIMIT]
    return JsonResponse(
        {
            "jobs": [_status_info(request, job) for job in visible],
            "links": [
                {"href": _url(request, "ogc-jobs"), "rel": "self", "type": "application/json"}
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@processes_view("GET", "DELETE")
def job_status(request: HttpRequest, job_id: str) -> HttpResponse:
    """The job's statusInfo; DELETE dismisses it (a running job stops and rolls back)."""
    job = _job_or_404(request, job_id)
    if request.method == "DELETE":
        if job.status in Job.FINISHED and job.status != JobStatus.CANCELLED:
            # Dismissing a finished job removes it and its results (OGC "dismiss").
            info = {**_status_info(request, job), "status": "dismissed"}
            job.delete()
            return JsonResponse(info)
        job = jobs.cancel(job)
    return JsonResponse(_status_info(request, job))


@processes_view("GET")
def job_results(request: HttpRequest, job_id: str) -> HttpResponse:
    """The outputs of a successful job; an OGC exception while it runs or when it failed."""
    job = _job_or_404(request, job_id)
    if job.status == JobStatus.SUCCEEDED:
        return JsonResponse(job.result or {}, json_dumps_params={"ensure_ascii": False})
    if job.status == JobStatus.FAILED:
        with translation.override(job.language or "th"):
            raise ProcessError(404, "JobResultsFailed", job.error, kind="job-results-failed")
    raise ProcessError(
        404, "ResultNotReady", f"The job is {_status(job)}.", kind="result-not-ready"
    )
