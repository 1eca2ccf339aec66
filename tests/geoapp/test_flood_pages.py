"""The disaster team's pages: flood dashboard, aid priority list and minimum needs profile.

Expected figures come from `analysis.flood` run directly on frames read here, so the pages are
checked against the analysis itself, not against numbers copied from them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from analysis.flood import (
    DEFAULT_MINIMUM_NEEDS,
    depth_scheme,
    flood_assessment,
    minimum_needs,
    zones_from_classes,
)
from layers import selectors
from layers.frames import frame_from_queryset
from layers.models import Building, FloodZone, Landmark, MinimumNeedsProfile, Road
from tests.catalogue import thai_catalogue

NST = "nakhon-si-thammarat"
ROLES = ["viewer", "planner", "health", "disaster", "editor", "admin"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The assessment is cached per layer versions; a rolled-back test must not leave one."""
    cache.clear()
    yield
    cache.clear()


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def aid_list_rows(client: Client, query: dict | None = None) -> list:
    """The rows of every page of the aid list, following its "next" links."""
    url = reverse("flood-aid-priority", args=[NST])
    soup = page(client.get(url, query or {}))
    rows = soup.select("table.flood-aid-table tbody tr[data-building]")
    while (link := soup.select_one("nav a[rel=next]")) is not None:
        soup = page(client.get(url + link["href"].replace("&amp;", "&")))
        rows += soup.select("table.flood-aid-table tbody tr[data-building]")
    return rows


def text_of(soup: BeautifulSoup, element_id: str) -> str:
    return soup.find(id=element_id).get_text(strip=True)


def event_of(municipality) -> str:
    return FloodZone.objects.filter(municipality=municipality).values_list("event", flat=True)[0]


def per_person_profile(municipality) -> dict[str, float]:
    row = MinimumNeedsProfile.objects.filter(municipality=municipality).first()
    return dict(DEFAULT_MINIMUM_NEEDS) if row is None else row.per_person()


def assess(municipality):
    """The whole assessment, from frames read here, with the municipality's settings."""
    event = event_of(municipality)
    zones = frame_from_queryset(
        FloodZone.objects.filter(municipality=municipality, event=event), fields=("hazard_class",)
    )
    buildings = frame_from_queryset(
        Building.objects.filter(municipality=municipality).order_by("id"),
        fields=("id", "population", "elderly", "bedridden", "disabled", "infants"),
    )
    buildings["population"] = buildings["population"].fillna(0)
    scheme = depth_scheme(impassable_m=float(municipality.impassable_depth_m))
    return flood_assessment(
        hazard=zones_from_classes(zones, class_field="hazard_class", scheme=scheme),
        roads=selectors.road_frame(municipality=municipality),
        landmarks=selectors.landmark_frame(municipality=municipality),
        buildings=buildings,
        aggregation=selectors.subdistrict_frame(municipality=municipality),
        aggregation_field="code",
        metric_crs=municipality.metric_srid,
        needs_profile=per_person_profile(municipality),
    )


# --- Who may see what --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_member_of_the_municipality_sees_the_dashboard(db, role):
    response = client_for(f"nst-{role}").get(reverse("flood-dashboard", args=[NST]))

    assert response.status_code == 200
    assert "window.mueangMap" in response.content.decode()
    soup = page(response)
    assert soup.find(id="people-affected") is not None
    # The aid list holds household data: only roles that may edit flood data are sent there.
    link = soup.find(
        "a", href=lambda h: h and h.startswith(reverse("flood-aid-priority", args=[NST]))
    )
    assert (link is not None) == (role in {"disaster", "editor", "admin"})


@pytest.mark.parametrize("name", ["flood-dashboard", "flood-aid-priority", "flood-needs-profile"])
@pytest.mark.parametrize("role", ROLES)
def test_members_of_another_municipality_get_404(db, name, role):
    response = client_for(f"chon-{role}").get(reverse(name, args=[NST]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("viewer", 403),
        ("planner", 403),
        ("health", 403),
        ("disaster", 200),
        ("editor", 200),
        ("admin", 200),
    ],
)
def test_aid_list_is_for_roles_that_may_edit_flood_data(db, role, status):
    url = reverse("flood-aid-priority", args=[NST])
    client = client_for(f"nst-{role}")

    for query in ("", "?format=csv", "?format=geojson"):
        assert client.get(url + query).status_code == status


