"""Reads behind a municipality's home page: road lengths, landmark counts, freshness, changes.

Every function works on one municipality and runs in the caller's tenant scope (row-level
security). Lengths are geodesic: `ST_Length(geography)` measures on the WGS 84 spheroid, in
metres, so no projection's scale error (up to 0.04 % at a UTM zone's edge) creeps in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count

from layers.models import Building, Dataset, DengueCase, FloodZone, Landmark, Municipality
from layers.selectors_catalogue import DatasetAccess

#: What a member of the municipality may read (public and internal datasets, no case data).
MEMBER_ACCESS = DatasetAccess(internal=True)

#: Layers whose feature edits count as changes, with their tables (dengue cases never: personal).
CHANGE_LAYERS = {
    "roads": "layers_road",
    "landmarks": "layers_landmark",
    "buildings": "layers_building",
    "flood_zones": "layers_floodzone",
}


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
    of `CHANGE_LAYERS` (`count` features of it changed on the day of `at`).
    """

    at: datetime
    kind: str
    title: str = ""
    count: int = 1
    by: str = ""


def recent_changes(
    municipality: Municipality, limit: int = 10, *, access: DatasetAccess = MEMBER_ACCESS
) -> list[Change]:
    """The latest changes in the municipality, newest first, at most `limit`.

    Reads what exists today: catalogue entries' update times (and who), and the `updated_at`
    of features, grouped per layer and day (Bangkok time) so an import is one line. Deleted
    features leave no trace here; a feature-history table can replace this function's body
    without changing its callers.
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
    per_layer = " UNION ALL ".join(
        f"""(SELECT %s AS layer, max(updated_at) AS at, count(*) AS n
             FROM {table} WHERE municipality_id = %s
             GROUP BY (updated_at AT TIME ZONE 'Asia/Bangkok')::date
             ORDER BY 2 DESC LIMIT %s)"""
        for table in CHANGE_LAYERS.values()
    )
    params: list = []
    for layer in CHANGE_LAYERS:
        params += [layer, municipality.pk, limit]
    with connection.cursor() as cursor:
        cursor.execute(per_layer, params)
        changes += [Change(at=at, kind=layer, count=n) for layer, at, n in cursor.fetchall()]
    changes.sort(key=lambda change: change.at, reverse=True)
    return changes[:limit]
