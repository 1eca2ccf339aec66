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

import html
import uuid
from pathlib import Path

import folium
import geopandas as gpd
import shapely
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoapp.imports.job import import_action, import_job_kind
from geoapp.imports.services import UploadRefused, upload_inspect, upload_store
from geoapp.jobs import queue as jobs
from geoapp.jobs.views import job_links
from geoapp.models import ImportUpload, Job, JobStatus
from geoapp.web import permissions
from geoapp.web.maps import (
    MapScript,
    escaped_columns,
    feature_collection,
    feature_details,
    map_fragments,
)
from geoapp.web.page_maps import boundary_base_map
from geoapp.web.permissions import Action
from layers.imports import KINDS, ImportLimits, Issue
from layers.imports.mapping import IGNORE, KML_NOISE, id_column_suggest, mapping_resolve
from layers.imports.messages import quoted
from layers.imports.service import SLUG, default_slug
from layers.models import Municipality, PersonalDataAccess
from layers.pdpa.services import upload_personal_read_log
from layers.registry import LayerMap, layers_with

# The kinds offered: the registry's importable layers, in its order, then any other file.
KIND_LABELS: LayerMap[str | Promise] = LayerMap(
    lambda: {
        **{layer.name: layer.label for layer in layers_with(imports=True)},
        "dataset": gettext_lazy("Other dataset (any attributes, kept as a file)"),
    }
)
# The coordinate systems offered when a file has none (DESIGN.md section 5).
CRS_OFFERED = {
    "EPSG:4326": gettext_lazy("WGS 84, latitude/longitude in degrees (GPS)"),
    "EPSG:32647": gettext_lazy("WGS 84 / UTM zone 47N (metres)"),
    "EPSG:32648": gettext_lazy("WGS 84 / UTM zone 48N (metres)"),
    "EPSG:24047": gettext_lazy("Indian 1975 / UTM zone 47N (metres, old maps)"),
    "EPSG:24048": gettext_lazy("Indian 1975 / UTM zone 48N (metres, old maps)"),
}
ENCODINGS = {
    "utf-8": "UTF-8",
    "cp874": gettext_lazy("TIS-620 / Windows-874 (Thai)"),
}
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


def _language() -> str:
    return "en" if (translation.get_language() or "th").startswith("en") else "th"


def _issue_view(issue: dict) -> dict[str, object]:
    """An issue as the templates show it: both languages, the current one first."""
    current = _language()
    other = "th" if current == "en" else "en"
    return {**issue, "text": issue.get(current, ""), "other": issue.get(other, ""), "lang": other}


# Step 1: upload --------------------------------------------------------------------------------


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds


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
                refusal = [_issue_view(issue) for issue in refused.issues]
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


def _csv_points(inspection: dict) -> bool:
    return inspection.get("format") == "CSV" and "WKT" not in (inspection.get("columns") or [])


def _coordinates_given(upload: ImportUpload) -> dict[str, str]:
    return dict(upload.params.get("coordinates") or {})


class PreviewForm(forms.Form):
    layer = forms.ChoiceField(label=gettext_lazy("Layer"), required=False)
    crs = forms.ChoiceField(label=gettext_lazy("Coordinate system"), required=False)
    encoding = forms.ChoiceField(label=gettext_lazy("Text encoding"), required=False)
    lon_column = forms.ChoiceField(label=gettext_lazy("Longitude or x column"), required=False)
    lat_column = forms.ChoiceField(label=gettext_lazy("Latitude or y column"), required=False)


def _preview_form(upload: ImportUpload, inspection: dict, data=None) -> PreviewForm:
    layers = inspection.get("layers") or inspection.get("layer_choices") or []
    crs_choices = [("", _("as the file says"))] if inspection.get("crs") else []
    if not inspection.get("crs"):
        crs_choices = [("", _("choose…"))]
    suggested = inspection.get("crs_suggestions") or []
    ordered = [c for c in suggested if c in CRS_OFFERED] + [
        c for c in CRS_OFFERED if c not in suggested
    ]
    crs_choices += [(c, f"{c} {CRS_OFFERED[c]}") for c in ordered]
    columns = inspection.get("columns") or []
    column_choices = [("", _("none"))] + [(c, c) for c in columns]
    coordinates = _coordinate_columns(upload, inspection)
    initial = {
        "layer": upload.params.get("layer") or inspection.get("layer") or "",
        "crs": upload.params.get("crs") or (suggested[0] if suggested else ""),
        "encoding": upload.params.get("encoding") or "",
        "lon_column": coordinates[0] or "",
        "lat_column": coordinates[1] or "",
    }
    form = PreviewForm(data, initial=initial)
    form.fields["layer"].choices = [("", _("choose…"))] + [(n, n) for n in layers]
    form.fields["crs"].choices = crs_choices
    form.fields["encoding"].choices = [("", _("detect automatically"))] + [
        (k, str(v)) for k, v in ENCODINGS.items()
    ]
    form.fields["lon_column"].choices = column_choices
    form.fields["lat_column"].choices = column_choices
    return form


