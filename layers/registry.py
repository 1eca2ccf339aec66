"""The one registry of spatial layers: every list of layers in `layers/` is read from it.

A layer is registered once, with its names, model, geometry type, labels, who may read and
edit it, and how it is published (import kind, catalogue columns, vector tiles, OGC API
collection, feature history, flood analysis). The lists other modules keep (`KINDS`,
`COLLECTIONS`, `TILE_LAYERS`, `history.LAYERS`, ...) are read-only views of the registry, so a
layer registered later (`layer_registered`) shows up in all of them.

Adding a layer takes its model (with the migration that gives its table row-level security and
the history and version triggers, under the name `tracked_as`) and one `Layer(...)` below.

Names drifted before the registry and stay as they are, because URLs, API collection ids, job
parameters and the rows the database triggers write use them: `name` is the dataset and import
kind and the API collection id (`dengue_cases`); `tracked_as` is the name the triggers write
into layer versions and feature history, which the tile URLs use too (`cases`); `aliases` are
further names the command line accepts (`road`).

Who may read and edit a layer is given as the values of `geoapp.permissions.Action`, spelled
out here because `layers` does not import `geoapp`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from layers.models import (
    Building,
    Dataset,
    DengueCase,
    FloodZone,
    Landmark,
    LarvalHouseVisit,
    LarvalPlaceRound,
    Road,
    Subdistrict,
)

#: Values of `geoapp.permissions.Action` a layer names.
VIEW_LAYERS = "view_layers"
VIEW_CASES_EXACT = "view_cases_exact"
VIEW_CASES_MASKED = "view_cases_masked"
EDIT_INFRASTRUCTURE = "edit_infrastructure"
EDIT_FLOOD = "edit_flood"
EDIT_CASES = "edit_cases"
MANAGE_DATASETS = "manage_datasets"

#: Roles of a layer in the flood analysis (`Layer.flood`).
FLOOD_EXPOSURE = "exposure"  # counted under a flood (by `Layer.type_field`)
FLOOD_HAZARD = "hazard"  # the flood itself

V = TypeVar("V")


# The fields a file of each layer may fill; its catalogue columns add `source_id`.
ROAD_FIELDS = (
    "name_th",
    "name_en",
    "road_class",
    "surface",
    "lanes",
    "ref",
)
LANDMARK_FIELDS = (
    "name_th",
    "name_en",
    "category",
    "source_kind",
)
BUILDING_FIELDS = (
    "name_th",
    "name_en",
    "house_number",
    "building_type",
    "levels",
    "population",
    "population_is_estimate",
    "elderly",
    "bedridden",
    "disabled",
    "infants",
)
FLOOD_ZONE_FIELDS = (
    "event",
    "observed_date",
    "is_forecast",
    "hazard_class",
    "depth_min_m",
    "depth_max_m",
    "source",
)


@dataclass(frozen=True)
class Imports:
    """How files of a layer are imported: the fields a file may fill, and by whom."""

    fields: tuple[str, ...]
    default_visibility: str = Dataset.Visibility.INTERNAL
    action: str = MANAGE_DATASETS  # an Action value: who may import


@dataclass(frozen=True)
class Tiles:
    """What a layer's vector tiles hold: columns, from which zoom, generalised below which."""

    columns: tuple[str, ...]
    min_zoom: int = 0
    # Below detail_zoom, only rows whose class_column is one of `major` (merged by attributes).
    class_column: str = ""
    major: tuple[str, ...] = ()
    detail_zoom: int = 0


@dataclass(frozen=True)
class Api:
    """A layer published as an OGC API - Features collection (`title` goes out as is)."""

    title: str
    properties: tuple[str, ...]
    queryables: tuple[str, ...]
    temporal: str | None = None  # a date column for the `datetime` filter


