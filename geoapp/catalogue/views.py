"""The data catalogue (members) and the open-data pages (public): find, preview, download.

Who may read a dataset of a municipality (`permissions.dataset_access`):

- members (VIEW_LAYERS) read its public and internal datasets;
- private datasets only the owning roles: planners, editors and administrators
  (MANAGE_DATASETS);
- dengue case datasets, whatever their visibility, only with exact-location rights
  (VIEW_CASES_EXACT: health officers, administrators); other staff see cases only masked;
- anyone, without logging in, reads public datasets under /open/<code>/, never dengue cases.

A dataset the caller may not read answers 404, like one that does not exist.
"""

from __future__ import annotations

import html
import json
import shutil
import tempfile
from datetime import date
from pathlib import Path

import folium
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from geoapp.catalogue.raster import (
    is_raster,
    raster_dataset_context,
    raster_downloads,
    raster_export_response,
)
from geoapp.history.views import dataset_history_context, deleted_datasets_context
from geoapp.templatetags.thaiformat import cell_text
from geoapp.web import permissions
from geoapp.web.cached_maps import cached_map_fragments
from geoapp.web.inputs import InputError, choice_input, search_text_input
from geoapp.web.maps import (
    MapScript,
    escaped_columns,
    feature_collection,
    feature_details,
    map_fragments,
)
from geoapp.web.page_maps import boundary_base_map
from geoapp.web.permissions import Action, dataset_access
from layers.caching import layer_versions
from layers.catalogue.exports import ExportFormat, dataset_export
from layers.catalogue.selectors import (
    KIND_COLUMNS,
    PUBLIC_ACCESS,
    VECTOR_KINDS,
    CatalogueFilters,
    FeatureFilters,
    dataset_choice_fields,
    dataset_columns,
    dataset_divisions,
    dataset_feature_count,
    dataset_frame,
    dataset_get,
    dataset_list,
    dataset_text_fields,
)
from layers.models import Dataset, Municipality
from layers.registry import layer_find
from layers.tenancy import tenant_scope

PREVIEW_FEATURES = 2_000
TABLE_ROWS = 50
TABLE_SEARCH_CHARS = 100
EXPORT_FORMATS = {f.value for f in ExportFormat}
FORMATS = [
    (ExportFormat.GEOJSON, "GeoJSON"),
    (ExportFormat.GPKG, "GeoPackage"),
    (ExportFormat.CSV, "CSV (zip)"),
    (ExportFormat.SHP, "Shapefile (zip)"),
]


