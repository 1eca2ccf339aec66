"""The public dengue page: one immutable release per complete week, suppressed, no points."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from analysis.disclosure import SMALL, WITHHELD, WeekRelease, week_pins
from layers.dengue.releases import (
    RELEASE_LAG_DAYS,
    WEEKS_SHOWN,
    dengue_release_correct,
    dengue_releases_publish,
    open_dengue_table,
    release_due_weeks,
    week_counts,
)
from layers.models import DengueCase, DengueRelease

NST = "nakhon-si-thammarat"


@pytest.fixture(autouse=True)
def no_releases_yet(request):
    """Start from no release (a browser test's live server may have committed some)."""
    if "db" in request.fixturenames or "nst" in request.fixturenames:
        request.getfixturevalue("db")
        DengueRelease.objects.all().delete()  # undone with the test's transaction


AS_OF = date(2026, 11, 22)  # a Sunday, when the week of 1 November falls due


def test_anyone_can_read_it_without_logging_in(db):
    response = Client(HTTP_HOST="127.0.0.1").get(f"/open/{NST}/dengue/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "&lt;5" in page  # some cells are suppressed
    for marker in ("POINT", "geo_json", "L.map"):
        assert marker not in page


def test_the_thai_page_dates_releases_in_the_buddhist_era(nst):
    dengue_releases_publish(municipality=nst, today=AS_OF)

    response = Client(HTTP_HOST="127.0.0.1").get(f"/open/{NST}/dengue/", HTTP_ACCEPT_LANGUAGE="th")

    page = response.content.decode()
    assert "2569" in page  # 2026 CE
    assert "ปกปิด" in page  # a withheld figure, in Thai
    assert "เผยแพร่" in page


def test_only_complete_weeks_are_released_after_the_lag(nst):
    created = dengue_releases_publish(municipality=nst, today=AS_OF)

    weeks = [r.week for r in created]
    assert weeks == release_due_weeks(today=AS_OF)
    assert len(weeks) == WEEKS_SHOWN
    assert all(w.weekday() == 6 for w in weeks)  # epidemiological weeks start on Sunday
    assert weeks[-1] + timedelta(days=7 + RELEASE_LAG_DAYS) <= AS_OF
    assert weeks[-1] + timedelta(days=7 + 7 + RELEASE_LAG_DAYS) > AS_OF  # the next is not due


def test_a_week_is_released_once_and_the_page_shows_it_as_released(nst):
    first = dengue_releases_publish(municipality=nst, today=AS_OF)

    again = dengue_releases_publish(municipality=nst, today=AS_OF + timedelta(days=3))
    next_week = dengue_releases_publish(municipality=nst, today=AS_OF + timedelta(days=7))

    assert again == []
    assert [r.week for r in next_week] == [first[-1].week + timedelta(days=7)]
    table = open_dengue_table(municipality=nst)
    assert [c.week for c in table.columns] == [r.week for r in [*first[1:], *next_week]]
    stored = {r.week: WeekRelease.from_json(r.table) for r in [*first, *next_week]}
    for column, total in zip(table.columns, table.totals, strict=True):
        assert total == stored[column.week].total


def test_a_release_cannot_be_updated(nst):
    release = dengue_releases_publish(municipality=nst, today=AS_OF)[0]

    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        DengueRelease.objects.filter(pk=release.pk).update(table={"areas": [], "cells": []})


def test_published_cells_are_zero_or_at_least_five_and_the_rest_is_labelled(nst):
    releases = dengue_releases_publish(municipality=nst, today=AS_OF)

    for release in releases:
        table = WeekRelease.from_json(release.table)
        counts = week_counts(municipality=nst, week=release.week, as_of=AS_OF)
        for area, cell in zip(table.areas, table.cells, strict=True):
            if cell == SMALL:
                assert 0 < counts[area] < 5
            elif cell == WITHHELD:
                assert counts[area] >= 5  # a complement is not labelled "<5"
            else:
                assert cell == counts[area]
                assert cell == 0 or cell >= 5
        assert table.total in (WITHHELD, sum(counts.values()))
        if sum(counts.values()) == 0:
            assert table.total == 0  # an all-zero week shows 0, not "<5"
        assert week_pins([table]) == []


def test_late_cases_change_nothing_published_until_a_dated_correction(nst):
    week = dengue_releases_publish(municipality=nst, today=AS_OF)[-1]
    template = DengueCase.objects.filter(municipality=nst, subdistrict__isnull=False).first()
    for _ in range(7):
        DengueCase.objects.create(
            municipality=nst,
            onset_date=week.week + timedelta(days=2),
            report_date=AS_OF + timedelta(days=1),
            diagnosis="DF",
            subdistrict=template.subdistrict,
            geom=template.geom,
        )
    corrected_on = AS_OF + timedelta(days=2)

    dengue_releases_publish(municipality=nst, today=corrected_on)
    unchanged = DengueRelease.objects.get(pk=week.pk)
    correction = dengue_release_correct(
        municipality=nst, week=week.week, on=corrected_on, note="late reports"
    )

    assert unchanged.table == week.table
    assert correction.version == 2
    assert correction.published_on == corrected_on
    assert correction.table != week.table
    tables = [WeekRelease.from_json(r.table) for r in (week, correction)]
    assert week_pins(tables) == []
    column = next(c for c in open_dengue_table(municipality=nst).columns if c.week == week.week)
    assert (column.version, column.published_on) == (2, corrected_on)
    assert dengue_release_correct(municipality=nst, week=week.week, on=corrected_on) is None


def test_a_correction_needs_a_released_week(nst):
    with pytest.raises(ValueError, match="not been released"):
        dengue_release_correct(municipality=nst, week=timezone.localdate(), on=AS_OF)


def test_the_command_releases_due_weeks_and_refuses_an_unreleased_correction(nst):
    out = io.StringIO()

    call_command("dengue_releases", NST, "--today", "2026-11-22", stdout=out)
    call_command(
        "dengue_releases", NST, "--today", "2026-11-22", "--correct", "2026-11-04", stdout=out
    )

    assert "released 12 weeks" in out.getvalue()
    assert "no correction" in out.getvalue()
    with pytest.raises(CommandError, match="not been released"):
        call_command("dengue_releases", NST, "--correct", "2026-11-29")


def test_a_week_cannot_be_released_twice(nst):
    release = dengue_releases_publish(municipality=nst, today=AS_OF)[0]

    with pytest.raises(IntegrityError), transaction.atomic():
        DengueRelease.objects.create(
            municipality=nst, week=release.week, published_on=AS_OF, table=release.table
        )