def _coordinate_columns(upload: ImportUpload, inspection: dict) -> tuple[str | None, str | None]:
    """(longitude/x, latitude/y) columns of a CSV: the user's choice, else the suggestion."""
    columns = inspection.get("columns") or []
    if not columns:
        return None, None
    given = {c: t for c, t in _coordinates_given(upload).items() if c in columns}
    found = mapping_resolve(columns, KINDS["dataset"], given=given, coordinates=True)
    return found.x_column, found.y_column


def _import_started(upload: ImportUpload) -> bool:
    """Whether the upload's import is queued, running or done (not failed or cancelled)."""
    job = upload.import_job
    return job is not None and job.status not in (JobStatus.FAILED, JobStatus.CANCELLED)


class RevealForm(forms.Form):
    purpose = forms.ChoiceField(
        label=gettext_lazy("Why do you need the personal data?"),
        choices=PersonalDataAccess.Purpose.choices,
    )


@login_required
def import_preview(request: HttpRequest, code: str, upload_id: uuid.UUID) -> HttpResponse:
    """Step 2: layer, CRS and encoding; a map of the first features and a table of the rows."""
    upload = _upload_for(request, code, upload_id)
    inspection = upload_inspect(upload)
    may_reveal = permissions.can(request.user, upload.municipality, Action.VIEW_CASES_PERSONAL)
    reveal_form = RevealForm(request.POST if "reveal" in request.POST else None)
    revealed = False
    if "reveal" in request.POST:
        if not may_reveal:
            raise PermissionDenied("revealing personal data needs the health officer's right")
        if reveal_form.is_valid() and inspection.get("personal_columns"):
            upload_personal_read_log(
                municipality_id=upload.municipality_id,
                user=request.user,
                purpose=reveal_form.cleaned_data["purpose"],
                file=upload.display_name,
                columns=list(inspection["personal_columns"]),
            )
            inspection = upload_inspect(upload, reveal_personal=True)
            revealed = True
        form = _preview_form(upload, inspection)
    elif request.method == "POST":
        form = _preview_form(upload, inspection, request.POST)
        if form.is_valid():
            params = dict(upload.params)
            for name in ("layer", "crs", "encoding"):
                params[name] = form.cleaned_data[name] or None
            lon, lat = form.cleaned_data["lon_column"], form.cleaned_data["lat_column"]
            params["coordinates"] = {lon: "lon", lat: "lat"} if lon and lat and lon != lat else {}
            changed = params != upload.params
            upload.params = params
            if changed and not _import_started(upload):
                upload.check_job = None  # the check was of other settings: run it again
            upload.save(update_fields=["params", "check_job"])
            inspection = upload_inspect(upload)
            if request.POST.get("go") == "mapping" and _ready(inspection):
                return redirect("import-mapping", code, upload.pk)
            return redirect("import-preview", code, upload.pk)
    else:
        form = _preview_form(upload, inspection)
    context = {
        "municipality": upload.municipality,
        "upload": upload,
        "kind_label": KIND_LABELS.get(upload.kind, upload.kind),
        "inspection": inspection,
        "issues": [_issue_view(issue) for issue in inspection.get("issues", [])],
        "notes": [_issue_view(note) for note in inspection.get("notes", [])],
        "form": form,
        "ready": _ready(inspection),
        "ask_crs": inspection.get("ok") and not inspection.get("crs"),
        "show_layers": len(inspection.get("layers") or inspection.get("layer_choices") or []) > 1,
        "csv": _csv_points(inspection) or "csv_no_coordinates" in inspection.get("codes", []),
        "step": 2,
        "personal_columns": inspection.get("personal_columns") or [],
        "may_reveal": may_reveal,
        "reveal_form": reveal_form,
        "revealed": revealed,
    }
    sample = inspection.get("sample")
    if sample and sample.get("features"):
        frame = _sample_frame(sample, upload.municipality)
        columns = [c for c in frame.columns if c not in ("geometry", "_outside")]
        head = frame.head(TABLE_ROWS)
        context |= {
            "columns": columns,
            "rows": [
                ([row.get(c) for c in columns], bool(row["_outside"]))
                for row in head.to_dict("records")
            ],
            "sample_count": len(frame),
            "outside_count": int(frame["_outside"].sum()),
            "map": map_fragments(
                _preview_map(upload.municipality, frame, columns), script_nonce=request.csp_nonce
            ),
        }
    return render(request, "geoapp/import/preview.html", context)


