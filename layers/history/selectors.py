"""Feature history, the reads: a feature's versions, a dataset's changes and imports.

The history itself is written by database triggers on the layer tables (migration
`0009_feature_history`), so every path that changes a feature is recorded. A feature's versions
are its history entries in order, numbered from 1. Version N is the state right after entry N: the
old row of entry N + 1, or the current row if N is the last entry (a deleted feature has no state
after its delete). Rows are read as PostgreSQL reads them (`jsonb_populate_record` over the stored
jsonb, the geometry from its EWKB).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection

from layers.models import DatasetEvent, FeatureHistory, FeatureModel, ImportRun, Municipality
from layers.registry import LayerMap, layers_with

#: History layer names (as in LayerVersion, the registry's `tracked_as`) and their models.
LAYERS: LayerMap[type[FeatureModel]] = LayerMap(
    lambda: {layer.tracked_as: layer.model for layer in layers_with(history=True)}
)


#: Other names the command line accepts for a layer (import kinds, dataset kinds).
LAYER_ALIASES: LayerMap[str] = LayerMap(
    lambda: {
        name: layer.tracked_as
        for layer in layers_with(history=True)
        for name in layer.names
        if name != layer.tracked_as
    }
)


#: Dataset (and import) kind -> history layer.
KIND_LAYERS: LayerMap[str] = LayerMap(
    lambda: {layer.name: layer.tracked_as for layer in layers_with(history=True)}
)


#: Columns left out of "what changed" summaries: they change with every save.
NOISE_COLUMNS = frozenset({"updated_at"})


class HistoryError(Exception):
    """A history request that cannot be done, with the reason in Thai and English."""

    def __init__(self, thai: str, english: str, *, code: str = "refused"):
        super().__init__(f"{thai} / {english}")
        self.thai = thai
        self.english = english
        self.code = code


@dataclass
class Version:
    """One change of a feature and the state it left."""

    number: int
    entry_id: int
    op: str
    changed_at: datetime
    user_ref: int | None
    username: str
    import_run_id: int | None
    context: str
    changed: list[str]
    before: dict | None  # the row before this change (None for an insert)
    after: dict | None  # the row after it (None for a delete)
    after_entry_id: int | None  # the history entry holding `after` (None: the current row)

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(column, before, after) for each column this change touched (noise aside)."""
        if self.op != FeatureHistory.Op.UPDATE or self.before is None:
            return []
        after = self.after or {}
        return [
            (name, self.before.get(name), after.get(name))
            for name in self.changed
            if name not in NOISE_COLUMNS
        ]


def layer_name(name: str) -> str:
    """The history layer for a name the user typed (`roads`, `dengue_cases`, ...)."""
    layer = LAYER_ALIASES.get(name, name)
    if layer not in LAYERS:
        raise HistoryError(
            f"ไม่รู้จักชั้นข้อมูล {name!r} ใช้ได้: {', '.join(LAYERS)}",
            f"unknown layer {name!r}; one of: {', '.join(LAYERS)}",
            code="layer_unknown",
        )
    return layer


def layer_table(layer: str) -> str:
    """The database table of a history layer."""
    return LAYERS[layer]._meta.db_table


def usernames(user_ids: set[int]) -> dict[int, str]:
    """Names to show for user numbers (full name, else login name); unknown numbers are left out."""
    users = get_user_model().objects.filter(pk__in=[pk for pk in user_ids if pk])
    return {user.pk: user.get_full_name() or user.get_username() for user in users}


def current_row(layer: str, municipality_id: int, feature_id: int) -> dict | None:
    """A feature's row as it is now (jsonb, the geometry as EWKB hex), or None if deleted."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (to_jsonb(t) - 'geom') || jsonb_build_object('geom', t.geom::text) "
            f"FROM {layer_table(layer)} t WHERE t.id = %s AND t.municipality_id = %s",
            [feature_id, municipality_id],
        )
        found = cursor.fetchone()
    return jsonb_loaded(found[0]) if found else None


def jsonb_loaded(value) -> dict:
    """A jsonb value as psycopg2 hands it over (text or already decoded) as a dict."""
    import json

    return json.loads(value) if isinstance(value, str) else value


def history_entries(municipality_id: int, layer: str, feature_id: int) -> list[tuple]:
    """A feature's history rows, oldest first, its insert found inside a key range too."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, op, changed_at, user_ref, import_run_id, context, changed_columns, "
            "CASE WHEN old_row IS NULL THEN NULL "
            "ELSE old_row || jsonb_build_object('geom', old_geom::text) END "
            "FROM layers_featurehistory "
            "WHERE municipality_id = %s AND layer = %s "
            "AND (feature_id = %s OR inserted_ids @> %s::bigint) ORDER BY id",
            [municipality_id, layer, feature_id, feature_id],
        )
        return cursor.fetchall()


