"""Writes of the import wizard: storing an upload, caching its inspection, cleaning up.

An upload is an `ImportUpload` row (row-level security by municipality) and its file under
`upload_root(municipality)/<upload id>/`; the views in `geoapp.imports.views` parse the input
and call these.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geoapp.imports.job import PEOPLE_KINDS, import_job_kind, upload_root
from geoapp.imports.selectors import import_started
from geoapp.jobs import queue as jobs
from geoapp.models import ImportUpload, Job, JobStatus
from layers.imports import ImportLimits, ImportRefused, Issue, source_inspect
from layers.imports.messages import quoted
from layers.models import Municipality
from layers.pdpa.services import upload_personal_read_log

SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".fix"}
# A refusal the user can fix in the preview (choose a layer, a CRS, an encoding, coordinates).
FIXABLE = {
    "layer_ambiguous",
    "archive_many_data",
    "layer_not_found",
    "encoding_undetected",
    "encoding_mismatch",
    "encoding_unknown",
    "crs_invalid",
    "crs_no_transformation",
    "csv_no_coordinates",
}
SAMPLE_FEATURES = 200  # drawn on the preview map
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9\u0E00-\u0E7F._-]+")
_HEX_DIR = re.compile(r"^[0-9a-f]{32}$")
log = logging.getLogger(__name__)


class UploadRefused(Exception):
    """The file is refused outright; `issues` as `Issue.as_dict()` gives them."""

    def __init__(self, issues: list[dict]):
        super().__init__([issue.get("code") for issue in issues])
        self.issues = issues


def upload_store(
    *, municipality: Municipality, user: AbstractBaseUser, kind: str, file: UploadedFile
) -> ImportUpload:
    """Store an uploaded file and its `ImportUpload` row, and inspect it.

    Refused before anything is written: a file over the size limit (`UploadRefused`) and a
    single part of a shapefile (`ValidationError` on "file"). A file the preview cannot fix is
    deleted again at once (`UploadRefused` with the reasons). Old uploads are cleaned up first.
    """
    display = _display_name(file.name or "")
    limits = ImportLimits.from_settings()
    if file.size > limits.max_file_bytes:
        too_large = Issue(
            "file_too_large",
            file=display,
            params={"size": file.size, "limit": limits.max_file_bytes},
        )
        raise UploadRefused([too_large.as_dict()])
    if Path(display).suffix.lower() in SHAPEFILE_PARTS:
        message = _(
            "A shapefile is several files (.shp, .shx, .dbf, .prj and .cpg): put "
            "them all in one zip file and upload the zip."
        )
        raise ValidationError({"file": message})
    uploads_clean(municipality)
    upload = ImportUpload(
        municipality=municipality, user=user, kind=kind, display_name=display, size_bytes=file.size
    )
    upload.stored_name = f"{upload.pk.hex}/{_stored_name(display)}"
    path = _path(upload)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as target:
        for chunk in file.chunks():
            target.write(chunk)
    with transaction.atomic():
        upload.save()
    inspection = upload_inspect(upload)
    if inspection["ok"] or set(inspection["codes"]) & FIXABLE:
        return upload
    shutil.rmtree(path.parent, ignore_errors=True)
    upload.delete()
    raise UploadRefused(list(inspection["issues"]))


def _path(upload: ImportUpload) -> Path:
    return upload_root(upload.municipality) / upload.stored_name


def _stored_name(name: str) -> str:
    """The user's file name made safe to store: Thai and ASCII letters, digits, '-', '_', '.'.

    The name is kept as far as possible because the format check reads its suffixes ('.zip',
    '.gdalg.json') and archive messages name the stored file.
    """
    safe = _UNSAFE_NAME.sub("_", name).lstrip("._")[-120:]
    return safe if Path(safe).suffix else f"upload_{safe}"


def _display_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    return re.sub(r"[\x00-\x1f\x7f]", "", base)[:200] or "upload"


def uploads_clean(municipality: Municipality, *, now: datetime.datetime | None = None) -> int:
    """Remove the municipality's uploads older than `MUEANG_IMPORT_UPLOAD_TTL_HOURS` (default 24).

    Uploads whose dry run or import is still queued or running stay. Folders under the upload
    root that no upload row names (left by a crash) go too, by their age. Returns how many.
    """
    hours = getattr(settings, "MUEANG_IMPORT_UPLOAD_TTL_HOURS", 24)
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=hours)
    busy = (JobStatus.QUEUED, JobStatus.RUNNING)
    removed = 0
    stale = ImportUpload.objects.filter(municipality=municipality, created_at__lt=cutoff)
    for upload in stale.select_related("check_job", "import_job"):
        pending = (upload.check_job, upload.import_job)
        if any(job is not None and job.status in busy for job in pending):
            continue
        shutil.rmtree(upload_root(municipality) / upload.pk.hex, ignore_errors=True)
        upload.delete()
        removed += 1
    root = upload_root(municipality)
    if root.is_dir():
        known = {
            pk.hex
            for pk in ImportUpload.objects.filter(municipality=municipality).values_list(
                "pk", flat=True
            )
        }
        for folder in root.iterdir():
            if not (folder.is_dir() and _HEX_DIR.match(folder.name)) or folder.name in known:
                continue
            modified = datetime.datetime.fromtimestamp(folder.stat().st_mtime, tz=datetime.UTC)
            if modified < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


def _inspection_key(upload: ImportUpload) -> dict[str, object]:
    params = upload.params
    return {
        "layer": params.get("layer") or None,
        "crs": params.get("crs") or None,
        "encoding": params.get("encoding") or None,
        "coordinates": dict(params.get("coordinates") or {}),
    }


def upload_inspect(upload: ImportUpload, *, reveal_personal: bool = False) -> dict[str, object]:
    """`source_inspect` for the upload's current choices, cached on the row.

    The preview reads the file as `dataset` (every column, no required field), so a file whose
    columns do not match the kind yet still shows; the mapping step decides the fields. The
    cached sample has its personal columns masked; `reveal_personal` reads the file again for
    this response only (the caller has logged why) and caches nothing.
    """
    key = _inspection_key(upload)
    if not reveal_personal and upload.inspection and upload.inspection.get("key") == key:
        return upload.inspection
    try:
        info = source_inspect(
            municipality=upload.municipality,
            kind="dataset",
            path=_path(upload),
            layer=key["layer"],
            crs=key["crs"],
            encoding=key["encoding"],
            mapping=key["coordinates"] or None,
            display_name=upload.display_name,
            sample_size=SAMPLE_FEATURES,
            people=upload.kind in PEOPLE_KINDS,
            reveal_personal=reveal_personal,
        )
        inspection = {"ok": True, "codes": [], "issues": [], **_json_ready(info)}
    except Exception as error:  # a file must never cause a 500
        inspection = _refused_inspection(upload, error)
    inspection["key"] = key
    if reveal_personal:
        return inspection
    upload.inspection = inspection
    upload.save(update_fields=["inspection"])
    return inspection


def _refused_inspection(upload: ImportUpload, error: Exception) -> dict[str, object]:
    """The inspection of a file the reader refused; any other error reads as "unreadable"."""
    if not isinstance(error, ImportRefused):
        log.exception("inspecting upload %s", upload.pk)
        detail = quoted(type(error).__name__)
        error = ImportRefused(
            [Issue("unreadable", file=upload.display_name, params={"detail": detail})]
        )
    choices: list[str] = []
    for issue in error.issues:
        choices += [str(c) for c in issue.params.get("choices", [])]
    return {
        "ok": False,
        "codes": [issue.code for issue in error.issues],
        "issues": [issue.as_dict() for issue in error.issues],
        "layer_choices": choices,
    }


def _json_ready(info: dict) -> dict:
    return json.loads(json.dumps(info, default=str))


def upload_choices_save(
    *,
    upload: ImportUpload,
    layer: str,
    crs: str,
    encoding: str,
    lon_column: str,
    lat_column: str,
) -> dict[str, object]:
    """Keep the preview's choices; a change drops the check made with the old ones.

    Returns the upload's inspection under the new choices.
    """
    params = dict(upload.params)
    for name, value in (("layer", layer), ("crs", crs), ("encoding", encoding)):
        params[name] = value or None
    lon, lat = lon_column, lat_column
    params["coordinates"] = {lon: "lon", lat: "lat"} if lon and lat and lon != lat else {}
    changed = params != upload.params
    upload.params = params
    if changed and not import_started(upload):
        upload.check_job = None  # the check was of other settings: run it again
    with transaction.atomic():
        upload.save(update_fields=["params", "check_job"])
    return upload_inspect(upload)


def upload_reveal(
    *, upload: ImportUpload, user: AbstractBaseUser, purpose: str, columns: list[str]
) -> dict[str, object]:
    """Log why the user reads the upload's personal columns, and the inspection showing them."""
    upload_personal_read_log(
        municipality_id=upload.municipality_id,
        user=user,
        purpose=purpose,
        file=upload.display_name,
        columns=columns,
    )
    return upload_inspect(upload, reveal_personal=True)


