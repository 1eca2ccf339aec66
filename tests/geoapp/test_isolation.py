"""Every URL of the site, as a member of the other municipality: 403 or 404, never data."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from layers.models import Municipality

PUBLIC = {"landing", "login", "logout", "set_language"}


def _named_patterns() -> dict[str, set[str]]:
    """Every named URL of the site (admin aside) with the arguments it takes, includes too."""
    found: dict[str, set[str]] = {}

    def walk(patterns, inherited: set[str]):
        for pattern in patterns:
            converters = inherited | set(pattern.pattern.converters)
            if isinstance(pattern, URLResolver):
                if pattern.app_name != "admin":
                    walk(pattern.url_patterns, converters)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found[pattern.name] = converters

    walk(get_resolver().url_patterns, set())
    return found


def municipality_url_names() -> list[str]:
    """Names of every site URL that takes a municipality code (found, not listed by hand).

    Names starting with "open-" are public by design and tested on their own.
    """
    return [
        name
        for name, converters in _named_patterns().items()
        if "code" in converters and not name.startswith("open-")
    ]


def test_the_site_has_municipality_urls_to_check():
    assert {"municipality-home", "municipality-map"} <= set(municipality_url_names())


def url_for(name: str, code: str = "nakhon-si-thammarat") -> str:
    """The URL of a page of the municipality, with a real object of it for other arguments."""
    from layers.models import DengueCase

    kwargs: dict[str, object] = {"code": code}
    converters = _named_patterns()[name]
    if "case_id" in converters:
        kwargs["case_id"] = DengueCase.objects.filter(municipality__code=code).first().pk
    if "zone_key" in converters:
        from layers.dengue.selectors import zone_key_for_case

        first = DengueCase.objects.filter(municipality__code=code).order_by("report_date", "id")[0]
        kwargs["zone_key"] = zone_key_for_case(
            municipality_id=first.municipality_id, case_id=first.pk
        )
    if "slug" in converters:
        kwargs["slug"] = "roads-osm"
    if "fmt" in converters:
        kwargs["fmt"] = "geojson"
    if "job_id" in converters:
        from django.contrib.auth import get_user_model

        from geoapp.models import Job

        job = Job.objects.filter(municipality__code=code, kind="import_layer").first()
        if job is None:
            job = Job.objects.create(
                municipality=DengueCase.objects.filter(municipality__code=code)
                .first()
                .municipality,
                user=get_user_model().objects.get(username="nst-admin"),
                kind="import_layer",
                params={"upload": "none.geojson", "kind": "roads"},
            )
        kwargs["job_id"] = job.pk
    if "upload_id" in converters:
        kwargs["upload_id"] = _wizard_upload(code).pk
    if "feature_id" in converters:
        from layers.models import Road

        kwargs["feature_id"] = (
            Road.objects.filter(
                municipality__code=code, dataset__slug=kwargs.get("slug", "roads-osm")
            )
            .order_by("id")
            .values_list("pk", flat=True)[0]
        )
    if "import_id" in converters:
        kwargs["import_id"] = _import_run(code, kwargs["slug"]).pk
    if "layer" in converters:  # the map's edit endpoints; `feature_id` is a road
        kwargs["layer"] = "roads"
    unknown = converters - {
        "layer",
        "code",
        "case_id",
        "zone_key",
        "slug",
        "fmt",
        "feature_id",
        "import_id",
        "job_id",
        "upload_id",
    }
    assert not unknown, f"teach url_for to fill {unknown} for {name}"
    return reverse(name, kwargs=kwargs) + URL_QUERIES.get(name, "")


#: Query strings a URL needs to answer 200 (the edit endpoint's box: around วัดพระมหาธาตุ).
URL_QUERIES = {"map-edit-items": "?bbox=99.960,8.405,99.972,8.417"}


WIZARD_UPLOAD = "7e57ab1e-0000-4000-8000-000000000001"


def _wizard_upload(code: str):
    """An import wizard upload of nst-admin's (a small, valid GeoJSON of landmarks)."""
    from geoapp.imports.job import upload_root
    from geoapp.models import ImportUpload

    municipality = Municipality.objects.get(code=code)
    upload = ImportUpload.objects.filter(pk=WIZARD_UPLOAD).first()
    if upload is None:
        upload = ImportUpload.objects.create(
            pk=WIZARD_UPLOAD,
            municipality=municipality,
            user=get_user_model().objects.get(username="nst-admin"),
            kind="landmarks",
            stored_name=f"{WIZARD_UPLOAD.replace('-', '')}/upload.geojson",
            display_name="isolation.geojson",
        )
    path = upload_root(municipality) / upload.stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "วัดพระมหาธาตุ"}, "geometry": {"type": "Point", "coordinates": [99.955, 8.43]}}]}',
        encoding="utf-8",
    )
    return upload