def feature_history(*, municipality: Municipality, layer: str, feature_id: int) -> list[Version]:
    """Every recorded change of one feature, oldest first, with the state each one left."""
    layer = layer_name(layer)
    entries = history_entries(municipality.pk, layer, feature_id)
    if not entries:
        return []
    current = current_row(layer, municipality.pk, feature_id)
    names = usernames({entry[3] for entry in entries if entry[3]})
    versions = []
    for index, (entry_id, op, at, user_ref, run_id, context, changed, old) in enumerate(entries):
        following = entries[index + 1] if index + 1 < len(entries) else None
        if op == FeatureHistory.Op.DELETE:
            after, after_entry = None, None
        elif following is not None:
            after, after_entry = jsonb_loaded(following[7]), following[0]
        else:
            after, after_entry = current, None
        versions.append(
            Version(
                number=index + 1,
                entry_id=entry_id,
                op=op,
                changed_at=at,
                user_ref=user_ref,
                username=names.get(user_ref, f"#{user_ref}" if user_ref else ""),
                import_run_id=run_id,
                context=context,
                changed=list(jsonb_loaded(changed) or []) if changed is not None else [],
                before=jsonb_loaded(old) if old is not None else None,
                after=after,
                after_entry_id=after_entry,
            )
        )
    return versions


def dataset_history(*, dataset, limit: int = 50) -> list[FeatureHistory]:
    """The latest changes to a dataset's features, newest first, with who made them."""
    entries = list(
        FeatureHistory.objects.filter(
            municipality_id=dataset.municipality_id, dataset_id=dataset.pk
        )
        .defer("old_geom")
        .order_by("-id")[:limit]
    )
    names = usernames({e.user_ref for e in entries if e.user_ref})
    for entry in entries:
        entry.username = names.get(entry.user_ref, f"#{entry.user_ref}" if entry.user_ref else "")
        entry.changed_shown = [c for c in (entry.changed_columns or []) if c not in NOISE_COLUMNS]
        old = entry.old_row or {}
        entry.label = old.get("name_th") or old.get("source_id") or old.get("event") or ""
        # An insert entry names all the features its statement created.
        ranges = entry.inserted_ids.ranges() if entry.inserted_ids else []
        entry.created_count = sum(high - low for low, high in ranges)
        entry.first_feature_id = entry.feature_id or (ranges[0][0] if ranges else None)
        entry.last_feature_id = ranges[-1][1] - 1 if ranges else entry.feature_id
    return entries


def dataset_imports(*, dataset, limit: int = 20) -> list[ImportRun]:
    """The dataset's imports, newest first."""
    return list(
        ImportRun.objects.filter(municipality_id=dataset.municipality_id, dataset=dataset)
        .select_related("user", "rolled_back_by")
        .order_by("-started_at", "-id")[:limit]
    )


def dataset_import(*, municipality: Municipality, dataset, import_id: int) -> ImportRun | None:
    """The dataset's import `import_id` with its users, or None (another dataset's, or none)."""
    return (
        ImportRun.objects.filter(municipality=municipality, dataset=dataset, pk=import_id)
        .select_related("user", "rolled_back_by")
        .first()
    )


def dataset_events(
    *, municipality: Municipality, hidden_kinds: tuple[str, ...] = (), limit: int = 20
) -> list[DatasetEvent]:
    """Datasets that are gone (deleted, or removed with their import), newest first."""
    return list(
        DatasetEvent.objects.filter(municipality=municipality)
        .exclude(kind__in=hidden_kinds)
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )
