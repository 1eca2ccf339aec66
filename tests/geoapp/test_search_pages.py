"""The search page and the header box's suggestions: results, links, roles, bad input."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from layers.models import DengueCase, Landmark

NST = "nakhon-si-thammarat"
TEMPLE = "วัดพระมหาธาตุ วรมหาวิหาร"


def client_for(username: str, language: str = "th") -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = language
    return client


def suggest(username: str, q: str, code: str = NST):
    return client_for(username).get(
        reverse("municipality-search-suggest", kwargs={"code": code}), {"q": q}
    )


def page(username: str, q: str, code: str = NST):
    return client_for(username).get(reverse("municipality-search", kwargs={"code": code}), {"q": q})


def test_suggestions_find_the_temple_by_part_of_its_thai_name_and_link_to_it_on_the_map(db):
    temple = Landmark.objects.get(municipality__code=NST, name_th=TEMPLE)

    response = suggest("nst-planner", "มหาธาตุ")

    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["label"] == TEMPLE
    assert first["kind"] == "landmark"
    url = urlparse(first["url"])
    assert url.path == reverse("municipality-map", kwargs={"code": NST})
    assert parse_qs(url.query) == {"layer": ["landmarks"], "feature": [str(temple.pk)]}


def test_the_results_page_works_without_javascript_and_lists_the_temple(db):
    response = page("nst-viewer", "มหาทาตุ")  # one letter wrong (ท for ธ)

    assert response.status_code == 200
    body = response.content.decode()
    assert TEMPLE in body
    assert "?layer=landmarks&amp;feature=" in body


def test_english_names_are_found_with_a_slip_and_shown_in_english(db):
    response = client_for("nst-viewer", "en").get(
        reverse("municipality-search-suggest", kwargs={"code": NST}), {"q": "mahatat"}
    )

    labels = [r["label"] for r in response.json()["results"]]
    assert "Wat Phra Mahathat Voramahavihan" in labels


def test_roads_subdistricts_and_datasets_are_found(db):
    kinds = {r["kind"] for r in suggest("nst-planner", "ราชดำเนิน").json()["results"]}
    subdistricts = suggest("nst-planner", "ท่าวัง").json()["results"]
    datasets = suggest("nst-planner", "OpenStreetMap").json()["results"]

    assert "road" in kinds
    assert subdistricts[0]["kind"] == "subdistrict"
    assert parse_qs(urlparse(subdistricts[0]["url"]).query)["layer"] == ["subdistricts"]
    assert any(r["kind"] == "dataset" and "/catalogue/" in r["url"] for r in datasets)


@pytest.mark.parametrize(
    ("username", "sees_cases"),
    [
        ("nst-viewer", False),
        ("nst-planner", False),
        ("nst-disaster", False),
        ("nst-editor", False),
        ("nst-health", True),
        ("nst-admin", True),
    ],
)
def test_only_roles_that_see_case_locations_find_cases(db, username, sees_cases):
    case = DengueCase.objects.filter(municipality__code=NST).order_by("id").first()

    by_code = suggest(username, case.source_id).json()["results"]
    by_subdistrict = page(username, "ท่าวัง").content.decode()

    assert any(r["kind"] == "case" for r in by_code) is sees_cases
    assert ("layer=cases" in by_subdistrict) is sees_cases


def test_case_hits_carry_no_personal_data(db):
    case = DengueCase.objects.filter(municipality__code=NST, personal__isnull=False).first()

    body = suggest("nst-health", case.source_id).content.decode()

    assert case.source_id in body
    assert case.personal.full_name not in body
    assert case.personal.phone not in body


@pytest.mark.parametrize(
    ("q", "reason"),
    [
        ("ก" * 101, "100"),
        ("วัด\tพระ", "control"),
        ("วัด\nพระ", "control"),
    ],
)
def test_bad_search_text_is_refused_with_the_reason(db, q, reason):
    client = client_for("nst-viewer", "en")
    json_response = client.get(
        reverse("municipality-search-suggest", kwargs={"code": NST}), {"q": q}
    )
    html_response = client.get(reverse("municipality-search", kwargs={"code": NST}), {"q": q})

    assert json_response.status_code == 400
    assert reason in json_response.json()["error"]
    assert html_response.status_code == 400
    assert reason in html_response.content.decode()


def test_a_nul_in_the_search_text_is_a_400_not_a_500(db):
    response = suggest("nst-viewer", "วัด\x00")

    assert response.status_code == 400


def test_a_one_character_search_asks_for_more_and_finds_nothing(db):
    response = page("nst-viewer", "ว")

    assert response.status_code == 200
    assert response.context["too_short"]
    assert response.context["results"] == []


def test_like_wildcards_typed_by_the_user_are_literal(db):
    everything = suggest("nst-viewer", "%%%%").json()["results"]
    underscores = suggest("nst-viewer", "____").json()["results"]

    assert everything == []
    assert underscores == []


def test_the_header_box_is_on_municipality_pages_and_searches_that_municipality(db):
    body = client_for("nst-planner").get(reverse("catalogue", kwargs={"code": NST})).content
    html = body.decode()

    assert 'role="combobox"' in html
    assert reverse("municipality-search-suggest", kwargs={"code": NST}) in html


def test_the_header_box_on_pages_outside_a_municipality_searches_the_users_own(db):
    html = client_for("chon-planner").get(reverse("help-index")).content.decode()

    assert reverse("municipality-search", kwargs={"code": "chon-buri"}) in html
    assert reverse("municipality-search", kwargs={"code": NST}) not in html


def test_visitors_get_no_search_box(db):
    html = Client(HTTP_HOST="127.0.0.1").get(reverse("landing")).content.decode()

    assert 'role="combobox"' not in html


@pytest.mark.parametrize("role", ["viewer", "planner", "health", "disaster", "editor", "admin"])
def test_every_role_of_the_municipality_may_search(db, role):
    """Searching needs only membership (VIEW_LAYERS, which every role has); cases are filtered."""
    assert page(f"nst-{role}", "มหาธาตุ").status_code == 200
    assert suggest(f"nst-{role}", "มหาธาตุ").status_code == 200