def _ready(inspection: dict) -> bool:
    return bool(inspection.get("ok") and inspection.get("crs"))


def _sample_frame(sample: dict, municipality: Municipality) -> gpd.GeoDataFrame:
    """The sample features with an `_outside` flag: not touching the municipal boundary."""
    features = sample["features"]
    geometries = [
        shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None for f in features
    ]
    frame = gpd.GeoDataFrame(
        [f.get("properties") or {} for f in features],
        geometry=gpd.GeoSeries(geometries, crs="EPSG:4326"),
        crs="EPSG:4326",
    )
    boundary = shapely.from_wkb(bytes(municipality.boundary.wkb))
    present = frame.geometry.notna() & ~frame.geometry.is_empty
    frame["_outside"] = False
    frame.loc[present, "_outside"] = ~shapely.intersects(boundary, frame.geometry[present].values)
    return frame


def _preview_map(municipality: Municipality, frame: gpd.GeoDataFrame, columns: list[str]):
    """The sample over the municipal boundary; features outside it drawn in red."""
    fmap, boundary = boundary_base_map(municipality)
    drawn = frame[frame.geometry.notna() & ~frame.geometry.is_empty].reset_index(drop=True)
    shown = columns[:6]
    if len(drawn):
        properties = escaped_columns(drawn, shown)
        properties["_outside"] = [bool(v) for v in drawn["_outside"]]
        outside_label = _("outside the municipality")
        properties["status"] = [html.escape(outside_label) if v else "" for v in drawn["_outside"]]
        labels = {c: c for c in shown} | {"status": _("Note")}
        folium.GeoJson(
            feature_collection(drawn, properties),
            name=_("Features in the file"),
            marker=folium.CircleMarker(radius=6, fill=True, weight=1),
            style_function=lambda f: {
                "color": "#b42318" if f["properties"]["_outside"] else "#1f78b4",
                "fillColor": "#b42318" if f["properties"]["_outside"] else "#1f78b4",
                "weight": 2,
                "fillOpacity": 0.5,
                "className": "mueang-import-outside"
                if f["properties"]["_outside"]
                else "mueang-import-preview",
            },
            **feature_details(drawn, labels, [*shown, "status"]),
        ).add_to(fmap)
    minx, miny, maxx, maxy = (drawn if len(drawn) else boundary).total_bounds
    if len(drawn):
        bminx, bminy, bmaxx, bmaxy = boundary.total_bounds
        minx, miny = min(minx, bminx), min(miny, bminy)
        maxx, maxy = max(maxx, bmaxx), max(maxy, bmaxy)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    MapScript(
        f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"window.mueangImportPreview = {fmap.get_name()};"
    ).add_to(fmap)
    return fmap


# Step 3: mapping -------------------------------------------------------------------------------


def _mapping_exclude(inspection: dict) -> set[str]:
    columns = set(inspection.get("columns") or [])
    exclude = set()
    if inspection.get("format") == "KML":
        exclude |= KML_NOISE & columns
    if inspection.get("format") == "CSV" and not _csv_points(inspection):
        exclude.add("WKT")
    return exclude


def _mapping_suggested(upload: ImportUpload, inspection: dict):
    """The field -> column mapping to preselect: the user's last choice, else the suggestions."""
    columns = inspection.get("columns") or []
    given = {
        c: t for c, t in (upload.params.get("mapping") or {}).items() if c in columns
    } or _coordinates_given(upload)
    return mapping_resolve(
        columns,
        KINDS[upload.kind],
        given=given,
        coordinates=_csv_points(inspection),
        exclude=_mapping_exclude(inspection),
    )