def test_a_municipality_without_flood_zones_says_so(db, chon):
    assert not FloodZone.objects.filter(municipality=chon).exists()
    client = client_for("chon-disaster")

    dashboard = client.get(reverse("flood-dashboard", args=[chon.code]))
    aid = client.get(reverse("flood-aid-priority", args=[chon.code]))

    assert dashboard.status_code == aid.status_code == 200
    assert "window.mueangMap" not in dashboard.content.decode()
    assert page(dashboard).find(class_="notice") is not None
    assert page(aid).find("table") is None


# --- The dashboard's figures are the analysis's --------------------------------------------------


def test_dashboard_figures_equal_the_analysis_run_directly(db, nst):
    expected = assess(nst)

    soup = page(client_for("nst-disaster").get(reverse("flood-dashboard", args=[NST])))

    roads = expected.roads.summary()["length_m"]
    households = expected.access.households
    assert text_of(soup, "people-affected") == f"{expected.population.affected:,.0f}"
    assert text_of(soup, "people-displaced") == f"{expected.population.displaced:,.0f}"
    assert text_of(soup, "road-km-impassable") == f"{roads['impassable'] / 1000:,.1f}"
    assert text_of(soup, "buildings-affected") == f"{int(expected.buildings.affected.sum()):,}"
    assert text_of(soup, "landmarks-affected") == f"{int(expected.landmarks.affected.sum()):,}"
    assert text_of(soup, "households-cut-off") == f"{int(households.lost_every_route.sum()):,}"
    assert (
        text_of(soup, "facilities-cut-off") == f"{int(expected.access.facilities.cut_off.sum()):,}"
    )
    needs = {
        row["data-item"]: row.find(class_="flood-need").get_text(strip=True)
        for row in soup.select("#minimum-needs tr[data-item]")
    }
    assert needs == {item: f"{amount:,}" for item, amount in expected.needs.items()}
    # The demo scenario is not trivial: people, roads and landmarks are all hit.
    assert expected.population.affected > 1000
    assert roads["impassable"] > 10_000
    assert expected.landmarks.affected.sum() > 5


def test_dashboard_tables_add_up_to_the_headline(db, nst):
    expected = assess(nst)

    soup = page(client_for("nst-disaster").get(reverse("flood-dashboard", args=[NST])))

    road_total = soup.select_one("#roads-by-class tfoot tr").find_all("th")
    assert road_total[-1].get_text(strip=True) == text_of(soup, "road-km-impassable")
    landmark_total = soup.select_one("#landmarks-by-class tfoot tr").find_all("th")
    assert landmark_total[-1].get_text(strip=True) == text_of(soup, "landmarks-affected")
    area_total = [c.get_text(strip=True) for c in soup.select("#by-subdistrict tfoot th")]
    assert area_total[4] == text_of(soup, "people-affected")
    assert area_total[5] == text_of(soup, "people-displaced")
    flooded = soup.select("#flooded-landmarks tbody tr")
    assert len(flooded) == int(expected.landmarks.affected.sum())


