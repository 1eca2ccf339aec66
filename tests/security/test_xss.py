"""Script in stored data or in the address is shown as text, never run (it held on the demo).

Payloads go into what users control: a dataset's title and description, every road's and
landmark's Thai name (which reach maps, tables, the spray plan's street lists and the work
order's sketch), and the query string of search and filter pages. Every HTML page that shows
them must carry them escaped: no raw `<script`, `<img ... onerror`, `<svg onload` from them.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from layers.models import Dataset, Landmark, Road
from tests.geoapp.test_dengue_pages import first_zone_key

NST = "nakhon-si-thammarat"
PLAN_DAY = date(2026, 11, 21)
PAYLOADS = [
    '<script>alert("x1")</script>',
    '"><img src=x onerror=alert("x2")>',
    "</script><svg onload=alert('x3')>",
]
# What a payload looks like where it would run (raw markup, whatever quoting JSON added).
RAW = re.compile(r"<script>alert\(|<img src=x onerror=|<svg onload=|</script><svg")


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def stored(db, nst):
    roads = Dataset.objects.get(municipality=nst, slug="roads-osm")
    roads.title = f"ถนน {PAYLOADS[0]}"
    roads.description = f"{PAYLOADS[1]}\n{PAYLOADS[2]}"
    roads.save(update_fields=["title", "description"])
    Road.objects.filter(municipality=nst).update(name_th=PAYLOADS[2])
    Landmark.objects.filter(municipality=nst).update(name_th=PAYLOADS[0], name_en=PAYLOADS[1])
    first = Road.objects.filter(municipality=nst).order_by("id").values_list("pk", flat=True)[0]
    return {"road_id": first}


def pages(road_id: int) -> list[tuple[str, str]]:
    reflected = quote(PAYLOADS[1])
    code = {"code": NST}
    return [
        ("nst-admin", reverse("municipality-home", kwargs=code)),
        ("nst-admin", reverse("municipality-map", kwargs=code)),
        ("nst-admin", reverse("catalogue", kwargs=code)),
        ("nst-admin", reverse("catalogue", kwargs=code) + f"?q={reflected}"),
        ("nst-admin", reverse("catalogue-dataset", kwargs={**code, "slug": "roads-osm"})),
        ("nst-admin", reverse("catalogue-dataset", kwargs={**code, "slug": "landmarks-osm"})),
        (
            "nst-admin",
            reverse(
                "catalogue-feature-history",
                kwargs={**code, "slug": "roads-osm", "feature_id": road_id},
            ),
        ),
        ("nst-disaster", reverse("flood-dashboard", kwargs=code) + f"?event={reflected}"),
        ("nst-disaster", reverse("flood-aid-priority", kwargs=code) + f"?subdistrict={reflected}"),
        ("nst-health", reverse("dengue-dashboard", kwargs=code)),
        ("nst-health", reverse("dengue-spray-plan", kwargs=code) + f"?date={PLAN_DAY}"),
        (
            "nst-health",
            reverse("dengue-work-order", kwargs={**code, "zone_key": first_zone_key()})
            + f"?date={PLAN_DAY}",
        ),
        (None, reverse("open-datasets", kwargs=code) + f"?q={reflected}"),
        ("nst-admin", f"/api/collections/{NST}.roads/items?limit=5&f=html"),
        ("nst-admin", f"/api/collections/{NST}.landmarks/items?limit=5&f=html"),
    ]


def test_stored_and_reflected_script_is_rendered_as_text(stored):
    clients = {}
    checked, escaped_seen, raw = 0, 0, []
    for username, url in pages(stored["road_id"]):
        client = clients.setdefault(username, client_for(username) if username else Client())
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        if "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        checked += 1
        if RAW.search(body):
            raw.append((url, RAW.search(body).group(0)))
        if "&lt;script&gt;alert" in body or "&lt;img src=x" in body or "\\u003c" in body:
            escaped_seen += 1

    assert raw == []
    assert checked >= 12
    assert escaped_seen >= 5  # the payloads were on the pages, as text


def test_every_script_element_carries_the_nonce(stored):
    """Even if markup slipped through, the CSP runs only scripts that carry the request's nonce."""
    client = client_for("nst-admin")
    response = client.get(reverse("municipality-map", kwargs={"code": NST}))
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)

    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())

    assert scripts
    assert all(f'nonce="{nonce}"' in tag or "src=" in tag for tag in scripts)
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
