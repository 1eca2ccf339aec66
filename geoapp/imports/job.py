"""The kinds of background job the site runs (registered with `geoapp.jobs.queue` at start-up)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from geoapp.jobs import queue as jobs
from geoapp.web.permissions import Action, can
from layers.imports import ImportRefused, layer_import
from layers.imports.messages import ImportCancelled
from layers.registry import LayerNames, layer_find, layers_with

# Kinds of data about people (the registry's `people`): their uploads' columns are personal by
# name too (the wizard's preview masks them), and the file is removed as soon as its import ends.
PEOPLE_KINDS = LayerNames(lambda: [layer.name for layer in layers_with(imports=True, people=True)])
#: The job that imports data, by the right the import needs (a layer's `imports.action`).
IMPORT_JOBS = {Action.EDIT_CASES: "import_cases", Action.MANAGE_DATASETS: "import_layer"}

UPLOADS_DIR = "uploads"


def upload_root(municipality) -> Path:
    """Where a municipality's uploaded files wait for their import (under MEDIA_ROOT)."""
    return Path(settings.MEDIA_ROOT) / UPLOADS_DIR / municipality.code


def upload_path(municipality, name: str) -> Path:
    """The stored upload `name` (relative to the municipality's upload folder), kept inside it."""
    root = upload_root(municipality).resolve()
    path = (root / name).resolve()
    if root not in path.parents:
        raise jobs.JobError(_("The uploaded file is not where it should be."))
    if not path.exists():
        raise jobs.JobError(_("The uploaded file is no longer on the server; upload it again."))
    return path


def _import_result_url(job) -> str | None:
    slug = (job.result or {}).get("dataset")
    if not slug or (job.result or {}).get("dry_run"):
        return None
    return reverse("catalogue-dataset", args=[job.municipality.code, slug])


def import_action(kind: str) -> Action:
    """The right importing data of `kind` needs: the layer's import action; files: datasets."""
    layer = layer_find(kind)
    if layer is None or layer.name != kind or layer.imports is None:
        return Action.MANAGE_DATASETS
    return Action(layer.imports.action)


def import_job_kind(kind: str) -> str:
    """The job kind that imports data of `kind`: cases need the health officers' right."""
    return IMPORT_JOBS[import_action(kind)]


def _import_options(params: dict, path: Path) -> dict:
    """`layer_import`'s options from the job's parameters (see `import_layer_job`)."""
    return {
        "kind": str(params.get("kind", "")),
        "path": path,
        "layer": params.get("layer") or None,
        "crs": params.get("crs") or None,
        "encoding": params.get("encoding") or None,
        "mapping": params.get("mapping") or None,
        "id_field": params.get("id_field") or None,
        "dry_run": bool(params.get("dry_run")),
        "confirm_outside": bool(params.get("confirm_outside")),
        "delete_missing": bool(params.get("delete_missing")),
        "dataset_slug": params.get("dataset_slug") or None,
        "dataset_title": params.get("dataset_title") or None,
        "display_name": params.get("display_name") or path.name,
    }


def _job_failure(ctx: jobs.JobContext, refused: ImportRefused) -> Exception:
    """The job's end for a refused import: cancelled, or failed with the reasons and report."""
    if any(issue.code == "cancelled" for issue in refused.issues):
        return jobs.Cancelled()
    language = "th" if (ctx.job.language or "th").startswith("th") else "en"
    message = "\n".join(issue.text(language) for issue in refused.issues[:20])
    detail = refused.report.as_dict() if refused.report is not None else None
    return jobs.JobError(message, detail)


@jobs.register(
    "import_cases",
    title=lambda: _("Import dengue cases"),
    action=Action.EDIT_CASES,
    result_url=_import_result_url,
)
@jobs.register(
    "import_layer",
    title=lambda: _("Import a file"),
    action=Action.MANAGE_DATASETS,
    result_url=_import_result_url,
)
def import_layer_job(ctx: jobs.JobContext, params: dict) -> dict:
    """Run `layers.imports.layer_import` on an uploaded file; the report is the result.

    Parameters (all but `upload` and `kind` optional) are those of `import_layer`: `upload`
    (the file under the municipality's upload folder), `kind`, `layer`, `crs`, `encoding`,
    `mapping`, `id_field`, `dry_run`, `confirm_outside`, `delete_missing`, `dataset_slug`,
    `dataset_title`, `display_name`.
    """
    kind = str(params.get("kind", ""))
    if import_job_kind(kind) != ctx.job.kind or not can(
        ctx.user, ctx.municipality, import_action(kind)
    ):
        raise jobs.JobError(_("Only health officers may import dengue cases."))
    path = upload_path(ctx.municipality, str(params.get("upload", "")))
    ctx.progress(0, None, _("Reading the file"))

    def progress(done: int, total: int) -> None:
        try:
            ctx.progress(done, total)
        except jobs.Cancelled:
            raise ImportCancelled() from None

    dry_run = bool(params.get("dry_run"))
    try:
        report = layer_import(
            municipality=ctx.municipality,
            user=ctx.user,
            progress=progress,
            **_import_options(params, path),
        )
    except ImportRefused as refused:
        raise _job_failure(ctx, refused) from None
    finally:
        if not dry_run and params.get("kind") in PEOPLE_KINDS:
            # A file of people's records is kept no longer than its import (PDPA: storage
            # limitation); a new import of it needs a new upload.
            path.unlink(missing_ok=True)
    return report.as_dict()
