"""Public dengue counts: one immutable release per complete epidemiological week.

A week (Sunday to Saturday) is released once, `RELEASE_LAG_DAYS` after it ends, with the
cases reported by then (`dengue_releases_publish`, called lazily by the public page and by
`manage.py dengue_releases`). The released figures never change: late reports reach the public
only through an explicit, dated correction (`dengue_release_correct`), a new version of the week
that must pass the disclosure check against every earlier release of that week
(`analysis.disclosure`). No figure spans weeks, so releases of different weeks cannot be
subtracted from each other.

Why 14 days: most cases are reported within two weeks of onset, so a later release is rarely
corrected; corrections are the costly part, as each must hide whatever changed by fewer than
five cases.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection

from analysis.disclosure import WeekRelease, week_release
from layers.models import DengueCase, DengueRelease, Municipality, Subdistrict
from layers.tenancy import tenant_scope

#: Days between the end of a week (its Saturday) and its release.
RELEASE_LAG_DAYS = 14
#: Weeks shown on the public page, and weeks released on a first visit.
WEEKS_SHOWN = 12
#: First key of the advisory lock that serialises releasing per municipality.
_LOCK_NAMESPACE = 0x6D75_656E  # "muen"


def week_start(day: date) -> date:
    """The Sunday that starts the epidemiological week of `day`."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def release_due_weeks(*, today: date, weeks: int = WEEKS_SHOWN) -> list[date]:
    """The latest `weeks` weeks whose release is due on `today`, oldest first."""
    latest = week_start(today - timedelta(days=7 + RELEASE_LAG_DAYS))
    return [latest - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def week_counts(*, municipality: Municipality, week: date, as_of: date) -> dict[str, int]:
    """Cases per subdistrict (Thai name, all of them) with onset in `week`, reported by `as_of`."""
    with tenant_scope(municipality_ids=[municipality.pk]):
        names = dict(
            Subdistrict.objects.filter(municipality=municipality).values_list("id", "name_th")
        )
        onsets = Counter(
            DengueCase.objects.filter(
                municipality=municipality,
                onset_date__gte=week,
                onset_date__lt=week + timedelta(days=7),
                report_date__lte=as_of,
                subdistrict__isnull=False,
            ).values_list("subdistrict_id", flat=True)
        )
    counts = dict.fromkeys(sorted(set(names.values())), 0)
    for subdistrict_id, n in onsets.items():
        counts[names[subdistrict_id]] += n
    return counts


def _lock(municipality: Municipality) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, municipality.pk])


def dengue_releases_publish(
    *, municipality: Municipality, today: date, weeks: int = WEEKS_SHOWN
) -> list[DengueRelease]:
    """Release every due week of the last `weeks` not released yet (each week once only)."""
    created = []
    with tenant_scope(municipality_ids=[municipality.pk]):
        _lock(municipality)  # a second request waits, then finds the weeks released
        released = set(
            DengueRelease.objects.filter(municipality=municipality).values_list("week", flat=True)
        )
        for week in release_due_weeks(today=today, weeks=weeks):
            if week in released:
                continue
            counts = week_counts(municipality=municipality, week=week, as_of=today)
            created.append(
                DengueRelease.objects.create(
                    municipality=municipality,
                    week=week,
                    version=1,
                    published_on=today,
                    table=week_release(counts).as_json(),
                )
            )
    return created


def dengue_release_correct(
    *, municipality: Municipality, week: date, on: date, note: str = ""
) -> DengueRelease | None:
    """Publish a dated correction of a released week, or None when nothing would change.

    Raises `ValueError` for a week not released yet, and `analysis.disclosure.DisclosureError`
    when no correction passes the check against the earlier releases.
    """
    week = week_start(week)
    with tenant_scope(municipality_ids=[municipality.pk]):
        _lock(municipality)
        earlier = list(
            DengueRelease.objects.filter(municipality=municipality, week=week).order_by("version")
        )
        if not earlier:
            raise ValueError(f"week {week:%Y-%m-%d} has not been released")
        if on < earlier[-1].published_on:
            raise ValueError("a correction cannot be dated before the release it corrects")
        counts = week_counts(municipality=municipality, week=week, as_of=on)
        tables = [WeekRelease.from_json(r.table) for r in earlier]
        candidate = week_release(counts, earlier=tables)
        if candidate == tables[-1]:
            return None
        return DengueRelease.objects.create(
            municipality=municipality,
            week=week,
            version=earlier[-1].version + 1,
            published_on=on,
            table=candidate.as_json(),
            note=note,
        )


@dataclass(frozen=True)
class ReleaseColumn:
    """The latest version of one released week, as the page heads its column."""

    week: date
    version: int
    published_on: date
    first_published_on: date


@dataclass(frozen=True)
class OpenDengueTable:
    """Released weeks as a table: figures are ints, `SMALL` or `WITHHELD` (see analysis)."""

    columns: list[ReleaseColumn]
    rows: list[tuple[str, list]]
    totals: list
    lag_days: int


def open_dengue_table(*, municipality: Municipality, weeks: int = WEEKS_SHOWN) -> OpenDengueTable:
    """The latest version of each of the last `weeks` released weeks, exactly as released."""
    with tenant_scope(municipality_ids=[municipality.pk]):
        releases = list(
            DengueRelease.objects.filter(municipality=municipality).order_by("week", "version")
        )
    by_week: dict[date, list[DengueRelease]] = {}
    for release in releases:
        by_week.setdefault(release.week, []).append(release)
    shown = sorted(by_week)[-weeks:] if weeks else []
    columns, tables = [], []
    for week in shown:
        versions = by_week[week]
        latest = versions[-1]
        columns.append(
            ReleaseColumn(week, latest.version, latest.published_on, versions[0].published_on)
        )
        tables.append(WeekRelease.from_json(latest.table))
    areas = sorted({area for table in tables for area in table.areas})
    cells = [dict(zip(t.areas, t.cells, strict=True)) for t in tables]
    rows = [(area, [c.get(area, "") for c in cells]) for area in areas]
    return OpenDengueTable(columns, rows, [t.total for t in tables], RELEASE_LAG_DAYS)