def upload_check_start(
    *, upload: ImportUpload, user: AbstractBaseUser, mapping: dict[str, str], values: dict
) -> Job | None:
    """Keep the mapping step's choices and queue the dry run (None: the import already started).

    `values` are the mapping form's: `id_field`, `delete_missing`, `dataset_slug`,
    `dataset_title`.
    """
    if import_started(upload):
        return None
    upload.params = {
        **upload.params,
        "mapping": mapping,
        "id_field": values["id_field"] or None,
        "delete_missing": values["delete_missing"],
        "dataset_slug": values["dataset_slug"],
        "dataset_title": values["dataset_title"],
    }
    with transaction.atomic():
        upload.check_job = jobs.submit(
            import_job_kind(upload.kind),
            municipality=upload.municipality,
            user=user,
            params=_job_params(upload, dry_run=True, confirm_outside=False),
        )
        upload.import_job = None
        upload.save(update_fields=["params", "check_job", "import_job"])
    return upload.check_job


def upload_import_start(
    *, upload: ImportUpload, user: AbstractBaseUser, check_job: Job, confirm_outside: bool
) -> Job:
    """Queue the import of exactly what the dry run `check_job` checked (not later changes)."""
    with transaction.atomic():
        upload.import_job = jobs.submit(
            check_job.kind,
            municipality=upload.municipality,
            user=user,
            params={**check_job.params, "dry_run": False, "confirm_outside": confirm_outside},
        )
        upload.save(update_fields=["import_job"])
    return upload.import_job


def _job_params(upload: ImportUpload, *, dry_run: bool, confirm_outside: bool) -> dict:
    params = upload.params
    return {
        "upload": upload.stored_name,
        "kind": upload.kind,
        "layer": params.get("layer") or None,
        "crs": params.get("crs") or None,
        "encoding": params.get("encoding") or None,
        "mapping": params.get("mapping") or {},
        "id_field": params.get("id_field") or None,
        "dry_run": dry_run,
        "confirm_outside": confirm_outside,
        "delete_missing": bool(params.get("delete_missing")),
        "dataset_slug": params.get("dataset_slug") or None,
        "dataset_title": params.get("dataset_title") or None,
        "display_name": upload.display_name,
    }