@dataclass(frozen=True)
class Layer:
    """One spatial layer and everywhere it appears."""

    name: str  # dataset and import kind, API collection id
    model: type[models.Model]
    geometry: str  # "Point", "MultiLineString", "MultiPolygon"
    label: str | Promise  # gettext_lazy: English, Thai through the catalogue
    read: str = VIEW_LAYERS  # the Action that lets a member read its features exactly
    edit: str | None = None  # the Action that lets a member change them; None: admin only
    tracked_as: str | None = None  # name in layer versions, feature history and tile URLs
    aliases: tuple[str, ...] = ()  # other names the command line accepts
    columns: tuple[str, ...] = ()  # catalogue and export columns, in order
    imports: Imports | None = None
    tiles: Tiles | None = None
    api: Api | None = None
    flood: str = ""  # FLOOD_EXPOSURE, FLOOD_HAZARD or ""
    type_field: str = ""  # the attribute that types a feature (`by_type` of flood exposure)
    people: bool = False  # data about people: uploads masked by column name, files not kept
    short_label: str | Promise | None = None  # where room is short; None: `label`

    @property
    def table(self) -> str:
        """The database table of the layer's features."""
        return self.model._meta.db_table

    @property
    def history(self) -> bool:
        """Whether database triggers keep the layer's history and versions."""
        return self.tracked_as is not None

    @property
    def catalogue(self) -> bool:
        """Whether the catalogue previews and exports the layer's features."""
        return bool(self.columns)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the layer answers to: `name`, `tracked_as`, then the aliases."""
        found = [self.name]
        if self.tracked_as and self.tracked_as != self.name:
            found.append(self.tracked_as)
        return (*found, *self.aliases)

    @property
    def brief_label(self) -> str | Promise:
        """The label where room is short (lists of changes, job progress)."""
        return self.label if self.short_label is None else self.short_label

    @property
    def label_th(self) -> str:
        """The label in Thai."""
        with translation.override("th"):
            return str(self.label)

    @property
    def label_en(self) -> str:
        """The label in English."""
        with translation.override("en"):
            return str(self.label)


MAJOR_ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary")

_LAYERS: dict[str, Layer] = {}
_generation = 0  # bumped by every change, so derived views know when to rebuild


def _changed() -> None:
    global _generation
    _generation += 1


def layer_register(layer: Layer) -> Layer:
    """Add a layer; refused when one of its names is already taken."""
    taken = {name for known in _LAYERS.values() for name in known.names}
    clashes = sorted(taken.intersection(layer.names))
    if clashes or len(set(layer.names)) != len(layer.names):
        raise ValueError(f"layer names already taken: {', '.join(clashes) or layer.name}")
    _LAYERS[layer.name] = layer
    _changed()
    return layer


def layer_unregister(name: str) -> None:
    """Remove a layer (by its `name`)."""
    del _LAYERS[name]
    _changed()


@contextmanager
def layer_registered(layer: Layer) -> Iterator[Layer]:
    """A layer that exists only inside the block (tests, trying a layer out)."""
    layer_register(layer)
    try:
        yield layer
    finally:
        layer_unregister(layer.name)


def layer_find(name: str) -> Layer | None:
    """The layer answering to a name (`name`, `tracked_as` or an alias), or None."""
    for layer in _LAYERS.values():
        if name in layer.names:
            return layer
    return None


def layer_get(name: str) -> Layer:
    """The layer answering to a name (`name`, `tracked_as` or an alias); KeyError if none."""
    layer = layer_find(name)
    if layer is None:
        raise KeyError(name)
    return layer


def layer_list() -> tuple[Layer, ...]:
    """Every layer, in registration order (the order lists, pages and the API show)."""
    return tuple(_LAYERS.values())


def layers_with(**wanted: Any) -> tuple[Layer, ...]:
    """The layers whose attributes match: `True`/`False` test truth, other values equality.

    >>> [layer.name for layer in layers_with(tiles=True, read=VIEW_CASES_EXACT)]
    ['dengue_cases']
    """

    def matches(layer: Layer) -> bool:
        for attribute, value in wanted.items():
            found = getattr(layer, attribute)
            if isinstance(value, bool):
                if bool(found) is not value:
                    return False
            elif found != value:
                return False
        return True

    return tuple(layer for layer in _LAYERS.values() if matches(layer))


class LayerMap(Mapping[str, V]):
    """A read-only dict derived from the registry, rebuilt when the registry changes."""

    def __init__(self, build: Callable[[], dict[str, V]]):
        self._build = build
        self._built: tuple[int, dict[str, V]] = (-1, {})

    def _current(self) -> dict[str, V]:
        generation, built = self._built
        if generation != _generation:
            generation, built = _generation, self._build()
            self._built = (generation, built)
        return built

    def __getitem__(self, key: str) -> V:
        return self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"LayerMap({self._current()!r})"


class LayerNames(Sequence[str]):
    """A read-only tuple of names derived from the registry, rebuilt when it changes."""

    def __init__(self, build: Callable[[], Sequence[str]]):
        self._names = LayerMap(lambda: dict.fromkeys(build()))

    def __getitem__(self, index):
        return tuple(self._names)[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LayerNames | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LayerNames({tuple(self)!r})"


for _layer in (
    Layer(
        name="roads",
        model=Road,
        geometry="MultiLineString",
        label=Dataset.Kind.ROADS.label,
        edit=EDIT_INFRASTRUCTURE,
        tracked_as="roads",
        aliases=("road",),
        columns=(*ROAD_FIELDS, "source_id"),
        imports=Imports(ROAD_FIELDS),
        tiles=Tiles(
            ("name_th", "name_en", "road_class", "surface"),
            class_column="road_class",
            major=MAJOR_ROAD_CLASSES,
            detail_zoom=14,
        ),
        api=Api(
            "Roads",
            ("name_th", "name_en", "road_class", "surface", "lanes", "ref", "source_id"),
            ("road_class", "surface", "name_th"),
        ),
        flood=FLOOD_EXPOSURE,
        type_field="road_class",
    ),
    Layer(
        name="landmarks",
        model=Landmark,
        geometry="Point",
        label=Dataset.Kind.LANDMARKS.label,
        edit=EDIT_INFRASTRUCTURE,
        tracked_as="landmarks",
        aliases=("landmark",),
        columns=(*LANDMARK_FIELDS, "source_id"),
        imports=Imports(LANDMARK_FIELDS),
        tiles=Tiles(("name_th", "name_en", "category")),
        api=Api(
            "Landmarks",
            ("name_th", "name_en", "category", "source_id"),
            ("category", "name_th"),
        ),
        flood=FLOOD_EXPOSURE,
        type_field="category",
    ),
    Layer(
        name="buildings",
        model=Building,
        geometry="MultiPolygon",
        label=Dataset.Kind.BUILDINGS.label,
        short_label=gettext_lazy("Buildings"),
        edit=EDIT_INFRASTRUCTURE,
        tracked_as="buildings",
        columns=(*BUILDING_FIELDS, "source_id"),
        imports=Imports(BUILDING_FIELDS),
        tiles=Tiles(("house_number", "building_type", "levels"), min_zoom=13),
        api=Api(
            "Buildings",
            ("name_th", "name_en", "house_number", "building_type", "levels", "source_id"),
            ("building_type", "levels"),
        ),
        flood=FLOOD_EXPOSURE,
        type_field="building_type",
    ),
    Layer(
        name="flood_zones",
        model=FloodZone,
        geometry="MultiPolygon",
        label=Dataset.Kind.FLOOD_ZONES.label,
        edit=EDIT_FLOOD,
        tracked_as="flood_zones",
        columns=(*FLOOD_ZONE_FIELDS, "source_id"),
        imports=Imports(FLOOD_ZONE_FIELDS),
        tiles=Tiles(("event", "hazard_class")),
        api=Api(
            "Flood zones",
            ("event", "hazard_class", "depth_min_m", "depth_max_m", "observed_date"),
            ("hazard_class", "event", "depth_min_m", "depth_max_m"),
            temporal="observed_date",
        ),
        flood=FLOOD_HAZARD,
        type_field="hazard_class",
    ),
    # Personal fields of cases live in `DengueCasePersonal` and are never among the columns.
    Layer(
        name="dengue_cases",
        model=DengueCase,
        geometry="Point",
        label=Dataset.Kind.DENGUE_CASES.label,
        read=VIEW_CASES_EXACT,
        edit=EDIT_CASES,
        tracked_as="cases",
        columns=(
            "source_id",
            "onset_date",
            "report_date",
            "diagnosis",
            "age_group",
            "sex",
            "status",
            "subdistrict__code",
            "is_generated",
        ),
        imports=Imports(
            (
                "onset_date",
                "report_date",
                "investigated_at",
                "diagnosis",
                "age_group",
                "sex",
                "status",
            ),
            default_visibility=Dataset.Visibility.PRIVATE,
            action=EDIT_CASES,
        ),
        tiles=Tiles(("onset_date::text AS onset_date", "diagnosis")),
        api=Api(
            "Dengue cases",
            ("onset_date", "report_date", "diagnosis", "status", "is_generated"),
            ("diagnosis", "status"),
            temporal="onset_date",
        ),
        type_field="diagnosis",
        people=True,
    ),
    # Loaded with the municipality and edited in the Django admin by its administrators.
    Layer(
        name="subdistricts",
        model=Subdistrict,
        geometry="MultiPolygon",
        label=Dataset.Kind.SUBDISTRICTS.label,
        columns=("code", "name_th", "name_en"),
    ),
    # Larval surveys (issue 18): database views, read-only, published through the OGC API.
    # Staff see indices per place and round; health officers also each house visit, with no
    # surveyor and no house number (layers/models.py, LarvalHouseVisit).
    Layer(
        name="larval_place_rounds",
        model=LarvalPlaceRound,
        geometry="Point",
        label=gettext_lazy("Larval indices per place and round"),
        read=VIEW_CASES_MASKED,
        api=Api(
            "Larval indices per place and round",
            (
                "place",
                "place_type",
                "round_number",
                "first_day",
                "last_day",
                "houses_surveyed",
                "houses_positive",
                "containers",
                "containers_positive",
                "houses_vacant",
                "houses_closed",
                "houses_refused",
                "hi",
                "ci",
                "bi",
                "risk_level",
            ),
            ("place_type", "round_number", "risk_level", "place"),
            temporal="last_day",
        ),
        type_field="place_type",
    ),
    Layer(
        name="larval_house_visits",
        model=LarvalHouseVisit,
        geometry="Point",
        label=gettext_lazy("Larval survey house visits"),
        read=VIEW_CASES_EXACT,
        api=Api(
            "Larval survey house visits",
            (
                "place",
                "place_type",
                "round_number",
                "surveyed_on",
                "status",
                "containers",
                "containers_positive",
                "is_repeat",
            ),
            ("place_type", "round_number", "status", "is_repeat"),
            temporal="surveyed_on",
        ),
        type_field="place_type",
        people=True,
    ),
):
    layer_register(_layer)
del _layer