@login_required
def import_mapping(request: HttpRequest, code: str, upload_id: uuid.UUID) -> HttpResponse:
    """Step 3: which column fills which field; the id field for re-imports; the dataset."""
    upload = _upload_for(request, code, upload_id)
    inspection = upload_inspect(upload)
    if not _ready(inspection):
        return redirect("import-preview", code, upload.pk)
    spec = KINDS[upload.kind]
    columns = list(inspection.get("columns") or [])
    usable = [c for c in columns if c not in _mapping_exclude(inspection)]
    coordinates = (None, None)
    if _csv_points(inspection):
        coordinates = _coordinate_columns(upload, inspection)
    usable = [c for c in usable if c not in coordinates]
    suggested = _mapping_suggested(upload, inspection)
    required = set(spec.required())
    stem = Path(upload.display_name).name.split(".", 1)[0]
    values = {
        "fields": {f: suggested.fields.get(f, "") for f in spec.fields},
        "keep": [c for c in usable if c in suggested.fields.values()]
        if upload.params.get("mapping")
        else usable,
        "id_field": upload.params.get("id_field") or "",
        "delete_missing": bool(upload.params.get("delete_missing")),
        "dataset_slug": upload.params.get("dataset_slug")
        or default_slug(upload.display_name, upload.kind),
        "dataset_title": upload.params.get("dataset_title") or stem,
    }
    errors: list[str] = []
    if request.method == "POST":
        values, errors, mapping = _mapping_read(request.POST, upload, spec, usable, coordinates)
        if not errors:
            upload.params = {
                **upload.params,
                "mapping": mapping,
                "id_field": values["id_field"] or None,
                "delete_missing": values["delete_missing"],
                "dataset_slug": values["dataset_slug"],
                "dataset_title": values["dataset_title"],
            }
            if _import_started(upload):
                return redirect("import-run", code, upload.pk)
            upload.check_job = jobs.submit(
                import_job_kind(upload.kind),
                municipality=upload.municipality,
                user=request.user,
                params=_job_params(upload, dry_run=True, confirm_outside=False),
            )
            upload.import_job = None
            upload.save(update_fields=["params", "check_job", "import_job"])
            return redirect("import-check", code, upload.pk)
    labels = _field_labels(spec)
    return render(
        request,
        "geoapp/import/mapping.html",
        {
            "municipality": upload.municipality,
            "upload": upload,
            "kind_label": KIND_LABELS.get(upload.kind, upload.kind),
            "is_dataset": spec.model is None,
            "fields": [
                (f, labels.get(f, f), f in required, values["fields"].get(f, ""))
                for f in spec.fields
            ],
            "columns": usable,
            "all_columns": columns,
            "keep": values["keep"],
            "values": values,
            "coordinates": coordinates,
            "id_hint": id_column_suggest(columns),
            "errors": errors,
            "step": 3,
        },
        status=400 if errors else 200,
    )


def _field_labels(spec) -> dict[str, str]:
    if spec.model is None:
        return {}
    return {f: str(spec.model._meta.get_field(f).verbose_name) for f in spec.fields}


def _mapping_read(post, upload: ImportUpload, spec, usable: list[str], coordinates):
    """The mapping form's values, its errors, and the `--map` style mapping it stands for."""
    errors: list[str] = []
    fields = {f: post.get(f"field_{f}", "") for f in spec.fields}
    keep = [c for c in post.getlist("keep") if c in usable]
    id_field = post.get("id_field", "")
    values = {
        "fields": fields,
        "keep": keep,
        "id_field": id_field if id_field in usable or id_field in coordinates else "",
        "delete_missing": post.get("delete_missing") == "on",
        "dataset_slug": post.get("dataset_slug", "").strip(),
        "dataset_title": post.get("dataset_title", "").strip()[:200],
    }
    mapping: dict[str, str] = {}
    if spec.model is None:
        mapping = {c: IGNORE for c in usable if c not in keep}
    else:
        used: dict[str, str] = {}
        for target, column in fields.items():
            if not column:
                continue
            if column not in usable:
                message = _("The column %(column)s is not in the file.")
                errors.append(message % {"column": quoted(column)})
            elif column in used:
                errors.append(
                    _("The column %(column)s is chosen for both %(first)s and %(second)s.")
                    % {"column": quoted(column), "first": used[column], "second": target}
                )
            else:
                used[column] = target
        for target in spec.required():
            if not fields.get(target):
                errors.append(
                    Issue(
                        "required_unmapped", file=upload.display_name, params={"field": target}
                    ).text(_language())
                )
        mapping = dict(used) | {c: IGNORE for c in usable if c not in used}
    x_column, y_column = coordinates
    if x_column and y_column:
        mapping |= {x_column: "lon", y_column: "lat"}
    if values["delete_missing"] and not values["id_field"]:
        errors.append(_("Deleting features missing from the file needs an id field."))
    slug = values["dataset_slug"]
    if not slug or not SLUG.match(slug) or len(slug) > 80:
        errors.append(_("The dataset identifier may hold only a-z, 0-9, '-' and '_' (up to 80)."))
    if not values["dataset_title"]:
        errors.append(_("Give the dataset a title."))
    return values, errors, mapping


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