def _import_run(code: str, slug: str):
    """An import of the dataset (the demo loader records none): one made for the walk."""
    from layers.models import Dataset, ImportRun

    dataset = Dataset.objects.get(municipality__code=code, slug=slug)
    run, _created = ImportRun.objects.get_or_create(
        municipality=dataset.municipality,
        dataset=dataset,
        defaults={"kind": dataset.kind, "file_name": f"{slug}.geojson"},
    )
    return run


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.parametrize("name", municipality_url_names())
@pytest.mark.parametrize(
    "username",
    ["chon-viewer", "chon-planner", "chon-health", "chon-disaster", "chon-editor", "chon-admin"],
)
def test_other_municipalitys_member_gets_404(db, name, username):
    response = client_for(username).get(url_for(name))

    assert response.status_code in (403, 404)
    assert "วัดพระมหาธาตุ" not in response.content.decode()


@pytest.mark.parametrize("name", municipality_url_names())
def test_own_administrator_gets_the_page(db, name):
    response = client_for("nst-admin").get(url_for(name))

    assert response.status_code == 200


@pytest.mark.parametrize("name", [*municipality_url_names(), "municipality-list"])
def test_anonymous_visitors_are_sent_to_log_in(db, name):
    url = url_for(name) if name != "municipality-list" else reverse(name)

    response = Client(HTTP_HOST="127.0.0.1").get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_municipality_list_shows_only_own_municipalities(db):
    page = client_for("chon-planner").get(reverse("municipality-list")).content.decode()

    assert "เทศบาลเมืองชลบุรี" in page
    assert "เทศบาลนครนครศรีธรรมราช" not in page


def admin_models():
    return [
        model
        for model in admin.site._registry
        if hasattr(model, "municipality") or model is Municipality
    ]


@pytest.mark.parametrize("model", admin_models(), ids=lambda m: m._meta.model_name)
def test_other_municipalitys_admin_cannot_open_or_list_rows_in_the_django_admin(db, model):
    nst = Municipality.objects.get(code="nakhon-si-thammarat")
    rows = (
        model.objects.filter(pk=nst.pk)
        if model is Municipality
        else model.objects.filter(municipality=nst)
    )
    row = rows.first()
    if row is None:
        pytest.skip(f"the demo has no {model._meta.verbose_name} in Nakhon Si Thammarat")
    client = client_for("chon-admin")
    opts = model._meta

    change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
    history = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[row.pk])
    )
    delete = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[row.pk]))
    listing = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    assert change.status_code in (403, 404)
    assert history.status_code in (403, 404)
    assert delete.status_code in (403, 404)
    if listing.status_code == 200:
        assert listing.context["cl"].result_count == 0 or all(
            getattr(obj, "municipality_id", obj.pk) != nst.pk
            for obj in listing.context["cl"].result_list
        )
    else:
        assert listing.status_code == 403


def test_own_admin_can_open_its_rows_in_the_django_admin(db):
    chon = Municipality.objects.get(code="chon-buri")
    road = chon.road_set.first()

    response = client_for("chon-admin").get(reverse("admin:layers_road_change", args=[road.pk]))

    assert response.status_code == 200
    assert "cdn.jsdelivr.net" not in response.content.decode()
    assert "/static/vendor/ol/ol.js" in response.content.decode()
