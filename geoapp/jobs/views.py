"""Pages of background jobs: a progress bar that updates without reloading, cancel, the result."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from geoapp.jobs import queue as jobs
from geoapp.models import Job
from geoapp.web.permissions import municipality_for


def _job_for(request: HttpRequest, code: str, job_id: uuid.UUID) -> Job:
    """The job if the user may see it; 404 otherwise (job ids of others do not leak)."""
    municipality = municipality_for(request.user, code)
    job = Job.objects.filter(municipality=municipality, pk=job_id).select_related("user").first()
    if job is None or not jobs.may_see(request.user, job):
        raise Http404("No such job")
    return job


def _title(job: Job) -> str:
    spec = jobs.kind_get(job.kind)
    return spec.title() if spec else job.kind


def job_links(job: Job) -> dict[str, str]:
    """Where to poll, view and cancel the job."""
    code = job.municipality.code
    return {
        "self": reverse("job-status", args=[code, job.pk]),
        "page": reverse("job-detail", args=[code, job.pk]),
        "cancel": reverse("job-cancel", args=[code, job.pk]),
    }


@login_required
def job_list(request: HttpRequest, code: str) -> HttpResponse:
    """The user's recent jobs in the municipality (all of them for its administrators)."""
    municipality = municipality_for(request.user, code)
    recent = Job.objects.filter(municipality=municipality).select_related("user")
    newest = recent.order_by("-created_at")[:200]
    visible = [job for job in newest if jobs.may_see(request.user, job)]
    return render(
        request,
        "geoapp/jobs/list.html",
        {"municipality": municipality, "rows": [(job, _title(job)) for job in visible[:50]]},
    )


@login_required
def job_detail(request: HttpRequest, code: str, job_id: uuid.UUID) -> HttpResponse:
    """The job's page: its progress bar, then its result or error."""
    job = _job_for(request, code, job_id)
    state = jobs.as_json(job, links=job_links(job))
    return render(
        request,
        "geoapp/jobs/detail.html",
        {"municipality": job.municipality, "job": job, "state": state},
    )


@login_required
def job_status(request: HttpRequest, code: str, job_id: uuid.UUID) -> JsonResponse:
    """The job's state as JSON (polled by geoapp/js/jobs.js)."""
    job = _job_for(request, code, job_id)
    response = JsonResponse(jobs.as_json(job, links=job_links(job)))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def job_cancel(request: HttpRequest, code: str, job_id: uuid.UUID) -> HttpResponse:
    """Ask the job to stop; a running import then rolls back everything it did."""
    if request.method != "POST":
        # The job's page holds the cancel button (and the 404 for jobs one may not see).
        return job_detail(request, code, job_id)
    job = jobs.cancel(_job_for(request, code, job_id))
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(jobs.as_json(job, links=job_links(job)))
    return redirect("job-detail", code, job.pk)
