"""What the import wizard's pages show: labels, issues and reports, and each step's context."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from geoapp.imports.maps import preview_map, sample_frame
from geoapp.imports.selectors import csv_points, inspection_ready, mapping_suggested, page_language
from geoapp.jobs import queue as jobs
from geoapp.jobs.views import job_links
from geoapp.models import ImportUpload, Job
from geoapp.web.maps import map_fragments
from layers.imports.mapping import id_column_suggest
from layers.imports.service import default_slug
from layers.registry import LayerMap, layers_with

# The kinds offered: the registry's importable layers, in its order, then any other file.
KIND_LABELS: LayerMap[str | Promise] = LayerMap(
    lambda: {
        **{layer.name: layer.label for layer in layers_with(imports=True)},
        "dataset": gettext_lazy("Other dataset (any attributes, kept as a file)"),
    }
)
# Refusals that the outside-the-municipality confirmation lifts.
OUTSIDE_CODES = {"outside_summary"}
TABLE_ROWS = 20  # shown in the preview table
COUNT_LABELS = [
    ("created", gettext_lazy("created")),
    ("updated", gettext_lazy("updated")),
    ("unchanged", gettext_lazy("unchanged")),
    ("deleted", gettext_lazy("deleted")),
    ("kept", gettext_lazy("kept (not in the file)")),
    ("repaired", gettext_lazy("geometry repaired")),
    ("outside", gettext_lazy("outside the municipality")),
    ("rejected", gettext_lazy("rejected")),
]


#: What the wizard says instead of the command line's advice (`--map COLUMN=lat`): the wizard
#: has its own controls for the same choice. Thai and English, as the issues carry both.
WIZARD_ADVICE = {
    "csv_no_coordinates": (
        "ไม่พบคอลัมน์พิกัด (lat/lon, ละติจูด/ลองจิจูด, x/y) ให้เลือกคอลัมน์ลองจิจูดและละติจูดในช่องด้านล่าง",
        "no coordinate columns found (lat/lon, ละติจูด/ลองจิจูด, x/y); choose the longitude and "
        "latitude columns below",
    ),
    "required_unmapped": (
        "ไม่มีคอลัมน์สำหรับช่องที่ต้องกรอก {field} ให้เลือกคอลัมน์ในขั้นจับคู่คอลัมน์",
        "no column for the required field {field}; choose one in the column step",
    ),
}


def issue_view(issue: dict) -> dict[str, object]:
    """An issue as the templates show it: both languages, the current one first."""
    current = page_language()
    other = "th" if current == "en" else "en"
    texts = {"th": issue.get("th", ""), "en": issue.get("en", "")}
    if issue.get("code") in WIZARD_ADVICE:
        prefix = f"{issue['file']}: " if issue.get("file") else ""
        field = issue.get("field") or _field_of(issue.get("en", ""))
        thai, english = WIZARD_ADVICE[issue["code"]]
        texts = {
            "th": prefix + thai.format(field=field),
            "en": prefix + english.format(field=field),
        }
    return {**issue, "text": texts[current], "other": texts[other], "lang": other}


def _field_of(english: str) -> str:
    """The field named in a stored English `required_unmapped` text."""
    marker = "required field "
    return english.split(marker, 1)[1].split(";", 1)[0] if marker in english else ""


def upload_context(upload: ImportUpload, step: int) -> dict:
    """What every step after the upload shows: the municipality, the file, what it holds."""
    return {
        "municipality": upload.municipality,
        "upload": upload,
        "kind_label": KIND_LABELS.get(upload.kind, upload.kind),
        "step": step,
    }


# Step 2: preview -------------------------------------------------------------------------------


def preview_context(request: HttpRequest, upload: ImportUpload, inspection: dict) -> dict:
    """The preview's facts about the file, its issues, and the sample's table and map."""
    layers = inspection.get("layers") or inspection.get("layer_choices") or []
    return {
        **upload_context(upload, 2),
        "inspection": inspection,
        "issues": [issue_view(issue) for issue in inspection.get("issues", [])],
        "notes": [issue_view(note) for note in inspection.get("notes", [])],
        "ready": inspection_ready(inspection),
        "ask_crs": inspection.get("ok") and not inspection.get("crs"),
        "show_layers": len(layers) > 1,
        "csv": csv_points(inspection) or "csv_no_coordinates" in inspection.get("codes", []),
        "personal_columns": inspection.get("personal_columns") or [],
        **_sample_context(request, upload, inspection),
    }


def _sample_context(request: HttpRequest, upload: ImportUpload, inspection: dict) -> dict:
    sample = inspection.get("sample")
    if not (sample and sample.get("features")):
        return {}
    frame = sample_frame(sample, upload.municipality)
    columns = [c for c in frame.columns if c not in ("geometry", "_outside")]
    head = frame.head(TABLE_ROWS)
    return {
        "columns": columns,
        "rows": [
            ([row.get(c) for c in columns], bool(row["_outside"]))
            for row in head.to_dict("records")
        ],
        "sample_count": len(frame),
        "outside_count": int(frame["_outside"].sum()),
        "map": map_fragments(
            preview_map(upload.municipality, frame, columns), script_nonce=request.csp_nonce
        ),
    }


# Step 3: mapping -------------------------------------------------------------------------------


def mapping_values(upload: ImportUpload, inspection: dict, spec, usable: list[str]) -> dict:
    """The mapping form's first values: the user's last choices, else the suggestions."""
    suggested = mapping_suggested(upload, inspection)
    params = upload.params
    stem = Path(upload.display_name).name.split(".", 1)[0]
    return {
        "fields": {f: suggested.fields.get(f, "") for f in spec.fields},
        "keep": [c for c in usable if c in suggested.fields.values()]
        if params.get("mapping")
        else usable,
        "id_field": params.get("id_field") or "",
        "delete_missing": bool(params.get("delete_missing")),
        "dataset_slug": params.get("dataset_slug")
        or default_slug(upload.display_name, upload.kind),
        "dataset_title": params.get("dataset_title") or stem,
    }


def _field_labels(spec) -> dict[str, str]:
    if spec.model is None:
        return {}
    return {f: str(spec.model._meta.get_field(f).verbose_name) for f in spec.fields}


def mapping_context(
    upload: ImportUpload,
    spec,
    columns: tuple[list[str], list[str], tuple[str | None, str | None]],
    values: dict,
    errors: list[str],
) -> dict:
    """The mapping page: each field (name, label, required, column chosen), the columns."""
    all_columns, usable, coordinates = columns
    labels = _field_labels(spec)
    required = set(spec.required())
    return {
        **upload_context(upload, 3),
        "is_dataset": spec.model is None,
        "fields": [
            (f, labels.get(f, f), f in required, values["fields"].get(f, "")) for f in spec.fields
        ],
        "columns": usable,
        "all_columns": all_columns,
        "keep": values["keep"],
        "values": values,
        "coordinates": coordinates,
        "id_hint": id_column_suggest(all_columns),
        "errors": errors,
    }


# Steps 4 and 5: dry run and import -------------------------------------------------------------


def report_view(job: Job) -> dict | None:
    """The job's import report ready for the template (None before it ends)."""
    if not job.finished or not isinstance(job.result, dict):
        return None
    report = job.result
    return {
        **report,
        "counts": [(label, report.get(name, 0)) for name, label in COUNT_LABELS],
        "issues": [issue_view(issue) for issue in report.get("issues", [])],
        "notes": [issue_view(note) for note in report.get("notes", [])],
        "hidden": max(0, report.get("issue_count", 0) - len(report.get("issues", []))),
        "blocking": [
            issue
            for issue in report.get("issues", [])
            if issue.get("severity") == "error" and issue.get("code") not in OUTSIDE_CODES
        ],
    }


def job_context(upload: ImportUpload, job: Job | None, step: int) -> dict:
    """A job step's page: the job, its state for the progress bar, its report once ended."""
    if job is None:
        return {**upload_context(upload, step), "job": None, "state": None, "report": None}
    links = job_links(job) | {
        "cancel": reverse("import-cancel", args=[upload.municipality.code, upload.pk])
    }
    return {
        **upload_context(upload, step),
        "job": job,
        "state": jobs.as_json(job, links=links),
        "report": report_view(job),
    }
