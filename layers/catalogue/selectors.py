"""Reads behind the data catalogue: which datasets a caller may read, and their features.

Who may read what is decided by the caller (`geoapp.permissions`) and passed in as a
`DatasetAccess`; these functions only turn it into queries. Every read runs in the caller's
tenant scope (row-level security), so the public pages open one for the municipality first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import geopandas as gpd
import pandas as pd
import pyogrio
from django.db.models import Q, QuerySet
from django.utils import translation

from layers.frames import frame_from_queryset
from layers.models import WGS84, Dataset, FeatureModel, Municipality
from layers.registry import VIEW_CASES_EXACT, LayerMap, LayerNames, layers_with
from layers.storage import dataset_file_path

Kind = Dataset.Kind
Visibility = Dataset.Visibility

#: The attribute columns each kind publishes, in order (the registry's catalogue layers).
#: Personal fields of dengue cases live in `DengueCasePersonal` and are never among them.
KIND_COLUMNS: LayerMap[tuple[type, tuple[str, ...]]] = LayerMap(
    lambda: {layer.name: (layer.model, layer.columns) for layer in layers_with(catalogue=True)}
)
#: Kinds with features that can be previewed and exported (raster datasets cannot).
VECTOR_KINDS = LayerNames(lambda: (*KIND_COLUMNS, Kind.OTHER.value))


def _case_kinds() -> list[str]:
    """Kinds read only with the right to see cases exactly, whatever their visibility."""
    return [layer.name for layer in layers_with(read=VIEW_CASES_EXACT)]


@dataclass(frozen=True)
class DatasetAccess:
    """What a caller may read in one municipality, as decided by `geoapp.permissions`.

    Dengue case datasets follow `exact_cases` whatever their visibility (other staff see cases
    only masked, on the map); they are never public.
    """

    internal: bool = False  # public and internal datasets (members)
    private: bool = False  # private datasets other than dengue cases (owning roles)
    exact_cases: bool = False  # dengue case datasets, any visibility

    def readable(self) -> Q:
        """The datasets this access allows, as a filter."""
        visibilities = [Visibility.PUBLIC]
        if self.internal:
            visibilities.append(Visibility.INTERNAL)
        if self.private:
            visibilities.append(Visibility.PRIVATE)
        allowed = Q(visibility__in=visibilities) & ~Q(kind__in=_case_kinds())
        if self.exact_cases:
            allowed |= Q(kind__in=_case_kinds())
        return allowed


PUBLIC_ACCESS = DatasetAccess()


@dataclass(frozen=True)
class CatalogueFilters:
    """A catalogue search: free text and filters, all optional."""

    text: str = ""
    division: str = ""
    kind: str = ""
    visibility: str = ""
    updated_from: date | None = None
    updated_to: date | None = None
    order: str = "title"  # "title" or "updated" (newest first)


def _kinds_named(text: str) -> list[str]:
    """Kinds whose label contains the text, in Thai or in English."""
    needle = text.casefold()
    found = []
    for value, label in Kind.choices:
        for language in ("th", "en"):
            with translation.override(language):
                if needle in str(label).casefold():
                    found.append(value)
                    break
    return found


def dataset_list(
    *,
    municipality: Municipality,
    access: DatasetAccess,
    filters: CatalogueFilters = CatalogueFilters(),
) -> QuerySet[Dataset]:
    """The datasets of the municipality the caller may read, searched and filtered."""
    datasets = Dataset.objects.filter(municipality=municipality).filter(access.readable())
    if filters.text:
        text = filters.text.strip()
        datasets = datasets.filter(
            Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(slug__icontains=text)
            | Q(kind__in=_kinds_named(text))
        )
    if filters.division:
        datasets = datasets.filter(division=filters.division)
    if filters.kind:
        datasets = datasets.filter(kind=filters.kind)
    if filters.visibility:
        datasets = datasets.filter(visibility=filters.visibility)
    if filters.updated_from:
        datasets = datasets.filter(updated_at__date__gte=filters.updated_from)
    if filters.updated_to:
        datasets = datasets.filter(updated_at__date__lte=filters.updated_to)
    order = ("-updated_at", "title") if filters.order == "updated" else ("title", "slug")
    return datasets.select_related("created_by", "updated_by").order_by(*order)


def dataset_divisions(*, municipality: Municipality, access: DatasetAccess) -> list[str]:
    """The owning divisions named by the datasets the caller may read (for the filter)."""
    return sorted(
        set(
            Dataset.objects.filter(municipality=municipality)
            .filter(access.readable())
            .exclude(division="")
            .values_list("division", flat=True)
        )
    )


def dataset_get(*, municipality: Municipality, slug: str, access: DatasetAccess) -> Dataset | None:
    """One dataset the caller may read, or None (unknown and unreadable look the same)."""
    return (
        Dataset.objects.filter(municipality=municipality, slug=slug)
        .filter(access.readable())
        .select_related("municipality", "created_by", "updated_by")
        .first()
    )


def dataset_columns(*, dataset: Dataset) -> list[str]:
    """The attribute columns of the dataset's features, in order."""
    if dataset.kind == Kind.OTHER:
        path = _file(dataset)
        if path is None:
            return []
        return [str(name) for name in pyogrio.read_info(path)["fields"]]
    if dataset.kind not in KIND_COLUMNS:
        return []
    return [_column_name(field) for field in KIND_COLUMNS[dataset.kind][1]]


