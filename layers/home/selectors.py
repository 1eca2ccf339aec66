"""Reads behind a municipality's home page: road lengths, landmark counts, freshness, changes.

Every function works on one municipality and runs in the caller's tenant scope (row-level
security). Lengths are geodesic: `ST_Length(geography)` measures on the WGS 84 spheroid, in
metres, so no projection's scale error (up to 0.04 % at a UTM zone's edge) creeps in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from layers.catalogue.selectors import DatasetAccess
from layers.history.selectors import usernames
from layers.models import (
    Building,
    Dataset,
    DengueCase,
    FloodZone,
    ImportRun,
    Landmark,
    Municipality,
)
from layers.registry import VIEW_LAYERS, LayerNames, layers_with

#: What a member of the municipality may read (public and internal datasets, no case data).
MEMBER_ACCESS = DatasetAccess(internal=True)

#: Layers whose feature changes are listed (their `layers.history` names): those with history
#: that every member may read (dengue cases never: personal data).
CHANGE_LAYERS = LayerNames(
    lambda: [layer.tracked_as for layer in layers_with(history=True, read=VIEW_LAYERS)]
)
#: How far back the recent changes look in the feature history.
CHANGE_DAYS = 90


@dataclass(frozen=True)
class RoadKm:
    """Kilometres of road per OSM class and per surface ('' where none is), longest first."""

    by_class: dict[str, float]
    by_surface: dict[str, float]


def road_km(*, municipality: Municipality) -> RoadKm:
    """Road lengths by class and by surface, in one pass over the roads."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT GROUPING(surface) = 1, coalesce(road_class, ''), coalesce(surface, ''), "
            "SUM(ST_Length(geom::geography)) / 1000.0 FROM layers_road "
            "WHERE municipality_id = %s GROUP BY GROUPING SETS ((road_class), (surface)) "
            "ORDER BY 4 DESC, 2, 3",
            [municipality.pk],
        )
        rows = cursor.fetchall()
    return RoadKm(
        by_class={cls: float(km) for is_class, cls, _s, km in rows if is_class},
        by_surface={surface: float(km) for is_class, _c, surface, km in rows if not is_class},
    )


def landmark_count_by_category(*, municipality: Municipality) -> dict[str, int]:
    """Landmarks per category, most first."""
    return dict(
        Landmark.objects.filter(municipality=municipality)
        .values_list("category")
        .annotate(n=Count("id"))
        .order_by("-n", "category")
        .values_list("category", "n")
    )


@dataclass(frozen=True)
class LayerCounts:
    buildings: int
    flood_zones: int
    dengue_cases: int


def layer_counts(*, municipality: Municipality) -> LayerCounts:
    """Feature counts of the layers without a widget of their own."""
    return LayerCounts(
        buildings=Building.objects.filter(municipality=municipality).count(),
        flood_zones=FloodZone.objects.filter(municipality=municipality).count(),
        dengue_cases=DengueCase.objects.filter(municipality=municipality).count(),
    )


@dataclass(frozen=True)
class DivisionFreshness:
    """When a division last updated any of its datasets, and how many are stale."""

    division: str  # '' for datasets that name no division
    datasets: int
    stale_datasets: int
    last_updated: datetime
    last_title: str
    last_updated_by: str

    @property
    def is_stale(self) -> bool:
        """Nothing of the division was updated within the limit."""
        return self.stale_datasets == self.datasets


def data_freshness(
    *,
    municipality: Municipality,
    access: DatasetAccess,
    now: datetime,
    stale_after_days: int,
) -> list[DivisionFreshness]:
    """Per owning division: datasets, the latest update (what, who) and the stale ones.

    A dataset is stale when it was last updated more than `stale_after_days` before `now`.
    Stale divisions come first, then the longest unchanged.
    """
    limit = now - timedelta(days=stale_after_days)
    datasets = (
        Dataset.objects.filter(municipality=municipality)
        .filter(access.readable())
        .select_related("updated_by")
        .order_by("division", "-updated_at", "id")
    )
    found: dict[str, DivisionFreshness] = {}
    for dataset in datasets:
        stale = int(dataset.updated_at < limit)
        seen = found.get(dataset.division)
        if seen is None:
            user = dataset.updated_by
            found[dataset.division] = DivisionFreshness(
                division=dataset.division,
                datasets=1,
                stale_datasets=stale,
                last_updated=dataset.updated_at,
                last_title=dataset.title,
                last_updated_by=(user.get_full_name() or user.username) if user else "",
            )
        else:
            found[dataset.division] = replace(
                seen, datasets=seen.datasets + 1, stale_datasets=seen.stale_datasets + stale
            )
    return sorted(found.values(), key=lambda row: (not row.is_stale, row.last_updated))


