"""What each KIND of import stores: its model, geometry type and importable fields."""

from __future__ import annotations

from dataclasses import dataclass

from layers.models import Building, Dataset, DengueCase, FeatureModel, FloodZone, Landmark, Road


@dataclass(frozen=True)
class Kind:
    """One importable kind: `model` is None for `dataset` (any attributes, stored as a file)."""

    name: str
    dataset_kind: str
    model: type[FeatureModel] | None
    geometry: str | None  # "Point", "MultiLineString", "MultiPolygon"; None: any
    fields: tuple[str, ...]
    default_visibility: str = Dataset.Visibility.INTERNAL

    def required(self) -> list[str]:
        """Fields a row must have a value for (no blank, no null, no default)."""
        if self.model is None:
            return []
        required = []
        for name in self.fields:
            model_field = self.model._meta.get_field(name)
            if not (model_field.blank or model_field.null or model_field.has_default()):
                required.append(name)
        return required


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "roads",
            Dataset.Kind.ROADS,
            Road,
            "MultiLineString",
            ("name_th", "name_en", "road_class", "surface", "lanes", "ref"),
        ),
        Kind(
            "landmarks",
            Dataset.Kind.LANDMARKS,
            Landmark,
            "Point",
            ("name_th", "name_en", "category", "source_kind"),
        ),
        Kind(
            "buildings",
            Dataset.Kind.BUILDINGS,
            Building,
            "MultiPolygon",
            (
                "name_th",
                "name_en",
                "building_type",
                "levels",
                "population",
                "population_is_estimate",
                "elderly",
                "bedridden",
                "disabled",
                "infants",
            ),
        ),
        Kind(
            "flood_zones",
            Dataset.Kind.FLOOD_ZONES,
            FloodZone,
            "MultiPolygon",
            (
                "event",
                "observed_date",
                "is_forecast",
                "hazard_class",
                "depth_min_m",
                "depth_max_m",
                "source",
            ),
        ),
        Kind(
            "dengue_cases",
            Dataset.Kind.DENGUE_CASES,
            DengueCase,
            "Point",
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
        ),
        Kind("dataset", Dataset.Kind.OTHER, None, None, ()),
    )
}
