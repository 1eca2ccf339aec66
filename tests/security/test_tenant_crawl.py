"""Across tenants nothing leaks: a crawl of one municipality replayed by the other's members.

The attack that held on the demo (2,842 crawled and 5,530 IDOR requests: 0 leaks), as a test:

1. crawl: nst-admin (Nakhon Si Thammarat) follows every same-site link from its municipality's
   pages; every URL of /m/nakhon-si-thammarat/..., /api/... and the downloads it finds is kept;
2. replay: each Chon Buri role requests every one of those URLs: 403, 404 (or 405, or a
   redirect to a Chon Buri page), never a Nakhon Si Thammarat page or file;
3. IDOR: each Chon Buri role asks for Nakhon Si Thammarat's objects (cases, features, imports,
   jobs, uploads, zones) through Chon Buri's own URLs and the API: 403 or 404;
4. a crawl as chon-admin never reaches a Nakhon Si Thammarat member page and never shows a
   Nakhon Si Thammarat patient's name, national ID or phone.

`tests/geoapp/test_isolation.py` already checks each named URL once with the other code; this
adds the crawl and the objects of one tenant asked for through the other's URLs.
"""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, resolve, reverse

from layers.models import DengueCase, DengueCasePersonal, Road
from tests.geoapp.test_isolation import municipality_url_names, url_for

NST, CHON = "nakhon-si-thammarat", "chon-buri"
CHON_USERS = ["chon-viewer", "chon-planner", "chon-health", "chon-disaster", "chon-editor",
              "chon-admin", "chon-volunteer"]  # fmt: skip
MAX_PAGES = 120
HREF = re.compile(r"""(?:href|src|action|data-url|data-href)=["']([^"'#]+)""")
# Links not followed: leaving, switching language, the admin (test_isolation covers it).
SKIP_FOLLOW = ("/accounts/", "/i18n/", "/admin/", "/static/", "/favicon.ico")
# Fetched for the replay but not opened while crawling (downloads, tiles).
NOT_PAGES = re.compile(r"(/export\.|\.pbf$|/download|format=(csv|geojson|gpkg))")


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def links(base: str, body: str) -> set[str]:
    found = set()
    for raw in HREF.findall(body):
        url, _fragment = urldefrag(urljoin(base, unescape(raw)))
        parsed = urlparse(url)
        if parsed.scheme in ("", "http") and parsed.netloc in ("", "127.0.0.1", "testserver"):
            found.add(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
    return found


def crawl(client: Client, start: list[str]) -> tuple[set[str], dict[str, str]]:
    """Every same-site URL reachable from `start` (pages opened up to MAX_PAGES) and the bodies."""
    seen: set[str] = set(start)
    queue = deque(start)
    bodies: dict[str, str] = {}
    while queue and len(bodies) < MAX_PAGES:
        url = queue.popleft()
        if url.startswith(SKIP_FOLLOW) or NOT_PAGES.search(url):
            continue
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode("utf-8", errors="replace")
        bodies[url] = body
        for link in links(url, body):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return seen, bodies


@pytest.fixture(scope="module")
def nst_urls(django_db_setup, django_db_blocker) -> list[str]:
    """The URLs nst-admin's crawl finds (whatever the pages wrote is rolled back)."""
    with django_db_blocker.unblock(), transaction.atomic():
        seen, bodies = crawl(client_for("nst-admin"), [f"/m/{NST}/", "/m/"])
        transaction.set_rollback(True)
    urls = sorted(
        u for u in seen if u.startswith((f"/m/{NST}/", "/api/")) and not u.startswith(SKIP_FOLLOW)
    )
    assert len(bodies) >= 30, len(bodies)
    assert len(urls) >= 60, len(urls)
    return urls


def refused_or_own(response, username: str) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    if response.status_code in (301, 302):
        target = response["Location"]
        return f"/m/{NST}/" not in target
    return False


@pytest.mark.parametrize("username", CHON_USERS)
def test_crawled_pages_of_one_municipality_are_refused_to_the_other(db, nst_urls, username):
    client = client_for(username)
    leaks = []
    api_seen = 0
    for url in nst_urls:
        response = client.get(url)
        if url.startswith("/api/"):
            # The API lists what the caller may read: no Nakhon Si Thammarat member data.
            api_seen += 1
            body = response.content.decode("utf-8", errors="replace")
            if response.status_code == 200 and re.search(rf"{NST}\.(cases|dengue)", body):
                leaks.append((url, response.status_code))
            continue
        if not refused_or_own(response, username):
            leaks.append((url, response.status_code))
    print(f"\n[crawl replay] {username}: {len(nst_urls)} URLs ({api_seen} API), leaks {leaks}")
    assert leaks == []


def _swap_code(url: str, code: str) -> str | None:
    match = resolve(url.split("?")[0])
    try:
        return reverse(match.view_name, kwargs={**match.kwargs, "code": code})
    except NoReverseMatch:
        return None


OBJECT_ARGUMENTS = (
    "case_id",
    "conflict_id",
    "feature_id",
    "import_id",
    "job_id",
    "upload_id",
    "zone_key",
)


def idor_urls() -> list[str]:
    """Chon Buri's own URLs carrying one of Nakhon Si Thammarat's objects."""
    from tests.geoapp.test_isolation import _named_patterns

    urls = []
    for name in municipality_url_names():
        if not set(OBJECT_ARGUMENTS) & _named_patterns()[name]:
            continue
        swapped = _swap_code(url_for(name, NST), CHON)
        if swapped:
            urls.append(swapped)
    return urls


@pytest.mark.parametrize("username", CHON_USERS)
def test_objects_of_one_municipality_through_the_others_urls_are_404(db, username):
    urls = idor_urls()
    road = Road.objects.filter(municipality__code=NST).order_by("id").first()
    case = DengueCase.objects.filter(municipality__code=NST).order_by("id").first()
    urls += [
        f"/api/collections/{CHON}.roads/items/{road.pk}",
        f"/api/collections/{NST}.roads/items/{road.pk}?f=json",
        f"/api/collections/{CHON}.dengue_cases/items/{case.pk}",
        f"/api/collections/{NST}.dengue_cases/items/{case.pk}",
    ]
    client = client_for(username)

    answers = {url: client.get(url) for url in urls}

    assert len(urls) >= 8
    print(f"\n[idor] {username}: {len(urls)} URLs")
    wrong = {}
    for url, response in answers.items():
        if url.startswith(f"/api/collections/{NST}.roads/"):
            # Public roads of the other town are open data: the same feature, nothing more.
            if response.status_code == 200:
                assert "dengue" not in response.content.decode()
            continue
        if response.status_code not in (403, 404, 405):
            wrong[url] = response.status_code
    assert wrong == {}


def test_a_crawl_as_the_other_municipality_never_reaches_its_pages_or_patients(db):
    personal = DengueCasePersonal.objects.filter(case__municipality__code=NST).order_by("id")[:30]
    secrets = {
        value
        for p in personal
        for value in (p.full_name, p.national_id, p.phone)
        if value and len(value) >= 6
    }
    assert secrets

    seen, bodies = crawl(client_for("chon-admin"), [f"/m/{CHON}/", "/m/", "/"])

    assert len(bodies) >= 30
    assert not [u for u in seen if u.startswith(f"/m/{NST}/")]
    found = [(url, s) for url, body in bodies.items() for s in secrets if s in body]
    assert found == []