@dataclass(frozen=True)
class FeatureFilters:
    """A search in a dataset's attribute table: text in its text columns, a value per choice."""

    text: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (field, value) pairs, fields of `choice_fields`

    def applied(self) -> bool:
        return bool(self.text or self.choices)


@dataclass(frozen=True)
class ChoiceField:
    """A column of the attribute table with a fixed set of values: a filter of the table."""

    name: str
    label: str
    choices: tuple[tuple[str, str], ...]


def _model_fields(dataset: Dataset) -> list:
    if dataset.kind not in KIND_COLUMNS:
        return []
    model, fields = KIND_COLUMNS[dataset.kind]
    return [model._meta.get_field(name) for name in fields if "__" not in name]


def dataset_choice_fields(*, dataset: Dataset) -> list[ChoiceField]:
    """The columns of the dataset's features that hold one of a fixed set of values."""
    return [
        ChoiceField(field.name, str(field.verbose_name), tuple(field.choices))
        for field in _model_fields(dataset)
        if field.choices
    ]


def dataset_text_fields(*, dataset: Dataset) -> list[str]:
    """The free-text columns of the dataset's features (what its table search reads)."""
    return [
        field.name
        for field in _model_fields(dataset)
        if field.get_internal_type() in ("CharField", "TextField") and not field.choices
    ]


def _filtered(dataset: Dataset, filters: FeatureFilters | None) -> QuerySet:
    features = _features(dataset)
    if filters is None:
        return features
    if filters.text:
        matches = Q()
        for name in dataset_text_fields(dataset=dataset):
            matches |= Q(**{f"{name}__icontains": filters.text})
        features = features.filter(matches)
    for name, value in filters.choices:
        features = features.filter(**{name: value})
    return features


def dataset_feature_count(*, dataset: Dataset, filters: FeatureFilters | None = None) -> int:
    """How many features the dataset holds (those matching `filters`, for a layer's dataset)."""
    if dataset.kind == Kind.OTHER:
        path = _file(dataset)
        return int(pyogrio.read_info(path, force_feature_count=True)["features"]) if path else 0
    if dataset.kind not in KIND_COLUMNS:
        return 0
    return _filtered(dataset, filters).count()


def dataset_frame(
    *,
    dataset: Dataset,
    offset: int = 0,
    limit: int | None = None,
    filters: FeatureFilters | None = None,
) -> gpd.GeoDataFrame:
    """The dataset's features in EPSG:4326, in a stable order, optionally one slice of them.

    Columns are `id`, the attributes of `dataset_columns` and the geometry. Values are plain
    (decimals as floats, dates as ISO text), so every export format writes them the same way.
    `filters` narrows a layer's dataset (files of other datasets are read whole).
    """
    if dataset.kind == Kind.OTHER:
        frame = _file_frame(dataset, offset=offset, limit=limit)
    elif dataset.kind in KIND_COLUMNS:
        fields = KIND_COLUMNS[dataset.kind][1]
        features = _filtered(dataset, filters).order_by("id")
        if limit is not None:
            features = features[offset : offset + limit]
        elif offset:
            features = features[offset:]
        frame = frame_from_queryset(features, fields=("id", *fields))
        frame = frame.rename(columns={f: _column_name(f) for f in fields})
    else:
        frame = _empty_frame([])
    return _plain(frame)


def _column_name(field: str) -> str:
    return field.replace("__", "_")


def _features(dataset: Dataset) -> QuerySet:
    model = KIND_COLUMNS[dataset.kind][0]
    features = model.objects.filter(municipality_id=dataset.municipality_id)
    # Subdistricts belong to the municipality, not to a dataset: only features have one.
    return features.filter(dataset=dataset) if issubclass(model, FeatureModel) else features


def _file(dataset: Dataset):

    path = dataset_file_path(municipality_code=dataset.municipality.code, slug=dataset.slug)
    return path if path.is_file() else None


def _file_frame(dataset: Dataset, *, offset: int, limit: int | None) -> gpd.GeoDataFrame:
    path = _file(dataset)
    if path is None:
        return _empty_frame([])
    kwargs = {"skip_features": offset}
    if limit is not None:
        kwargs["max_features"] = limit
    frame = gpd.read_file(path, engine="pyogrio", **kwargs)
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    frame = frame.to_crs(WGS84)
    if "id" not in frame.columns:  # features imported with ids keep theirs (GDAL reads them)
        frame.insert(0, "id", range(offset + 1, offset + 1 + len(frame)))
    return frame


def _empty_frame(columns: list[str]) -> gpd.GeoDataFrame:
    empty = pd.DataFrame({name: pd.Series(dtype=object) for name in ["id", *columns]})
    return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


def _plain_value(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        series = frame[column]
        if series.dtype == object or str(series.dtype).startswith("datetime"):
            frame[column] = pd.Series(
                [_plain_value(v) for v in series], index=frame.index, dtype=object
            )
    return frame
