"""The flood damage page: who sees it, its figures against the selector, edits, CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from layers.flood import selectors as flood
from layers.models import FloodReplacementValue, FloodZone
from tests.geoapp.test_flood_pages import NST, ROLES, _fresh_cache, client_for, page

__all__ = ["_fresh_cache"]  # the autouse fixture: the assessment is cached per layer versions


def expected(municipality):
    event = FloodZone.objects.filter(municipality=municipality).values_list("event", flat=True)[0]
    situation = flood.flood_situation(
        municipality=municipality,
        needs=flood.needs_profile_current(municipality=municipality),
        event=event,
    )
    settings = flood.damage_settings_current(municipality=municipality)
    return flood.flood_damage(situation=situation, settings=settings).summary


@pytest.mark.parametrize("role", ROLES)
def test_every_member_sees_the_damage_with_the_selectors_total(db, nst, role):
    response = client_for(f"nst-{role}").get(reverse("flood-damage", args=[NST]))

    assert response.status_code == 200
    soup = page(response)
    total = expected(nst)["total_damage_baht"]
    assert soup.find(id="damage-total").get_text() == f"{total:,.0f}"
    assert "JRC105688" in soup.find(id="damage-source").get_text()
    assert (soup.find(id="damage-value-form") is not None) == (
        role in {"disaster", "editor", "admin"}
    )


def test_the_page_is_thai_first_and_cites_the_curves(db, nst):
    soup = page(client_for("nst-viewer").get(reverse("flood-damage", args=[NST])))

    assert soup.find("h1").get_text() == "ความเสียหายจากน้ำท่วมรายอาคาร"
    assert "Huizinga" in soup.find(id="damage-source").get_text()
    assert soup.find(id="damage-by-subdistrict").find(string="ในเมือง") is not None


@pytest.mark.parametrize("role", ROLES)
def test_members_of_another_municipality_get_404(db, role):
    response = client_for(f"chon-{role}").get(reverse("flood-damage", args=[NST]))

    assert response.status_code == 404


def test_a_viewer_cannot_change_the_model(db, nst):
    response = client_for("nst-viewer").post(
        reverse("flood-damage", args=[NST]),
        {"what": "value", "building_type": "residential", "baht_per_m2": "1", "source": "x"},
    )

    assert response.status_code == 403
    assert not FloodReplacementValue.objects.filter(municipality=nst).exists()


def test_a_saved_value_changes_the_damage_in_proportion(db, nst):
    before = expected(nst)["by_type"]["residential"]["damage_baht"]
    client = client_for("nst-disaster")

    response = client.post(
        reverse("flood-damage", args=[NST]),
        {
            "what": "value",
            "building_type": "residential",
            "baht_per_m2": "13250",
            "source": "ราคากลางกรมธนารักษ์",
        },
    )

    assert response.status_code == 302
    after = expected(nst)["by_type"]["residential"]["damage_baht"]
    assert after == pytest.approx(before / 2)
    soup = page(client.get(reverse("flood-damage", args=[NST])))
    row = soup.find("tr", attrs={"data-type": "residential"}).get_text()
    assert "13,250" in row
    assert "ราคากลางกรมธนารักษ์" in row
    assert soup.find(id="damage-history") is not None


@pytest.mark.parametrize(
    "points",
    ["0:0, 1:0.5, 2:0.3", "0:0, one:0.5", "0:0", "0:0, 1:2"],
)
def test_a_bad_curve_is_refused_with_a_message_and_saves_nothing(db, nst, points):
    response = client_for("nst-editor").post(
        reverse("flood-damage", args=[NST]),
        {"what": "curve", "building_type": "public", "points": points, "source": "test"},
    )

    assert response.status_code == 200
    soup = page(response)
    assert soup.find(id="damage-curve-form").find(class_="flood-error") is not None
    assert flood.damage_settings_current(municipality=nst).types[3].curve_is_default


def test_csv_lists_every_damaged_building_with_thai_intact(db, nst):
    response = client_for("nst-viewer").get(reverse("flood-damage", args=[NST]), {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    summary = expected(nst)
    assert len(rows) - 1 == summary["buildings_damaged"]
    assert sum(float(r[-1]) for r in rows[1:]) == pytest.approx(summary["total_damage_baht"], abs=1)
    assert any(r[3] == "ในเมือง" for r in rows[1:])


def test_the_depth_raster_hazard_gives_measured_depths(db, nst):
    response = client_for("nst-viewer").get(
        reverse("flood-damage", args=[NST]), {"hazard": "depth", "format": "csv"}
    )

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    assert rows[1:]
    assert {r[7] for r in rows[1:]} == {"ความลึก"}


@pytest.mark.parametrize("query", [{"format": "xls"}, {"event": "nowhere"}])
def test_bad_parameters_are_bad_requests(db, query):
    response = client_for("nst-viewer").get(reverse("flood-damage", args=[NST]), query)

    assert response.status_code == 400
