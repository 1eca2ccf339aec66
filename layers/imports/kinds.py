"""What each KIND of import stores: its model, geometry type and importable fields.

The kinds are the importable layers of `layers.registry`, and `dataset` (any file).
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.models import Dataset, FeatureModel
from layers.registry import Layer, LayerMap, layers_with


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


#: Files of any attributes, stored as a file (no layer model).
FILE_KIND = Kind("dataset", Dataset.Kind.OTHER, None, None, ())


def _kind(layer: Layer) -> Kind:
    return Kind(
        layer.name,
        layer.name,
        layer.model,
        layer.geometry,
        layer.imports.fields,
        default_visibility=layer.imports.default_visibility,
    )


#: Every import kind by name: the registry's importable layers, then `dataset`.
KINDS: LayerMap[Kind] = LayerMap(
    lambda: {
        **{layer.name: _kind(layer) for layer in layers_with(imports=True)},
        FILE_KIND.name: FILE_KIND,
    }
)