@dataclass(frozen=True)
class Change:
    """One line of the recent-changes list.

    `kind` is "dataset" (a catalogue entry's record changed; `title` names it) or a layer key
    of `CHANGE_LAYERS`: `count` of its features were created, changed or deleted (`op`, a
    `FeatureHistory.Op` value) on the day of `at`, by one person (`by`, may be empty) or in
    one import (`file`, the imported file's name).
    """

    at: datetime
    kind: str
    title: str = ""
    count: int = 1
    by: str = ""
    op: str = ""
    file: str = ""


def recent_changes(
    municipality: Municipality, limit: int = 10, *, access: DatasetAccess = MEMBER_ACCESS
) -> list[Change]:
    """The latest changes in the municipality, newest first, at most `limit`.

    Catalogue entries' updates (and who made them), and the feature history of the last
    `CHANGE_DAYS` days (`layers.history`: every insert, update and delete, whatever made it),
    one line per layer, day (Bangkok time), kind of change and person or import: an import is
    one line, a day's edits by one officer another, and deleted features show too. Changes
    to features of datasets the caller may not read are left out, as are dengue cases.
    """
    if limit <= 0:
        return []
    changes = [
        Change(
            at=dataset.updated_at,
            kind="dataset",
            title=dataset.title,
            by=(dataset.updated_by.get_full_name() or dataset.updated_by.username)
            if dataset.updated_by
            else "",
        )
        for dataset in Dataset.objects.filter(municipality=municipality)
        .filter(access.readable())
        .select_related("updated_by")
        .order_by("-updated_at", "id")[:limit]
    ]
    changes += _feature_changes(municipality, limit, access)
    changes.sort(key=lambda change: change.at, reverse=True)
    return changes[:limit]


def _feature_changes(municipality: Municipality, limit: int, access: DatasetAccess) -> list[Change]:
    """The newest `limit` groups of feature history entries (see `recent_changes`)."""
    readable = list(
        Dataset.objects.filter(municipality=municipality)
        .filter(access.readable())
        .values_list("pk", flat=True)
    )
    since = timezone.now() - timedelta(days=CHANGE_DAYS)
    where = (
        "municipality_id = %(municipality)s AND changed_at >= %(since)s "
        "AND layer = ANY(%(layers)s) "
        "AND (dataset_id IS NULL OR dataset_id = ANY(%(readable)s))"
    )
    groups = "layer, op, (changed_at AT TIME ZONE %(zone)s)::date, user_ref, import_run_id"
    with connection.cursor() as cursor:
        # Updates and deletes are one entry per feature, counted from the index `history_recent`
        # alone; an insert entry holds the keys its statement created, as ranges (entries from
        # before migration 0013 hold one feature and no ranges).
        cursor.execute(
            f"""
            SELECT layer, op, max(changed_at) AS at, count(*), user_ref, import_run_id
            FROM layers_featurehistory
            WHERE {where} AND NOT (op = 'insert')
            GROUP BY {groups}
            UNION ALL
            SELECT layer, op, max(changed_at),
                   sum(coalesce((SELECT sum(upper(r) - lower(r)) FROM unnest(inserted_ids) r), 1))
                   ::bigint,
                   user_ref, import_run_id
            FROM layers_featurehistory
            WHERE {where} AND op = 'insert'
            GROUP BY {groups}
            ORDER BY at DESC, layer, op
            LIMIT %(limit)s
            """,
            {
                "municipality": municipality.pk,
                "since": since,
                "layers": list(CHANGE_LAYERS),
                "readable": readable,
                "zone": settings.TIME_ZONE,
                "limit": limit,
            },
        )
        rows = cursor.fetchall()
    runs = {
        run.pk: run
        for run in ImportRun.objects.filter(pk__in={row[5] for row in rows if row[5]}).only(
            "file_name", "user_id"
        )
    }
    names = usernames(
        {row[4] for row in rows if row[4]} | {run.user_id for run in runs.values() if run.user_id}
    )
    changes = []
    for layer, op, at, count, user_ref, run_id in rows:
        run = runs.get(run_id)
        by = names.get(user_ref) or (names.get(run.user_id, "") if run is not None else "")
        file = run.file_name if run is not None else ""
        changes.append(Change(at=at, kind=layer, count=count, by=by, op=op, file=file))
    return changes
