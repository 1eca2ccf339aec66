"""The shared cache (decision 0021) never answers for another municipality, a lower role or an
anonymous caller, and a data change shows on the next page.

Each test fills a cache as one user, empties the process's own copy (as if the next request
went to another gunicorn worker, which only has the shared table), then reads as the attacker.
The marker is a landmark with a name no page shows unless its municipality's data was read.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from layers.caching import cached_result, layer_versions, result_key
from layers.models import Dataset, DengueCase, Landmark, Municipality

NST, CHON = "nakhon-si-thammarat", "chon-buri"
MARKER = "SharedCacheMarker7781"


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = "en"
    return client


def another_worker() -> None:
    """Forget this process's copies: the next read finds only what the shared table holds."""
    caches["default"].clear()


def shared_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM mueang_cache")
        return [row[0] for row in cursor.fetchall()]


def shared_keys_of(kind: str, municipality: Municipality, tier: str) -> list[str]:
    prefix = f":mueang:{kind}:m{municipality.pk}:{tier}:"  # Django prefixes the key version
    return [key for key in shared_keys() if prefix in key]


@pytest.fixture
def nst(db) -> Municipality:
    municipality = Municipality.objects.get(code=NST)
    Landmark.objects.create(
        municipality=municipality,
        name_th=MARKER,
        name_en=MARKER,
        category=Landmark.Category.MARKET,
        geom=municipality.boundary.point_on_surface,
        dataset=Dataset.objects.get(municipality=municipality, slug="landmarks-osm"),
    )
    another_worker()
    return municipality


# --- The keys ------------------------------------------------------------------------------------


def test_a_key_names_municipality_and_tier_and_needs_a_version():
    key = result_key("thing", municipality_id=7, tier="masked", version="cases=3")

    assert key.startswith("mueang:thing:m7:masked:")
    assert key != result_key("thing", municipality_id=8, tier="masked", version="cases=3")
    assert key != result_key("thing", municipality_id=7, tier="exact", version="cases=3")
    assert key != result_key("thing", municipality_id=7, tier="masked", version="cases=4")
    with pytest.raises(ValueError, match="tier"):
        result_key("thing", municipality_id=7, tier="admin-ish", version="v")
    with pytest.raises(ValueError, match="version"):
        result_key("thing", municipality_id=7, tier="exact", version="")


def test_a_version_taken_by_a_rolled_back_change_is_not_the_later_change(nst):
    """A result cached inside a change that rolled back is not served for the next change."""
    template = DengueCase.objects.filter(municipality=nst).first()
    with transaction.atomic():
        sid = transaction.savepoint()
        DengueCase.objects.create(
            municipality=nst,
            onset_date=template.onset_date,
            report_date=template.report_date,
            diagnosis=DengueCase.Diagnosis.DF,
            geom=template.geom,
            is_generated=True,
        )
        rolled_back = layer_versions(municipality_id=nst.pk, layers=["cases"])
        cached_result(
            result_key("probe", municipality_id=nst.pk, tier="exact", version=rolled_back),
            lambda: "computed inside the rolled-back change",
        )
        transaction.savepoint_rollback(sid)
    DengueCase.objects.create(
        municipality=nst,
        onset_date=template.onset_date,
        report_date=template.report_date,
        diagnosis=DengueCase.Diagnosis.DF,
        geom=template.geom,
        is_generated=True,
    )
    later = layer_versions(municipality_id=nst.pk, layers=["cases"])

    assert later != rolled_back
    key = result_key("probe", municipality_id=nst.pk, tier="exact", version=later)
    assert cached_result(key, lambda: "computed afresh") == "computed afresh"


# --- Another municipality, a lower role, anonymous ---------------------------------------------


# (page, filler: a role of NST that may open it, kinds it fills, tier)
PAGES = [
    ("/m/{code}/dengue/", "nst-health", ["dengue-situation", "dengue-map"], "exact"),
    ("/m/{code}/map/", "nst-health", ["city-map"], "exact"),
    ("/m/{code}/flood/?hazard=zones", "nst-disaster", ["flood-situation", "flood-map"], "members"),
    ("/m/{code}/", "nst-viewer", ["dashboard-map"], "members"),
    ("/m/{code}/catalogue/landmarks-osm/", "nst-planner", ["dataset-map"], "members"),
]


@pytest.mark.parametrize(("page", "filler", "kinds", "tier"), PAGES)
def test_a_filled_cache_answers_no_other_municipality(nst, page, filler, kinds, tier):
    filled = client_for(filler).get(page.format(code=NST))
    assert filled.status_code == 200
    for kind in kinds:
        assert shared_keys_of(kind, nst, tier), f"{kind} was not cached for {NST}"
    assert MARKER in filled.content.decode()
    another_worker()

    chon_role = "chon-" + filler.partition("-")[2]
    into_nst = client_for(chon_role).get(page.format(code=NST))
    own = client_for(chon_role).get(page.format(code=CHON))

    assert into_nst.status_code == 404
    assert MARKER not in into_nst.content.decode()
    assert own.status_code == 200
    assert MARKER not in own.content.decode()


@pytest.mark.parametrize(("page", "filler", "kinds", "tier"), PAGES)
def test_a_filled_cache_answers_no_anonymous_caller(nst, page, filler, kinds, tier):
    client_for(filler).get(page.format(code=NST))
    another_worker()

    response = client_for(None).get(page.format(code=NST))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert MARKER not in response.content.decode()


