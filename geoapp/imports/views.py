"""The import wizard: upload -> preview -> mapping -> dry run -> import, under /m/<code>/import/.

The same service as the `import_layer` command (`layers.imports`): the preview comes from
`source_inspect`, the mapping suggestions from `layers.imports.mapping`, and the dry run and the
import run as `import_layer` background jobs (`geoapp.imports.job`) with a progress bar.

Between steps the wizard keeps its state in an `ImportUpload` row (row-level security by
municipality) and the file under `upload_root(municipality)/<upload id>/`; only the uploader,
while allowed to manage datasets, reaches either. Every step works without JavaScript; the
progress bar then updates on reload.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from geoapp.imports.forms import (
    CheckForm,
    MappingForm,
    RevealForm,
    UploadForm,
    error_texts,
    preview_form,
)
from geoapp.imports.job import import_action
from geoapp.imports.pages import (
    KIND_LABELS,
    issue_view,
    job_context,
    mapping_context,
    mapping_values,
    preview_context,
)
from geoapp.imports.selectors import import_started, inspection_ready, mapping_columns
from geoapp.imports.services import (
    UploadRefused,
    upload_check_start,
    upload_choices_save,
    upload_import_start,
    upload_inspect,
    upload_reveal,
    upload_store,
)
from geoapp.jobs import queue as jobs
from geoapp.models import ImportUpload, JobStatus
from geoapp.web import permissions
from geoapp.web.permissions import Action
from layers.imports import KINDS, ImportLimits
from layers.models import Municipality

# Access ---------------------------------------------------------------------------------------


def _kinds_for(user, municipality: Municipality) -> list[tuple[str, str]]:
    """The kinds this user may import here (a health officer: only dengue cases).

    Each layer needs its import action (dengue cases: the right to edit cases), datasets the
    right to manage datasets.
    """
    allowed = permissions.actions_of(user, municipality)
    return [
        (name, str(label)) for name, label in KIND_LABELS.items() if import_action(name) in allowed
    ]


def _municipality(request: HttpRequest, code: str) -> Municipality:
    """The municipality if the user may import anything there (layers or dengue cases)."""
    municipality = permissions.municipality_for(request.user, code)
    if not permissions.may_import(request.user, municipality):
        raise PermissionDenied("importing needs manage_datasets or edit_cases")
    return municipality


def _upload_for(request: HttpRequest, code: str, upload_id: uuid.UUID) -> ImportUpload:
    """The user's own upload in the municipality; 404 for anyone else's (ids do not leak)."""
    municipality = _municipality(request, code)
    found = ImportUpload.objects.filter(
        municipality=municipality, pk=upload_id, user=request.user
    ).select_related("municipality", "check_job", "import_job")
    if request.method == "POST":
        # One step at a time per upload: a double click or a second tab waits, then sees the
        # first one's result (e.g. the import already started) instead of starting another.
        found = found.select_for_update(of=("self",))
    upload = found.first()
    if upload is None:
        raise Http404("No such upload")
    if upload.kind not in dict(_kinds_for(request.user, municipality)):
        raise PermissionDenied(f"importing {upload.kind} is not allowed")
    return upload


# Step 1: upload --------------------------------------------------------------------------------


@login_required
def import_start(request: HttpRequest, code: str) -> HttpResponse:
    """Step 1: choose what the file holds and upload it."""
    municipality = _municipality(request, code)
    kinds = _kinds_for(request.user, municipality)
    limits = ImportLimits.from_settings()
    refusal: list[dict[str, object]] = []
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, kinds=kinds)
        chosen = request.POST.get("kind")
        if chosen in KIND_LABELS and chosen not in dict(kinds):
            raise PermissionDenied(f"importing {chosen} is not allowed")
        if form.is_valid():
            try:
                upload = upload_store(
                    municipality=municipality, user=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            except UploadRefused as refused:
                refusal = [issue_view(issue) for issue in refused.issues]
            else:
                return redirect("import-preview", municipality.code, upload.pk)
        status = 400
    else:
        form = UploadForm(kinds=kinds)
    return render(
        request,
        "geoapp/import/upload.html",
        {
            "municipality": municipality,
            "form": form,
            "refusal": refusal,
            "limit_mb": limits.max_file_bytes // (1024 * 1024),
            "step": 1,
        },
        status=status,
    )


# Step 2: preview -------------------------------------------------------------------------------


def _reveal(request: HttpRequest, upload: ImportUpload, inspection: dict, form: RevealForm):
    """The inspection with the personal columns shown, once the reason is logged; else as is."""
    if not form.may_reveal:
        raise PermissionDenied("revealing personal data needs the health officer's right")
    if form.is_valid() and inspection.get("personal_columns"):
        revealed = upload_reveal(
            upload=upload,
            user=request.user,
            purpose=form.cleaned_data["purpose"],
            columns=list(inspection["personal_columns"]),
        )
        return revealed, True
    return inspection, False


@login_required
def import_preview(request: HttpRequest, code: str, upload_id: uuid.UUID) -> HttpResponse:
    """Step 2: layer, CRS and encoding; a map of the first features and a table of the rows."""
    upload = _upload_for(request, code, upload_id)
    inspection = upload_inspect(upload)
    may_reveal = permissions.can(request.user, upload.municipality, Action.VIEW_CASES_PERSONAL)
    reveal_form = RevealForm(request.POST if "reveal" in request.POST else None, may=may_reveal)
    revealed = False
    if "reveal" in request.POST:
        inspection, revealed = _reveal(request, upload, inspection, reveal_form)
        form = preview_form(upload, inspection)
    elif request.method == "POST":
        form = preview_form(upload, inspection, request.POST)
        if form.is_valid():
            inspection = upload_choices_save(upload=upload, **form.cleaned_data)
            if request.POST.get("go") == "mapping" and inspection_ready(inspection):
                return redirect("import-mapping", code, upload.pk)
            return redirect("import-preview", code, upload.pk)
    else:
        form = preview_form(upload, inspection)
    context = preview_context(request, upload, inspection) | {
        "form": form,
        "may_reveal": reveal_form.may_reveal,
        "reveal_form": reveal_form,
        "revealed": revealed,
    }
    return render(request, "geoapp/import/preview.html", context)


# Step 3: mapping -------------------------------------------------------------------------------


@login_required
def import_mapping(request: HttpRequest, code: str, upload_id: uuid.UUID) -> HttpResponse:
    """Step 3: which column fills which field; the id field for re-imports; the dataset."""
    upload = _upload_for(request, code, upload_id)
    inspection = upload_inspect(upload)
    if not inspection_ready(inspection):
        return redirect("import-preview", code, upload.pk)
    spec = KINDS[upload.kind]
    columns = mapping_columns(upload, inspection)
    _all, usable, coordinates = columns
    values = mapping_values(upload, inspection, spec, usable)
    errors: list[str] = []
    if request.method == "POST":
        form = MappingForm(
            request.POST, upload=upload, spec=spec, usable=usable, coordinates=coordinates
        )
        if form.is_valid():
            started = upload_check_start(
                upload=upload, user=request.user, mapping=form.mapping, values=form.values
            )
            return redirect("import-check" if started else "import-run", code, upload.pk)
        values, errors = form.values, error_texts(form)
    context = mapping_context(upload, spec, columns, values, errors)
    return render(request, "geoapp/import/mapping.html", context, status=400 if errors else 200)


# Steps 4 and 5: dry run and import -------------------------------------------------------------


@login_required
def import_check(request: HttpRequest, code: str, upload_id: uuid.UUID) -> HttpResponse:
    """Step 4: the dry run's progress and report; confirm features outside; start the import."""
    upload = _upload_for(request, code, upload_id)
    job = upload.check_job
    context = job_context(upload, job, 4)
    report = context["report"]
    importable = (
        job is not None
        and job.status == JobStatus.SUCCEEDED
        and report is not None
        and not report["blocking"]
    )
    needs_confirm = bool(report and report.get("outside"))
    error = ""
    if request.method == "POST":
        if import_started(upload):
            return redirect("import-run", code, upload.pk)
        form = CheckForm(request.POST, importable=importable, needs_confirm=needs_confirm)
        if form.is_valid():
            upload_import_start(
                upload=upload, user=request.user, check_job=job, confirm_outside=needs_confirm
            )
            return redirect("import-run", code, upload.pk)
        error = error_texts(form)[0]
    context |= {"importable": importable, "needs_confirm": needs_confirm, "error": error}
    return render(request, "geoapp/import/check.html", context, status=400 if error else 200)


@login_required
def import_run(request: HttpRequest, code: str, upload_id: uuid.UUID) -> HttpResponse:
    """Step 5: the import's progress (cancel while it runs), then its report and the dataset."""
    upload = _upload_for(request, code, upload_id)
    return render(request, "geoapp/import/run.html", job_context(upload, upload.import_job, 5))


@login_required
def import_cancel(request: HttpRequest, code: str, upload_id: uuid.UUID) -> HttpResponse:
    """Stop the upload's running dry run or import; everything it did rolls back."""
    upload = _upload_for(request, code, upload_id)
    running_import = upload.import_job is not None
    if request.method != "POST":
        # The step's page holds the cancel button.
        return (import_run if running_import else import_check)(request, code, upload_id)
    for job in (upload.import_job, upload.check_job):
        if job is not None and not job.finished:
            jobs.cancel(job)
    return redirect("import-run" if running_import else "import-check", code, upload.pk)
