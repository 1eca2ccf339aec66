"""The catalogue pages and open data: search, filters, who reads what, public downloads."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from layers.models import Dataset

NST = "nakhon-si-thammarat"
ALL_NST = {
    "roads-osm",
    "landmarks-osm",
    "buildings-osm",
    "flood-scenario-east",
    "dengue-cases-generated",
    "flood-depth-scenario-east",
    "dem-scenario-east",
    "drain-scenario-east",
}
FLOOD_SCENARIO = {
    "flood-scenario-east",
    "flood-depth-scenario-east",
    "dem-scenario-east",
    "drain-scenario-east",
}


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def listed(username: str, **params) -> set[str]:
    response = client_for(username).get(reverse("catalogue", kwargs={"code": NST}), params)
    assert response.status_code == 200
    return {d.slug for d in response.context["datasets"]}


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("nst-viewer", ALL_NST - {"dengue-cases-generated"}),
        ("nst-planner", ALL_NST - {"dengue-cases-generated"}),
        ("nst-health", ALL_NST),
        ("nst-admin", ALL_NST),
    ],
)
def test_catalogue_lists_what_each_role_may_read(db, username, expected):
    assert listed(username) == expected


def test_private_case_dataset_opens_for_health_officer_not_planner(db):
    url = reverse("catalogue-dataset", kwargs={"code": NST, "slug": "dengue-cases-generated"})
    export = reverse(
        "catalogue-export", kwargs={"code": NST, "slug": "dengue-cases-generated", "fmt": "csv"}
    )

    assert client_for("nst-health").get(url).status_code == 200
    assert client_for("nst-health").get(export).status_code == 200
    assert client_for("nst-planner").get(url).status_code == 404
    assert client_for("nst-planner").get(export).status_code == 404
    assert client_for("nst-viewer").get(export).status_code == 404


def test_private_dataset_of_other_kinds_is_for_dataset_managers(db, nst):
    Dataset.objects.filter(municipality=nst, slug="buildings-osm").update(visibility="private")

    assert "buildings-osm" in listed("nst-planner")
    assert "buildings-osm" not in listed("nst-viewer")
    assert "buildings-osm" not in listed("nst-health")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "OpenStreetMap"}, {"roads-osm", "landmarks-osm", "buildings-osm"}),
        ({"q": "ถนน"}, {"roads-osm"}),
        ({"q": "roads"}, {"roads-osm"}),  # the kind's English label
        ({"q": "น้ำท่วม"}, {"flood-scenario-east", "flood-depth-scenario-east"}),
        ({"q": "scenario"}, FLOOD_SCENARIO),  # English description
        ({"kind": "raster"}, {"flood-depth-scenario-east", "dem-scenario-east"}),
        ({"division": "กองช่าง"}, {"roads-osm", "buildings-osm"}),
        ({"kind": "landmarks"}, {"landmarks-osm"}),
        ({"visibility": "public"}, {"roads-osm", "landmarks-osm"}),
        ({"visibility": "internal", "division": "กองช่าง"}, {"buildings-osm"}),
        ({"q": "no-such-thing-xyz"}, set()),
    ],
)
def test_catalogue_search_and_filters(db, params, expected):
    assert listed("nst-admin", **params) == expected


def test_catalogue_filters_by_update_date_range(db, nst):
    long_ago = timezone.now() - timedelta(days=400)
    Dataset.objects.filter(municipality=nst, slug="roads-osm").update(updated_at=long_ago)
    # Dates as the catalogue reads them: in Bangkok time (a UTC date is a day behind after 17:00).
    day = timezone.localdate(long_ago - timedelta(days=1)).isoformat()
    next_day = timezone.localdate(long_ago + timedelta(days=1)).isoformat()

    assert listed("nst-admin", updated_from=day, updated_to=next_day) == {"roads-osm"}
    assert "roads-osm" not in listed("nst-admin", updated_from=next_day)


def test_catalogue_orders_by_title_or_by_update(db, nst):
    Dataset.objects.filter(municipality=nst, slug="landmarks-osm").update(
        updated_at=timezone.now() + timedelta(minutes=1)
    )
    response = client_for("nst-admin").get(
        reverse("catalogue", kwargs={"code": NST}), {"order": "updated"}
    )
    titles = [
        d.title
        for d in client_for("nst-admin")
        .get(reverse("catalogue", kwargs={"code": NST}))
        .context["datasets"]
    ]

    assert response.context["datasets"][0].slug == "landmarks-osm"
    assert titles == sorted(titles)


def test_dataset_page_shows_metadata_map_table_and_downloads(db):
    url = reverse("catalogue-dataset", kwargs={"code": NST, "slug": "landmarks-osm"})

    response = client_for("nst-planner").get(url)
    page = response.content.decode()

    assert response.status_code == 200
    assert "ODbL" in page
    assert "OpenStreetMap" in page
    assert "สำนักปลัดเทศบาล" in page
    assert "mueang-preview" in page
    assert len(response.context["rows"]) == min(50, response.context["total"])
    gpkg = reverse("catalogue-export", kwargs={"code": NST, "slug": "landmarks-osm", "fmt": "gpkg"})
    assert f'href="{gpkg}"' in page
    assert f'nonce="{response.wsgi_request.csp_nonce}"' in page


def test_dataset_page_caps_the_preview_and_pages_the_table(db, monkeypatch):
    """The cap is 2,000 features; lowered here so the demo roads (about 1,400) exceed it."""
    from geoapp.catalogue import views as views_catalogue

    monkeypatch.setattr(views_catalogue, "PREVIEW_FEATURES", 300)
    url = reverse("catalogue-dataset", kwargs={"code": NST, "slug": "roads-osm"})

    response = client_for("nst-planner").get(url, {"page": 2})

    assert response.context["total"] > 300
    assert response.context["preview_capped"]
    # 300 roads and the municipal boundary.
    assert response.context["map"]["script"].count('"type": "Feature"') == 300 + 1
    assert response.context["row_ids"][0] == response.context["page"].start_index() == 51
    assert len(response.context["rows"]) == 50


def test_member_export_is_a_geojson_download_with_licence(db):
    url = reverse(
        "catalogue-export", kwargs={"code": NST, "slug": "landmarks-osm", "fmt": "geojson"}
    )

    response = client_for("nst-viewer").get(url)
    document = json.loads(body(response))

    assert response.status_code == 200
    assert "nakhon-si-thammarat-landmarks-osm.geojson" in response["Content-Disposition"]
    assert document["license"].startswith("ODbL")
    assert len(document["features"]) > 40


def test_unknown_format_is_404(db):
    url = reverse("catalogue-export", kwargs={"code": NST, "slug": "roads-osm", "fmt": "xlsx"})

    assert client_for("nst-admin").get(url).status_code == 404


def test_open_datasets_lists_public_datasets_without_login(db):
    response = client_for(None).get(reverse("open-datasets", kwargs={"code": NST}))
    page = response.content.decode()

    assert response.status_code == 200
    assert {d.slug for d, _links in response.context["datasets"]} == {"roads-osm", "landmarks-osm"}
    assert "ODbL" in page
    assert (
        reverse("open-dataset-export", kwargs={"code": NST, "slug": "roads-osm", "fmt": "shp"})
        in page
    )


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "shp"])
def test_public_export_works_without_login_for_public_datasets(db, fmt):
    url = reverse("open-dataset-export", kwargs={"code": NST, "slug": "landmarks-osm", "fmt": fmt})

    response = client_for(None).get(url)
    content = body(response)

    assert response.status_code == 200
    assert f"nakhon-si-thammarat-landmarks-osm.{fmt}" in response["Content-Disposition"]
    if fmt in ("csv", "shp"):
        assert "LICENSE.txt" in zipfile.ZipFile(io.BytesIO(content)).namelist()


@pytest.mark.parametrize("slug", ["buildings-osm", "flood-scenario-east", "dengue-cases-generated"])
def test_public_export_is_404_for_internal_and_private_datasets(db, slug):
    url = reverse("open-dataset-export", kwargs={"code": NST, "slug": slug, "fmt": "geojson"})

    assert client_for(None).get(url).status_code == 404
    assert client_for("nst-admin").get(url).status_code == 404


def test_dengue_cases_are_never_public_even_if_marked_public(db, nst):
    Dataset.objects.filter(municipality=nst, slug="dengue-cases-generated").update(
        visibility="public"
    )
    url = reverse(
        "open-dataset-export",
        kwargs={"code": NST, "slug": "dengue-cases-generated", "fmt": "geojson"},
    )

    assert client_for(None).get(url).status_code == 404
    assert "dengue-cases-generated" not in listed("nst-viewer")


def test_open_pages_of_unknown_municipality_are_404(db):
    assert client_for(None).get("/open/nowhere/datasets/").status_code == 404
    assert client_for(None).get("/open/nowhere/datasets/roads-osm/export.csv").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/m/{NST}/catalogue/",
        f"/m/{NST}/catalogue/roads-osm/",
        f"/m/{NST}/catalogue/roads-osm/export.geojson",
        f"/m/{NST}/catalogue/dengue-cases-generated/export.csv",
    ],
)
@pytest.mark.parametrize("username", ["chon-planner", "chon-health", "chon-admin"])
def test_other_municipalitys_members_get_404_on_every_catalogue_url(db, url, username):
    assert client_for(username).get(url).status_code == 404