def test_exact_cases_cached_for_a_health_officer_never_reach_a_masked_role(nst):
    """The exact tier is filled first; a viewer (masked) and a volunteer (no case) get their own."""
    case = DengueCase.objects.filter(municipality=nst).order_by("-report_date").first()
    exact = client_for("nst-health").get(f"/m/{NST}/map/").content.decode()
    another_worker()

    masked = client_for("nst-viewer").get(f"/m/{NST}/map/").content.decode()
    no_cases = client_for("nst-volunteer").get(f"/m/{NST}/map/").content.decode()

    lon, lat = f"{case.geom.x:.6f}".rstrip("0"), f"{case.geom.y:.6f}".rstrip("0")
    assert f"[{lon}, {lat}]" in exact  # the house itself, in the health officer's map
    for page in (masked, no_cases):
        assert f"[{lon}, {lat}]" not in page
        assert '"mueang-case"' not in page
    assert "mueang-case-masked" in masked
    assert "mueang-case-masked" not in no_cases
    assert shared_keys_of("city-map", nst, "exact")
    assert shared_keys_of("city-map", nst, "masked")
    assert shared_keys_of("city-map", nst, "none")


def test_the_dengue_dashboard_cached_for_a_health_officer_is_refused_to_lower_roles(nst):
    client_for("nst-health").get(f"/m/{NST}/dengue/")
    another_worker()

    for role in ("viewer", "planner", "volunteer"):
        response = client_for(f"nst-{role}").get(f"/m/{NST}/dengue/")
        assert response.status_code == 403, role  # a member without the right
        assert MARKER not in response.content.decode()


# --- A data change shows on the next page -----------------------------------------------------


def test_a_new_case_shows_on_the_next_dengue_dashboard(nst):
    client = client_for("nst-health")
    first = client.get(f"/m/{NST}/dengue/").content.decode()
    today = timezone.localdate()
    template = DengueCase.objects.filter(municipality=nst).first()
    case = DengueCase.objects.create(
        municipality=nst,
        onset_date=today - timedelta(days=1),
        report_date=today,
        diagnosis=DengueCase.Diagnosis.DF,
        geom=template.geom,
        is_generated=True,
    )

    second = client.get(f"/m/{NST}/dengue/").content.decode()
    another_worker()
    third = client_for("nst-admin").get(f"/m/{NST}/dengue/").content.decode()

    assert f"#{case.pk}" not in first
    assert f"#{case.pk}" in second
    assert f"#{case.pk}" in third


def test_a_renamed_landmark_shows_on_the_next_flood_dashboard(nst):
    client = client_for("nst-disaster")
    first = client.get(f"/m/{NST}/flood/?hazard=zones").content.decode()
    Landmark.objects.filter(municipality=nst, name_en=MARKER).update(name_en=MARKER + "Renamed")

    second = client.get(f"/m/{NST}/flood/?hazard=zones").content.decode()

    assert MARKER + "Renamed" not in first
    assert MARKER + "Renamed" in second


# --- The job worker fills the caches after a change ---------------------------------------------


def test_after_a_change_the_job_worker_computes_what_the_dashboards_open_with(nst, monkeypatch):
    """The first pages after a new case are served from what the worker computed."""
    from geoapp.management.warm import Warmer

    warmer = Warmer()
    warmer.run()
    today = timezone.localdate()
    template = DengueCase.objects.filter(municipality=nst).first()
    case = DengueCase.objects.create(
        municipality=nst,
        onset_date=today - timedelta(days=1),
        report_date=today,
        diagnosis=DengueCase.Diagnosis.DF,
        geom=template.geom,
        is_generated=True,
    )

    assert warmer.run() == 1  # only the municipality whose data moved
    assert warmer.run() == 0
    another_worker()

    def not_again(*_args, **_kwargs):
        raise AssertionError("computed by the page, not by the worker")

    monkeypatch.setattr("layers.dengue.selectors._situation_frames", not_again)
    monkeypatch.setattr("geoapp.dengue.views.dengue_map", not_again)
    monkeypatch.setattr("layers.flood.selectors._flood_situation_compute", not_again)
    monkeypatch.setattr("geoapp.flood.views.flood_map", not_again)
    dengue_page = client_for("nst-health").get(f"/m/{NST}/dengue/")
    flood_page = client_for("nst-disaster").get(f"/m/{NST}/flood/")
    thai_flood_page = client_for("nst-disaster")
    thai_flood_page.cookies["django_language"] = "th"

    assert dengue_page.status_code == 200
    assert f"#{case.pk}" in dengue_page.content.decode()
    assert flood_page.status_code == 200
    assert MARKER in flood_page.content.decode()
    assert thai_flood_page.get(f"/m/{NST}/flood/").status_code == 200


def test_a_renamed_landmark_shows_on_the_next_dataset_page(nst):
    client = client_for("nst-viewer")
    first = client.get(f"/m/{NST}/catalogue/landmarks-osm/").content.decode()
    Landmark.objects.filter(municipality=nst, name_en=MARKER).update(name_en=MARKER + "Renamed")

    second = client.get(f"/m/{NST}/catalogue/landmarks-osm/").content.decode()

    assert MARKER in first
    assert MARKER + "Renamed" not in first
    assert MARKER + "Renamed" in second
