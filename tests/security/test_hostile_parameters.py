"""Odd and hostile parameters are answered 4xx or served, never a 500 (which once showed the
debug page): every municipality page with 25 parameters set to NaN, huge numbers, quotes,
impossible dates and Thai digits, and the API, tiles and open pages with broken values.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.geoapp.test_isolation import municipality_url_names, url_for

NST = "nakhon-si-thammarat"
VALUES = ["-1", "NaN", "1e309", "'\"<>", "9" * 40, "2026-02-30", "%", "\u0e51\u0e52", "\x00"]
PARAMS = ["q", "page", "date", "event", "subdistrict", "top", "format", "order", "updated_from",
          "updated_to", "limit", "offset", "bbox", "kind", "division", "visibility", "weeks",
          "radius", "level", "as_of", "round", "next", "f", "datetime", "lang"]  # fmt: skip
URLS = [
    f"/api/collections/{NST}.roads/items?bbox=NaN,NaN,NaN,NaN",
    f"/api/collections/{NST}.roads/items?bbox=1e309,0,1,1",
    f"/api/collections/{NST}.roads/items?limit=1e309&offset=-1",
    f"/api/collections/{NST}.roads/items?limit=99999999999999999999999",
    f"/api/collections/{NST}.roads/items?datetime=2026-13-45",
    f"/api/collections/{NST}.roads/items/99999999999999999999999",
    f"/api/collections/{NST}.roads/items?f=%27",
    "/api/collections/%27%22",
    "/api/collections/%00",
    "/api/jobs/not-a-uuid",
    "/api/jobs/00000000-0000-0000-0000-000000000000/results",
    "/api/processes/nope",
    "/tiles/roads/99/1/1.pbf",
    "/tiles/roads/14/99999999/99999999.pbf",
    "/tiles/nope/14/1/1.pbf",
    f"/open/{NST}/datasets/?q=%27&page=-1",
    f"/open/{NST}/dengue/?week=NaN&year=1e309",
    "/open/nope/dengue/",
    "/m/?page=NaN",
    "/accounts/login/?next=%27%22",
    "/accounts/login/code/",
]


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.parametrize("name", municipality_url_names())
def test_municipality_pages_never_answer_500_to_odd_parameters(db, name):
    client = client_for("nst-admin")
    url = url_for(name)

    failed = [
        (value, status)
        for value in VALUES
        if (status := client.get(url, dict.fromkeys(PARAMS, value)).status_code) >= 500
    ]

    assert failed == []


@pytest.mark.parametrize("username", [None, "nst-admin", "chon-viewer"])
def test_api_tiles_and_open_pages_never_answer_500(db, username):
    client = client_for(username)

    failed = [(url, status) for url in URLS if (status := client.get(url).status_code) >= 500]

    assert failed == []