def _date_param(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> CatalogueFilters:
    params = request.GET
    return CatalogueFilters(
        text=params.get("q", "").strip()[:200],
        division=params.get("division", ""),
        kind=params.get("kind", "") if params.get("kind") in Dataset.Kind.values else "",
        visibility=(
            params.get("visibility", "")
            if params.get("visibility") in Dataset.Visibility.values
            else ""
        ),
        updated_from=_date_param(params.get("updated_from", "")),
        updated_to=_date_param(params.get("updated_to", "")),
        order="updated" if params.get("order") == "updated" else "title",
    )


#: Columns of registered layers that are not fields of their model (a related field's value).
DERIVED_COLUMN_LABELS = {
    "subdistrict_code": gettext_lazy("subdistrict code"),
    "subdistrict_name_th": gettext_lazy("subdistrict"),
}


def _column_label(dataset: Dataset, column: str) -> tuple[str, bool]:
    """A column's (translated) field name, and whether it is the file's own name (data)."""
    if column in DERIVED_COLUMN_LABELS and dataset.kind in KIND_COLUMNS:
        return str(DERIVED_COLUMN_LABELS[column]), False
    if dataset.kind not in KIND_COLUMNS:
        return column, True
    try:
        return str(KIND_COLUMNS[dataset.kind][0]._meta.get_field(column).verbose_name), False
    except FieldDoesNotExist:
        return column, True


@login_required
@require_GET
def catalogue(request: HttpRequest, code: str) -> HttpResponse:
    """The datasets the user may read, searched and filtered (see the module docstring)."""
    municipality = permissions.municipality_requiring(request.user, code, Action.VIEW_LAYERS)
    access = dataset_access(request.user, municipality)
    filters = _filters(request)
    datasets = list(dataset_list(municipality=municipality, access=access, filters=filters))
    return render(
        request,
        "geoapp/catalogue/catalogue.html",
        {
            "municipality": municipality,
            "datasets": datasets,
            "filters": filters,
            "divisions": dataset_divisions(municipality=municipality, access=access),
            "kinds": Dataset.Kind.choices,
            "visibilities": Dataset.Visibility.choices,
            "open_url": reverse("open-datasets", kwargs={"code": municipality.code}),
            "can_import": permissions.may_import(request.user, municipality),
        }
        | deleted_datasets_context(request, municipality),
    )


@login_required
@require_GET
def catalogue_dataset(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    """A dataset's metadata, map preview, attribute table, licence, downloads and history."""
    municipality = permissions.municipality_requiring(request.user, code, Action.VIEW_LAYERS)
    dataset = dataset_get(
        municipality=municipality, slug=slug, access=dataset_access(request.user, municipality)
    )
    if dataset is None:
        raise Http404("No such dataset")
    context = {
        "municipality": municipality,
        "dataset": dataset,
        "created_on": _local_date(dataset.created_at),
        "updated_on": _local_date(dataset.updated_at),
        "preview_limit": PREVIEW_FEATURES,
        "downloads": _downloads(dataset, "catalogue-export"),
        "can_delete": permissions.can(request.user, municipality, Action.MANAGE_DATASETS),
    } | dataset_history_context(request, municipality, dataset)
    status = 200
    if dataset.kind in VECTOR_KINDS:
        try:
            context |= _attribute_table(request, dataset)
        except InputError as error:
            context |= {"table_error": str(error), **_table_search(dataset)}
            status = 400
        # Feature history links only where the rows are features of a layer with history.
        context["row_history"] = context.get("features_tracked", False)
        context["map"] = _preview_map_fragments(request, municipality, dataset)
    elif is_raster(dataset):
        context |= raster_dataset_context(request, municipality, dataset)
    return render(request, "geoapp/catalogue/dataset.html", context, status=status)


def _table_search(dataset: Dataset) -> dict[str, object]:
    """What the attribute table can be searched and filtered by (layers' datasets only)."""
    return {
        "searchable": bool(dataset_text_fields(dataset=dataset)),
        "choice_fields": dataset_choice_fields(dataset=dataset),
    }


def _table_filters(request: HttpRequest, dataset: Dataset) -> FeatureFilters:
    """`q` and one value per choice column, from the query; InputError when unusable."""
    text = search_text_input(request.GET.get("q"), "q", max_chars=TABLE_SEARCH_CHARS)
    chosen = []
    for field in dataset_choice_fields(dataset=dataset):
        values = [value for value, _label in field.choices]
        value = choice_input(request.GET.get(field.name) or None, field.name, values, default="")
        if value:
            chosen.append((field.name, value))
    return FeatureFilters(text=text, choices=tuple(chosen))


def _attribute_table(request: HttpRequest, dataset: Dataset) -> dict[str, object]:
    """One page of the dataset's features matching the table's search and filters."""
    filters = _table_filters(request, dataset)
    total = dataset_feature_count(dataset=dataset, filters=filters)
    page = Paginator(range(total), TABLE_ROWS).get_page(request.GET.get("page"))
    rows = dataset_frame(
        dataset=dataset,
        offset=page.start_index() - 1 if total else 0,
        limit=TABLE_ROWS,
        filters=filters,
    )
    columns = dataset_columns(dataset=dataset)
    kept = request.GET.copy()
    kept.pop("page", None)
    all_features = total if not filters.applied() else dataset_feature_count(dataset=dataset)
    return {
        "total": all_features,
        "matching": total,
        "filters": filters,
        "chosen": dict(filters.choices),
        "page_query": kept.urlencode(),
        "page": page,
        "columns": columns,
        "column_labels": [_column_label(dataset, column) for column in columns],
        "rows": [[cell_text(row.get(c)) for c in columns] for row in rows.to_dict("records")],
        "row_ids": list(rows["id"]),
        "preview_capped": all_features > PREVIEW_FEATURES,
        **_table_search(dataset),
    }


@login_required
@require_GET
def catalogue_export(request: HttpRequest, code: str, slug: str, fmt: str) -> HttpResponse:
    """Download a dataset the user may read, in one of `ExportFormat`."""
    municipality = permissions.municipality_requiring(request.user, code, Action.VIEW_LAYERS)
    dataset = dataset_get(
        municipality=municipality, slug=slug, access=dataset_access(request.user, municipality)
    )
    return _export_response(dataset, fmt)


@require_GET
def open_datasets(request: HttpRequest, code: str) -> HttpResponse:
    """Public: the municipality's open datasets with licence and downloads, no login."""
    municipality = get_object_or_404(Municipality, code=code)
    with tenant_scope(municipality_ids=[municipality.pk]):
        datasets = [
            (dataset, _downloads(dataset, "open-dataset-export"))
            for dataset in dataset_list(municipality=municipality, access=PUBLIC_ACCESS)
        ]
    return render(
        request,
        "geoapp/catalogue/open_datasets.html",
        {"municipality": municipality, "datasets": datasets},
    )


@require_GET
def open_dataset_export(request: HttpRequest, code: str, slug: str, fmt: str) -> HttpResponse:
    """Public: download a public dataset; anything else answers 404."""
    municipality = get_object_or_404(Municipality, code=code)
    with tenant_scope(municipality_ids=[municipality.pk]):
        dataset = dataset_get(municipality=municipality, slug=slug, access=PUBLIC_ACCESS)
        return _export_response(dataset, fmt)


def _export_response(dataset: Dataset | None, fmt: str) -> FileResponse:
    if is_raster(dataset):
        return raster_export_response(dataset, fmt)
    if dataset is None or dataset.kind not in VECTOR_KINDS or fmt not in EXPORT_FORMATS:
        raise Http404("No such dataset or format")
    directory = Path(tempfile.mkdtemp(prefix="mueang-export-"))
    try:
        exported = dataset_export(dataset=dataset, fmt=fmt, directory=directory)
        handle = open(exported.path, "rb")  # noqa: SIM115 (FileResponse closes it)
    finally:
        # The open handle keeps the file readable; the directory is gone at once.
        shutil.rmtree(directory, ignore_errors=True)
    return FileResponse(
        handle, as_attachment=True, filename=exported.filename, content_type=exported.content_type
    )


def _downloads(dataset: Dataset, url_name: str) -> list[tuple[str, str]]:
    if is_raster(dataset):
        return raster_downloads(dataset, url_name)
    if dataset.kind not in VECTOR_KINDS:
        return []
    return [
        (
            label,
            reverse(
                url_name,
                kwargs={"code": dataset.municipality.code, "slug": dataset.slug, "fmt": fmt},
            ),
        )
        for fmt, label in FORMATS
    ]


def _local_date(moment) -> date | None:
    return timezone.localtime(moment).date() if moment else None


def _preview_map_fragments(
    request: HttpRequest, municipality: Municipality, dataset: Dataset
) -> dict[str, str]:
    """The preview map; rendered once per layer version where the dataset is a tracked layer.

    The caller may read the dataset (checked above), and the preview shows the dataset alone,
    the same to everyone who may read it. Its key also holds what the map shows of the
    dataset's own row (title, attribution, last update).
    """

    def build() -> folium.Map:
        return _preview_map(
            municipality,
            dataset,
            dataset_frame(dataset=dataset, limit=PREVIEW_FEATURES),
            dataset_columns(dataset=dataset),
        )

    layer = layer_find(dataset.kind)
    if layer is None or not layer.tracked_as:
        return map_fragments(build(), script_nonce=request.csp_nonce)
    return cached_map_fragments(
        "dataset-map",
        municipality_id=municipality.pk,
        # Who may read the layer decides the tier: case houses are the exact tier's.
        tier="exact" if Action(layer.read) == Action.VIEW_CASES_EXACT else "members",
        version=layer_versions(municipality_id=municipality.pk, layers=[layer.tracked_as]),
        build=build,
        nonce=request.csp_nonce,
        extra=[
            str(dataset.pk),
            dataset.updated_at.isoformat(),
            dataset.title,
            dataset.attribution,
            municipality.name_th,
            str(PREVIEW_FEATURES),
        ],
    )


def _preview_map(municipality: Municipality, dataset: Dataset, frame, columns: list[str]):
    """The first features of the dataset over the municipal boundary; text escaped."""
    fmap, boundary = boundary_base_map(municipality)
    shown = [c for c in columns if c in frame.columns][:6]
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if len(frame):
        folium.GeoJson(
            feature_collection(frame, escaped_columns(frame, shown)),
            name=dataset.title,
            marker=folium.CircleMarker(radius=5, fill=True, weight=1),
            style_function=lambda _f: {
                "color": "#1f78b4",
                "fillColor": "#1f78b4",
                "weight": 2,
                "fillOpacity": 0.4,
                "className": "mueang-preview",
            },
            **feature_details(frame, {c: c for c in shown}, shown),
        ).add_to(fmap)
    minx, miny, maxx, maxy = (frame if len(frame) else boundary).total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    attribution = dataset.attribution or municipality.name_th
    MapScript(
        f"{fmap.get_name()}.attributionControl.setPrefix(false);"
        f"{fmap.get_name()}.attributionControl.addAttribution("
        f"{_js_string(html.escape(attribution))});"
        f"window.mueangPreview = {fmap.get_name()};"
    ).add_to(fmap)
    return fmap


def _js_string(text: str) -> str:
    # Inside a <script>, "</" must not appear literally.
    return json.dumps(text).replace("</", "<\\/")
