"""The public dengue page: counts per subdistrict and week, lagged and suppressed, no points."""

from __future__ import annotations

from datetime import date, timedelta

from django.test import Client
from django.utils import timezone

from layers.models import DengueCase, Municipality
from layers.selectors import public_case_counts

NST = "nakhon-si-thammarat"


def test_anyone_can_read_it_without_logging_in(db):
    response = Client(HTTP_HOST="127.0.0.1").get(f"/open/{NST}/dengue/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "&lt;5" in page  # some cells are suppressed
    for marker in ("POINT", "geo_json", "L.map"):
        assert marker not in page


def test_counts_add_up_and_small_cells_are_hidden(db):
    municipality = Municipality.objects.get(code=NST)
    as_of = date(2026, 11, 21)

    counts = public_case_counts(municipality=municipality, as_of=as_of)

    assert counts.published_until == as_of - timedelta(days=7)
    cases = DengueCase.objects.filter(
        municipality=municipality,
        onset_date__gte=counts.weeks[0],
        onset_date__lte=counts.published_until,
    ).count()
    shown_totals = [t for t in counts.week_totals if t is not None]
    assert sum(shown_totals) <= cases
    for _area, cells, total in counts.rows:
        assert all(c is None or c == 0 or c >= 5 for c in cells)
        assert total is None or total == 0 or total >= 5


def test_cases_of_the_last_seven_days_are_not_published_yet(db):
    municipality = Municipality.objects.get(code=NST)
    today = timezone.localdate()
    template = DengueCase.objects.filter(municipality=municipality).first()
    before = public_case_counts(municipality=municipality, as_of=today)
    for _ in range(6):
        DengueCase.objects.create(
            municipality=municipality,
            onset_date=today - timedelta(days=2),
            report_date=today - timedelta(days=1),
            diagnosis="DF",
            subdistrict=template.subdistrict,
            geom=template.geom,
        )

    after = public_case_counts(municipality=municipality, as_of=today)

    assert after.rows == before.rows
    assert after.week_totals == before.week_totals
    # threshold=1 turns suppression off, to look at the lag alone.
    later = public_case_counts(
        municipality=municipality, as_of=today + timedelta(days=9), threshold=1
    )
    onset = today - timedelta(days=2)
    week = next(i for i, start in enumerate(later.weeks) if start <= onset < start + timedelta(7))
    cells = {area: cells for area, cells, _total in later.rows}
    assert cells[template.subdistrict.name_th][week] >= 6  # a week later they are published
