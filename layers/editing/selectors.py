"""Feature editing, the reads: what may be edited, and the features near a view with their ETags.

A feature's entity tag is a hash of its whole row as PostgreSQL holds it, so any change (an
edit, a restore, an import) gives a new tag, and two editors who saw different states never
hold the same one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

from layers.models import Municipality
from layers.registry import (
    BUILDING_FIELDS,
    EDIT_INFRASTRUCTURE,
    LANDMARK_FIELDS,
    ROAD_FIELDS,
    Layer,
    LayerMap,
    layers_with,
)

#: Household counts (residents, elderly, bedridden, ...) belong to the aid register, not the map.
HOUSEHOLD_FIELDS = frozenset(
    {"population", "population_is_estimate", "elderly", "bedridden", "disabled", "infants"}
)

#: Attributes a planner may change on the map, per layer name.
EDIT_FIELDS: dict[str, tuple[str, ...]] = {
    "roads": ROAD_FIELDS,
    "landmarks": LANDMARK_FIELDS,
    "buildings": tuple(name for name in BUILDING_FIELDS if name not in HOUSEHOLD_FIELDS),
}

#: The layers edited on the map (infrastructure), by name.
EDITABLE_LAYERS: LayerMap[Layer] = LayerMap(
    lambda: {
        layer.name: layer
        for layer in layers_with(edit=EDIT_INFRASTRUCTURE)
        if layer.name in EDIT_FIELDS
    }
)

#: At most this many features are sent for editing at once (the nearest view's).
MAX_EDIT_FEATURES = 500


@dataclass(frozen=True)
class EditableFeatures:
    """Features near a view as GeoJSON, and whether the box held more than were sent."""

    collection: dict
    truncated: bool


def etag_sql(alias: str = "t") -> str:
    """SQL of a row's entity tag (a quoted hash of the whole row)."""
    return f"'\"' || md5(to_jsonb({alias})::text) || '\"'"


def _properties_sql(layer: Layer, alias: str = "t") -> str:
    pairs = ", ".join(f"'{name}', {alias}.{name}" for name in EDIT_FIELDS[layer.name])
    return f"jsonb_build_object({pairs}, 'dataset_id', {alias}.dataset_id)"


def _feature_sql(layer: Layer) -> str:
    return (
        "jsonb_build_object('type', 'Feature', 'id', t.id, "
        "'geometry', ST_AsGeoJSON(t.geom, 7)::jsonb, "
        f"'properties', {_properties_sql(layer)}, 'etag', {etag_sql()})"
    )


def editable_features(
    *, municipality: Municipality, layer: Layer, bbox: tuple[float, float, float, float]
) -> EditableFeatures:
    """The layer's features in the box (lon/lat), nearest the box's centre first, bounded."""
    west, south, east, north = bbox
    sql = (
        f"SELECT {_feature_sql(layer)} FROM {layer.table} t "
        "WHERE t.municipality_id = %s AND t.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) "
        "ORDER BY t.geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326), t.id LIMIT %s"
    )
    params = [municipality.pk, west, south, east, north]
    params += [(west + east) / 2, (south + north) / 2, MAX_EDIT_FEATURES + 1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [_loaded(value) for (value,) in cursor.fetchall()]
    return EditableFeatures(
        collection={"type": "FeatureCollection", "features": rows[:MAX_EDIT_FEATURES]},
        truncated=len(rows) > MAX_EDIT_FEATURES,
    )


def editable_feature(*, municipality: Municipality, layer: Layer, feature_id: int) -> dict | None:
    """One feature as the map edits it (GeoJSON with its `etag`), or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_feature_sql(layer)} FROM {layer.table} t "
            "WHERE t.municipality_id = %s AND t.id = %s",
            [municipality.pk, feature_id],
        )
        found = cursor.fetchone()
    return _loaded(found[0]) if found else None


def feature_last_entry(*, municipality: Municipality, layer: Layer, feature_id: int) -> int | None:
    """The feature's newest history entry (the change an undo takes back), or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(id) FROM layers_featurehistory WHERE municipality_id = %s AND layer = %s "
            "AND (feature_id = %s OR inserted_ids @> %s::bigint)",
            [municipality.pk, layer.tracked_as, feature_id, feature_id],
        )
        return cursor.fetchone()[0]


def _loaded(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value