def test_unknown_event_is_a_bad_request_with_the_choices(db, nst):
    response = client_for("nst-viewer").get(
        reverse("flood-dashboard", args=[NST]), {"event": "<script>alert(1)</script>"}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert event_of(nst) in body


def test_names_from_the_data_are_escaped_on_the_map_and_in_the_tables(db, nst):
    road = Road.objects.filter(municipality=nst).order_by("id").first()
    road.name_th = "<img src=x onerror=alert(1)>"
    road.save()
    landmark = Landmark.objects.filter(municipality=nst).order_by("id").first()
    landmark.name_th = "<script>alert(2)</script>"
    landmark.save()
    zones = FloodZone.objects.filter(municipality=nst)
    zones.update(event="<b>น้ำท่วม</b>")

    body = client_for("nst-disaster").get(reverse("flood-dashboard", args=[NST])).content.decode()

    assert "<img src=x" not in body
    assert "<script>alert(2)" not in body
    assert "<b>น้ำท่วม</b>" not in body


# --- The aid priority list ---------------------------------------------------------------------


def test_aid_list_ranks_households_as_the_analysis_does(db, nst):
    expected = assess(nst).priority

    rows = aid_list_rows(client_for("nst-disaster"))

    assert [int(r["data-building"]) for r in rows] == expected["id"].astype(int).tolist()
    assert [int(r.select_one(".flood-rank").get_text()) for r in rows[:5]] == [1, 2, 3, 4, 5]
    assert len(rows) > 100


def test_csv_and_geojson_exports_parse_and_follow_the_page_ranking(db, nst):
    client = client_for("nst-disaster")
    url = reverse("flood-aid-priority", args=[NST])
    subdistrict = selectors.subdistrict_frame(municipality=nst)["code"].iloc[0]
    expected = assess(nst).priority
    for query in ({}, {"subdistrict": subdistrict}, {"top": "25"}):
        shown = [int(r["data-building"]) for r in aid_list_rows(client, query)]

        csv_response = client.get(url, {**query, "format": "csv"})
        geojson_response = client.get(url, {**query, "format": "geojson"})

        assert csv_response["Content-Type"].startswith("text/csv")
        assert "attachment" in csv_response["Content-Disposition"]
        text = csv_response.content.decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(text)))
        header, body = table[0], table[1:]
        assert len(header) == 18
        assert [int(r[1]) for r in body] == shown
        assert [int(r[0]) for r in body] == sorted(int(r[0]) for r in body)
        collection = json.loads(geojson_response.content)
        assert collection["type"] == "FeatureCollection"
        features = collection["features"]
        assert [f["properties"]["building_id"] for f in features] == shown
        assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"} for f in features)
        ranks = [f["properties"]["rank"] for f in features]
        assert ranks == [int(r[0]) for r in body]
        everyone = expected.set_index("id")["rank"]
        assert ranks == [int(everyone[b]) for b in shown]
    assert len(shown) == 25


def test_aid_list_of_one_subdistrict_keeps_the_municipal_ranks(db, nst):
    expected = assess(nst).priority
    busiest = expected["area"].value_counts().index[0]

    rows = aid_list_rows(client_for("nst-admin"), {"subdistrict": busiest})

    mine = expected[expected["area"] == busiest]
    assert [int(r["data-building"]) for r in rows] == mine["id"].astype(int).tolist()
    assert [int(r.select_one(".flood-rank").get_text()) for r in rows] == mine["rank"].tolist()


def test_reasons_name_the_vulnerable_members_and_the_lost_routes(db, nst):
    from geoapp.flood.views import reason_text

    expected = assess(nst).priority
    client = client_for("nst-disaster")
    client.cookies["django_language"] = "en"

    soup = page(client.get(reverse("flood-aid-priority", args=[NST])))

    shown = [
        [li.get_text(strip=True) for li in cell.find_all("li")]
        for cell in soup.select("tbody tr[data-building] .flood-reasons")
    ]
    with translation.override("en"):
        assert shown[:20] == [
            [reason_text(code) for code in codes] for codes in expected["reason_codes"].head(20)
        ]
        assert reason_text("bedridden:2") == "bedridden: 2"
        assert reason_text("no_route:health") == "no road route to a hospital or health centre"
        assert reason_text("detour_m:shelter:1250") == "1.2 km further by road to a shelter"
        assert reason_text("depth_m:1.62") == "water up to 1.62 m deep"
        assert reason_text("depth:high") == "flood class High (>= 1.5 m)"
        assert reason_text("something:new") == "something:new"
    assert any("bedridden" in text for reasons in shown for text in reasons)


def _msgids_of_the_flood_pages() -> set[str]:
    """English msgids in the flood views, map, templates and the needs profile model."""
    from pathlib import Path

    python = re.compile(r"""(?:\b_|gettext_lazy)\(\s*"((?:[^"\\]|\\.)*)"\s*\)""")
    translate = re.compile(r"""{% translate (["'])(.*?)\1 %}""")
    block = re.compile(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", re.S)
    found: set[str] = set()
    models = Path("layers/models.py").read_text(encoding="utf-8")
    sources = [
        Path("geoapp/flood/views.py").read_text(encoding="utf-8"),
        Path("geoapp/flood/maps.py").read_text(encoding="utf-8"),
        models[models.index("class MinimumNeedsProfile") :],
    ]
    for source in sources:
        found |= {json.loads(f'"{m}"') for m in python.findall(source)}
    for template in Path("geoapp/templates/geoapp/flood").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        found |= {m[1] for m in translate.findall(text)}
        found |= {re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body) for body in block.findall(text)}
    return found


