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


# --- The catalogue's attribute tables -----------------------------------------------------------


def dataset_page(username: str, slug: str, **params: str):
    url = reverse("catalogue-dataset", kwargs={"code": NST, "slug": slug})
    return client_for(username, "en").get(url, params)


def test_the_attribute_table_is_searched_by_text(db):
    response = dataset_page("nst-viewer", "landmarks-osm", q="มหาธาตุ")

    assert response.status_code == 200
    names = [row[0] for row in response.context["rows"]]
    assert TEMPLE in names
    assert all("มหาธาตุ" in (row[0] or "") + (row[1] or "") for row in response.context["rows"])
    assert response.context["matching"] < response.context["total"]


def test_the_attribute_table_is_filtered_by_a_choice_column(db):
    temples = Landmark.objects.filter(municipality__code=NST, category="temple").count()

    response = dataset_page("nst-viewer", "landmarks-osm", category="temple")

    columns = response.context["columns"]
    categories = {row[columns.index("category")] for row in response.context["rows"]}
    assert categories == {"temple"}
    assert response.context["matching"] == temples


def test_the_attribute_table_pages_keep_the_search(db):
    first = dataset_page("nst-viewer", "roads-osm", q="ถนน", road_class="residential")
    body = first.content.decode()
    second = dataset_page("nst-viewer", "roads-osm", q="ถนน", road_class="residential", page="2")

    assert first.context["page"].has_next()
    assert "?q=%E0%B8%96%E0%B8%99%E0%B8%99&amp;road_class=residential&amp;page=2" in body
    assert second.context["page"].number == 2
    assert set(second.context["row_ids"]).isdisjoint(first.context["row_ids"])
    assert all(row[2] == "residential" for row in second.context["rows"])


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"category": "palace"}, "category"),
        ({"q": "x" * 101}, "100"),
        ({"q": "a\tb"}, "control"),
    ],
)
def test_the_attribute_table_refuses_bad_filters_with_the_reason(db, params, reason):
    response = dataset_page("nst-viewer", "landmarks-osm", **params)

    assert response.status_code == 400
    assert reason in response.context["table_error"]


def test_the_case_table_search_needs_case_rights_like_the_table(db):
    """The case dataset stays 404 for roles without exact-location rights, search or not."""
    assert dataset_page("nst-planner", "dengue-cases-generated", q="sim").status_code == 404
    response = dataset_page("nst-health", "dengue-cases-generated", diagnosis="DHF")
    assert response.status_code == 200
    columns = response.context["columns"]
    assert {row[columns.index("diagnosis")] for row in response.context["rows"]} == {"DHF"}


# --- The flood aid list -------------------------------------------------------------------------


def aid(username: str = "nst-disaster", **params: str):
    return client_for(username, "en").get(reverse("flood-aid-priority", args=[NST]), params)


def test_the_aid_list_is_paginated_and_its_pages_keep_the_filters(db):
    first = aid(need="vulnerable")
    second = aid(need="vulnerable", page="2")

    rows = first.context["page_rows"]
    assert len(rows) == 50
    assert first.context["page"].paginator.count == len(first.context["rows"])
    assert all(r.elderly + r.bedridden + r.disabled + r.infants > 0 for r in rows)
    assert "?need=vulnerable&amp;page=2" in first.content.decode()
    assert second.context["page_rows"][0].rank > rows[-1].rank


def test_the_aid_list_is_searched_by_house_number_and_subdistrict_never_by_system_id(db):
    from layers.models import Building

    everyone = aid().context["rows"]
    building = everyone[7].building_id
    subdistrict = everyone[0].subdistrict
    # The demo's buildings carry no house numbers (OSM has none there): give one a number.
    Building.objects.filter(pk=building).update(house_number="45/2")

    by_number = aid(q="45/2").context["rows"]
    by_system_id = aid(q=str(everyone[3].building_id)).context["rows"]
    by_subdistrict = aid(q=subdistrict).context["rows"]

    assert [r.building_id for r in by_number] == [building]
    assert by_number[0].house_number == "45/2"
    # The internal id is not what people know a building by (issue 17): it finds nothing.
    assert everyone[3].building_id not in [r.building_id for r in by_system_id]
    assert {r.subdistrict for r in by_subdistrict} == {subdistrict}
    assert len(by_subdistrict) == len([r for r in everyone if r.subdistrict == subdistrict])


def test_the_aid_list_filters_by_hazard_class_and_the_downloads_follow(db):
    high = aid(**{"class": "high"})
    csv_body = aid(**{"class": "high", "format": "csv"}).content.decode("utf-8-sig")

    rows = high.context["rows"]
    assert rows
    assert {r.hazard_class for r in rows} == {"high"}
    assert len(csv_body.strip().splitlines()) == len(rows) + 1
    assert "class=high" in high.context["csv_query"]


@pytest.mark.parametrize(
    ("params", "reason"),
    [({"class": "deep"}, "class"), ({"need": "all"}, "need"), ({"q": "1" * 101}, "100")],
)
def test_the_aid_list_refuses_bad_filters_with_the_reason(db, params, reason):
    response = aid(**params)

    assert response.status_code == 400
    assert reason in response.content.decode()


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("planner", 403), ("disaster", 200)])
def test_the_aid_list_search_keeps_the_aid_lists_roles(db, role, status):
    assert aid(f"nst-{role}", q="1").status_code == status


@pytest.mark.parametrize(
    ("language", "count_text"),
    [("th", "มี %s รายการแนะนำ ใช้ปุ่มลูกศรเพื่อเลือก"), ("en", "%s suggestions: arrow keys to choose")],
)
def test_the_header_box_announces_suggestions_in_the_page_language(db, language, count_text):
    # A literal % in {% translate %} is looked up doubled: the catalogue must hold it so.
    body = client_for("nst-planner", language).get(f"/m/{NST}/").content.decode()
    assert f'data-count-text="{count_text}"' in body
