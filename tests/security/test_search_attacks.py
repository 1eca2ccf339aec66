"""The search as an attacker uses it: another town's rows, cases without the right, injection.

A search in municipality A must never return B's rows, whatever `q` holds (SQL, LIKE wildcards,
pg_trgm operators, quotes, backslashes) and even when the selector is asked for B while the
database scope is A's; a role without case access (VIEW_CASES_EXACT) must never get a case, by
case code, subdistrict or the dataset of cases.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from layers.catalogue.selectors import DatasetAccess
from layers.models import DengueCase, Landmark, Municipality, Road, Subdistrict
from layers.search.selectors import search_hits
from layers.tenancy import tenant_scope_set

NST = "nakhon-si-thammarat"
CHON = "chon-buri"
CRAFTED = [
    "มหาธาตุ",
    "%%",
    "__",
    "%มหาธาตุ%",
    "' OR '1'='1",
    "มหาธาตุ' OR municipality_id <> 0 --",
    "\\%\\_\\",
    "x%' UNION SELECT name_th FROM layers_landmark --",
    "<% มหาธาตุ",
    ".*",
    "ถนน",
    "Road",
]
NO_CASE_ROLES = ["viewer", "planner", "disaster", "editor"]
MODELS = {"landmarks": Landmark, "roads": Road, "subdistricts": Subdistrict, "cases": DengueCase}


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def suggestions(username: str, code: str, q: str) -> list[dict]:
    response = client_for(username).get(
        reverse("municipality-search-suggest", kwargs={"code": code}), {"q": q}
    )
    assert response.status_code in (200, 400)
    return response.json().get("results", [])


def owner_code(result: dict) -> str:
    """The municipality owning what a result links to, read from the database."""
    url = urlparse(result["url"])
    params = parse_qs(url.query)
    if "layer" not in params:  # a dataset: /m/<code>/catalogue/<slug>/
        return url.path.split("/")[2]
    model = MODELS[params["layer"][0]]
    return model.objects.get(pk=int(params["feature"][0])).municipality.code


@pytest.mark.parametrize("q", CRAFTED)
def test_a_search_in_one_town_never_returns_another_towns_rows(db, q):
    results = suggestions("chon-admin", CHON, q)
    page = client_for("chon-admin").get(
        reverse("municipality-search", kwargs={"code": CHON}), {"q": q}
    )

    assert all(owner_code(result) == CHON for result in results)
    assert "วัดพระมหาธาตุ" not in page.content.decode()


def test_the_crafted_searches_do_find_rows_of_the_own_town(db):
    """The attack above is not vacuous: the same texts reach NST's rows for NST's members."""
    found = {q: suggestions("nst-admin", NST, q) for q in CRAFTED}

    assert found["มหาธาตุ"]
    assert all(owner_code(r) == NST for r in found["มหาธาตุ"])
    assert found["ถนน"]
    assert found["Road"]
    assert found["%%"] == []
    assert found["__"] == []


@pytest.mark.parametrize("username", ["chon-admin", "chon-health", "chon-viewer"])
def test_another_towns_search_urls_answer_404(db, username):
    for name in ("municipality-search", "municipality-search-suggest"):
        response = client_for(username).get(reverse(name, kwargs={"code": NST}), {"q": "มหาธาตุ"})
        assert response.status_code == 404
        assert "วัดพระมหาธาตุ" not in response.content.decode()


def test_row_level_security_hides_another_town_even_from_a_selector_asked_for_it(db):
    """A bug passing B to the selector inside A's scope still finds nothing of B.

    Public datasets are the exception row-level security makes on purpose (open data, policy
    `public_read` of migration 0002): any scope may read their catalogue entries.
    """
    nst = Municipality.objects.get(code=NST)
    chon = Municipality.objects.get(code=CHON)
    access = DatasetAccess(internal=True, private=True, exact_cases=True)
    assert search_hits(municipality=nst, text="มหาธาตุ", access=access, include_cases=True, limit=5)

    tenant_scope_set(municipality_ids=[chon.pk])

    for text in ("มหาธาตุ", "ถนน", "sim-", "ท่าวัง"):
        hits = search_hits(municipality=nst, text=text, access=access, include_cases=True, limit=5)
        public = {"roads-osm", "landmarks-osm"}
        assert [hit for hit in hits if not (hit.kind == "dataset" and hit.key in public)] == []


@pytest.mark.parametrize("role", NO_CASE_ROLES)
def test_a_role_without_case_access_never_gets_cases(db, role):
    nst = Municipality.objects.get(code=NST)
    case = DengueCase.objects.filter(municipality=nst, subdistrict__isnull=False).first()
    texts = [case.source_id, case.source_id[:6], "sim-2568", case.subdistrict.name_th, "ผู้ป่วย"]

    for text in texts:
        results = suggestions(f"nst-{role}", NST, text)
        page = client_for(f"nst-{role}").get(
            reverse("municipality-search", kwargs={"code": NST}), {"q": text}
        )
        body = page.content.decode()
        assert [r for r in results if r["kind"] == "case"] == []
        assert [r for r in page.context["results"] if r.kind == "case"] == []
        assert "layer=cases" not in body
        # Nor the dataset of cases (private, and readable only with exact-location rights).
        assert "dengue-cases-generated" not in body
        assert all("dengue-cases-generated" not in r["url"] for r in results)


def test_health_officers_do_get_cases_and_their_dataset(db):
    """The other side of the test above: the same searches work for an allowed role."""
    case = DengueCase.objects.filter(municipality__code=NST).first()

    results = suggestions("nst-health", NST, case.source_id)
    datasets = suggestions("nst-health", NST, "ผู้ป่วยไข้เลือดออก")

    assert [r["kind"] for r in results].count("case") == 1
    assert any("dengue-cases-generated" in r["url"] for r in datasets)


def test_names_from_the_data_are_escaped_on_the_results_page(db):
    nst = Municipality.objects.get(code=NST)
    Landmark.objects.create(
        municipality=nst,
        name_th='<img src=x onerror="alert(1)">มหาธาตุทดสอบ',
        geom="SRID=4326;POINT(99.96 8.41)",
    )

    body = (
        client_for("nst-viewer")
        .get(reverse("municipality-search", kwargs={"code": NST}), {"q": "มหาธาตุทดสอบ"})
        .content.decode()
    )

    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;มหาธาตุทดสอบ" in body
    assert '<img src=x onerror="alert(1)">' not in body