# Steps 4 and 5: dry run and import -------------------------------------------------------------


def _job_state(upload: ImportUpload, job: Job) -> dict:
    links = job_links(job) | {
        "cancel": reverse("import-cancel", args=[upload.municipality.code, upload.pk])
    }
    return jobs.as_json(job, links=links)


def _report_view(job: Job) -> dict | None:
    """The job's import report ready for the template (None before it ends)."""
    if not job.finished or not isinstance(job.result, dict):
        return None
    report = job.result
    return {
        **report,
        "counts": [(label, report.get(name, 0)) for name, label in COUNT_LABELS],
        "issues": [_issue_view(issue) for issue in report.get("issues", [])],
        "notes": [_issue_view(note) for note in report.get("notes", [])],
        "hidden": max(0, report.get("issue_count", 0) - len(report.get("issues", []))),
        "blocking": [
            issue
            for issue in report.get("issues", [])
            if issue.get("severity") == "error" and issue.get("code") not in OUTSIDE_CODES
        ],
    }


@login_required
def import_check(request: HttpRequest, code: str, upload_id: uuid.UUID) -> HttpResponse:
    """Step 4: the dry run's progress and report; confirm features outside; start the import."""
    upload = _upload_for(request, code, upload_id)
    job = upload.check_job
    report = _report_view(job) if job is not None else None
    importable = (
        job is not None
        and job.status == JobStatus.SUCCEEDED
        and report is not None
        and not report["blocking"]
    )
    needs_confirm = bool(report and report.get("outside"))
    error = ""
    if request.method == "POST":
        if _import_started(upload):
            return redirect("import-run", code, upload.pk)
        if not importable:
            error = _("Run the check again: the file cannot be imported as it is.")
        elif needs_confirm and request.POST.get("confirm_outside") != "on":
            error = _(
                "Some features lie outside the municipality: tick the box to import them anyway, "
                "or go back and check the coordinate system."
            )
        else:
            # Exactly what the dry run checked, not settings changed since.
            upload.import_job = jobs.submit(
                job.kind,
                municipality=upload.municipality,
                user=request.user,
                params={**job.params, "dry_run": False, "confirm_outside": needs_confirm},
            )
            upload.save(update_fields=["import_job"])
            return redirect("import-run", code, upload.pk)
    return render(
        request,
        "geoapp/import/check.html",
        {
            "municipality": upload.municipality,
            "upload": upload,
            "kind_label": KIND_LABELS.get(upload.kind, upload.kind),
            "job": job,
            "state": _job_state(upload, job) if job is not None else None,
            "report": report,
            "importable": importable,
            "needs_confirm": needs_confirm,
            "error": error,
            "step": 4,
        },
        status=400 if error else 200,
    )


@login_required
def import_run(request: HttpRequest, code: str, upload_id: uuid.UUID) -> HttpResponse:
    """Step 5: the import's progress (cancel while it runs), then its report and the dataset."""
    upload = _upload_for(request, code, upload_id)
    job = upload.import_job
    state = _job_state(upload, job) if job is not None else None
    return render(
        request,
        "geoapp/import/run.html",
        {
            "municipality": upload.municipality,
            "upload": upload,
            "kind_label": KIND_LABELS.get(upload.kind, upload.kind),
            "job": job,
            "state": state,
            "report": _report_view(job) if job is not None else None,
            "step": 5,
        },
    )


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