def test_every_string_of_the_flood_pages_has_a_thai_translation():
    """Strings are English msgids; each has a Thai msgstr in the catalogue, placeholders kept."""
    catalogue = thai_catalogue()
    msgids = _msgids_of_the_flood_pages()

    missing = sorted(m for m in msgids if not catalogue.get(m))

    assert len(msgids) > 100
    assert missing == []
    for english in msgids:
        thai = catalogue[english]
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in thai), english
        assert sorted(re.findall(r"%\(\w+\)s", english)) == sorted(
            re.findall(r"%\(\w+\)s", thai)
        ), english


@pytest.mark.parametrize(
    "query",
    [
        {"format": "xls"},
        {"subdistrict": "nowhere"},
        {"top": "-3"},
        {"top": "ten"},
        {"top": "0"},
        {"top": "1" * 40},
        {"event": "x" * 5000},
    ],
)
def test_malformed_aid_list_parameters_are_bad_requests_with_a_message(db, query):
    response = client_for("nst-disaster").get(reverse("flood-aid-priority", args=[NST]), query)

    assert response.status_code == 400
    assert page(response).find(class_="flood-error").get_text(strip=True)


# --- The minimum needs profile -----------------------------------------------------------------


VALID = {
    "rice_kg": "4.2",
    "drinking_water_l": "21",
    "clean_water_l": "90",
    "people_per_family_kit": "4",
    "people_per_toilet": "25",
}


def test_saved_needs_profile_changes_the_dashboards_needs(db, nst):
    client = client_for("nst-disaster")
    url = reverse("flood-needs-profile", args=[NST])
    before = MinimumNeedsProfile.objects.filter(municipality=nst).count()

    response = client.post(url, VALID)

    assert response.status_code == 302
    saved = MinimumNeedsProfile.objects.filter(municipality=nst).first()
    assert MinimumNeedsProfile.objects.filter(municipality=nst).count() == before + 1
    assert saved.saved_by.username == "nst-disaster"
    assert saved.per_person() == {
        "rice_kg": 4.2,
        "drinking_water_l": 21.0,
        "clean_water_l": 90.0,
        "family_kits": 0.25,
        "toilets": 0.04,
    }
    displaced = assess(nst).population.displaced
    expected = minimum_needs(displaced=displaced, profile=saved.per_person())
    soup = page(client.get(reverse("flood-dashboard", args=[NST])))
    shown = {
        row["data-item"]: row.find(class_="flood-need").get_text(strip=True)
        for row in soup.select("#minimum-needs tr[data-item]")
    }
    assert shown == {item: f"{amount:,}" for item, amount in expected.items()}
    assert shown["rice_kg"] == f"{math.ceil(round(displaced * 4.2, 6)):,}"
    profile_page = page(client.get(url))
    assert profile_page.select("#profile-history tbody tr")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rice_kg", "-1"),
        ("drinking_water_l", "abc"),
        ("clean_water_l", "nan"),
        ("clean_water_l", "inf"),
        ("rice_kg", "1e400"),
        ("rice_kg", ""),
        ("rice_kg", "100000"),
        ("people_per_toilet", "0"),
        ("people_per_family_kit", "-2"),
    ],
)
def test_needs_profile_refuses_bad_amounts_with_a_message(db, nst, field, value):
    before = MinimumNeedsProfile.objects.filter(municipality=nst).count()

    response = client_for("nst-disaster").post(
        reverse("flood-needs-profile", args=[NST]), {**VALID, field: value}
    )

    assert response.status_code == 200
    soup = page(response)
    assert soup.find(class_="flood-error") is not None
    errors = soup.select(".flood-field-error .errorlist li")
    assert len(errors) == 1
    assert errors[0].get_text(strip=True)
    assert MinimumNeedsProfile.objects.filter(municipality=nst).count() == before


def test_needs_profile_is_read_only_for_members_without_the_edit_right(db, nst):
    client = client_for("nst-viewer")
    url = reverse("flood-needs-profile", args=[NST])

    shown = client.get(url)
    posted = client.post(url, VALID)

    assert shown.status_code == 200
    assert page(shown).find("form", class_="flood-needs-form") is None
    assert posted.status_code == 403
    assert not MinimumNeedsProfile.objects.filter(municipality=nst, rice_kg=4.2).exists()


def test_the_database_refuses_a_negative_amount_even_past_the_form(db, nst):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        MinimumNeedsProfile.objects.create(
            municipality=nst,
            rice_kg=-1,
            drinking_water_l=17.5,
            clean_water_l=87.5,
            people_per_family_kit=3,
            people_per_toilet=20,
        )
