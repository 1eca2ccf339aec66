"""The rendered city map is cached, but never stale and never with another request's nonce."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.test import Client

from layers.models import Landmark, Municipality

MAP = "/m/nakhon-si-thammarat/map/"


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_a_new_landmark_shows_at_once_and_each_response_has_its_own_nonce(db):
    client = client_for("nst-planner")
    first = client.get(MAP)
    municipality = Municipality.objects.get(code="nakhon-si-thammarat")
    Landmark.objects.create(
        municipality=municipality,
        name_th="CacheTestMarket123",
        category=Landmark.Category.MARKET,
        geom=municipality.boundary.point_on_surface,
    )

    second = client.get(MAP)

    assert "CacheTestMarket123" not in first.content.decode()
    assert "CacheTestMarket123" in second.content.decode()
    for response in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
        assert scripts
        assert all(f'nonce="{nonce}"' in tag for tag in scripts if "src=" not in tag)


def test_the_exact_and_masked_tiers_never_share_a_cached_map(db):
    exact = client_for("nst-health").get(MAP).content.decode()
    masked = client_for("nst-viewer").get(MAP).content.decode()

    assert "mueang-case-masked" not in exact
    assert '"mueang-case"' in exact
    assert "mueang-case-masked" in masked
    assert '"mueang-case"' not in masked
