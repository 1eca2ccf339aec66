"""Reads of the import wizard: what an upload's inspection and choices say.

The inspection is the cached `source_inspect` answer (`geoapp.imports.services.upload_inspect`);
these read it together with the choices kept in `ImportUpload.params`.
"""

from __future__ import annotations

from django.utils import translation

from geoapp.models import ImportUpload, JobStatus
from layers.imports import KINDS
from layers.imports.mapping import KML_NOISE, mapping_resolve


def page_language() -> str:
    """The active language as the import messages know it: "en" or "th"."""
    return "en" if (translation.get_language() or "th").startswith("en") else "th"


def csv_points(inspection: dict) -> bool:
    """Whether the file is a CSV of points given by two coordinate columns (not WKT)."""
    return inspection.get("format") == "CSV" and "WKT" not in (inspection.get("columns") or [])


def inspection_ready(inspection: dict) -> bool:
    """Whether the file was read and its coordinate system is known (the mapping may start)."""
    return bool(inspection.get("ok") and inspection.get("crs"))


def coordinates_given(upload: ImportUpload) -> dict[str, str]:
    """The coordinate columns the user chose: column -> "lon" or "lat"."""
    return dict(upload.params.get("coordinates") or {})


def coordinate_columns(upload: ImportUpload, inspection: dict) -> tuple[str | None, str | None]:
    """(longitude/x, latitude/y) columns of a CSV: the user's choice, else the suggestion."""
    columns = inspection.get("columns") or []
    if not columns:
        return None, None
    given = {c: t for c, t in coordinates_given(upload).items() if c in columns}
    found = mapping_resolve(columns, KINDS["dataset"], given=given, coordinates=True)
    return found.x_column, found.y_column


def import_started(upload: ImportUpload) -> bool:
    """Whether the upload's import is queued, running or done (not failed or cancelled)."""
    job = upload.import_job
    return job is not None and job.status not in (JobStatus.FAILED, JobStatus.CANCELLED)


def mapping_exclude(inspection: dict) -> set[str]:
    """Columns never offered for mapping: KML's styling noise, a CSV's unused WKT."""
    columns = set(inspection.get("columns") or [])
    exclude = set()
    if inspection.get("format") == "KML":
        exclude |= KML_NOISE & columns
    if inspection.get("format") == "CSV" and not csv_points(inspection):
        exclude.add("WKT")
    return exclude


def mapping_columns(upload: ImportUpload, inspection: dict):
    """The file's columns, those a field may take, and the coordinate columns (x, y)."""
    columns = list(inspection.get("columns") or [])
    usable = [c for c in columns if c not in mapping_exclude(inspection)]
    coordinates = (None, None)
    if csv_points(inspection):
        coordinates = coordinate_columns(upload, inspection)
    return columns, [c for c in usable if c not in coordinates], coordinates


def mapping_suggested(upload: ImportUpload, inspection: dict):
    """The field -> column mapping to preselect: the user's last choice, else the suggestions."""
    columns = inspection.get("columns") or []
    given = {
        c: t for c, t in (upload.params.get("mapping") or {}).items() if c in columns
    } or coordinates_given(upload)
    return mapping_resolve(
        columns,
        KINDS[upload.kind],
        given=given,
        coordinates=csv_points(inspection),
        exclude=mapping_exclude(inspection),
    )
