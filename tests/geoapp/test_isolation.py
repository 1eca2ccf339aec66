"""Every URL of the site, as a member of the other municipality: 403 or 404, never data."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image

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
    kwargs: dict[str, object] = {"code": code}
    converters = _named_patterns()[name]
    unknown = converters - {"code", *_FILLERS}
    assert not unknown, f"teach url_for to fill {unknown} for {name}"
    for argument, fill in _FILLERS.items():  # in order: slug comes before what depends on it
        if argument in converters:
            kwargs[argument] = fill(code, kwargs)
    if name.startswith("municipality-search"):
        # A search that finds the temple for its own members: another town's must not.
        return (
            reverse(name, kwargs=kwargs)
            + "?q=%E0%B8%A1%E0%B8%AB%E0%B8%B2%E0%B8%98%E0%B8%B2%E0%B8%95%E0%B8%B8"
        )
    return reverse(name, kwargs=kwargs) + URL_QUERIES.get(name, "")


#: Query strings a URL needs to answer 200 (the edit endpoint's box: around วัดพระมหาธาตุ).
URL_QUERIES = {"map-edit-items": "?bbox=99.960,8.405,99.972,8.417"}


def _first_case(code: str):
    from layers.models import DengueCase

    return DengueCase.objects.filter(municipality__code=code).order_by("report_date", "id")[0]


def _zone_key(code: str, _kwargs: dict) -> str:
    from layers.dengue.selectors import zone_key_for_case

    first = _first_case(code)
    return zone_key_for_case(municipality_id=first.municipality_id, case_id=first.pk)


def _import_job(code: str, _kwargs: dict):
    from django.contrib.auth import get_user_model

    from geoapp.models import Job

    job = Job.objects.filter(municipality__code=code, kind="import_layer").first()
    if job is None:
        job = Job.objects.create(
            municipality=_first_case(code).municipality,
            user=get_user_model().objects.get(username="nst-admin"),
            kind="import_layer",
            params={"upload": "none.geojson", "kind": "roads"},
        )
    return job.pk


def _first_road(code: str, kwargs: dict) -> int:
    from layers.models import Road

    return (
        Road.objects.filter(municipality__code=code, dataset__slug=kwargs.get("slug", "roads-osm"))
        .order_by("id")
        .values_list("pk", flat=True)[0]
    )


def _member_here_only(code: str, _kwargs: dict) -> int:
    # A member of this municipality only (staff pages); the other municipality's admin
    # must not reach them through their own municipality's staff pages either.
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=f"{_PREFIXES[code]}-viewer").pk


def _first_case_id(code: str, _kwargs: dict) -> int:
    from layers.models import DengueCase

    return DengueCase.objects.filter(municipality__code=code).first().pk


_FILLERS = {
    "layer": lambda code, kwargs: "roads",  # the map's edit endpoints; `feature_id` is a road
    "case_id": _first_case_id,
    "zone_key": _zone_key,
    "slug": lambda code, kwargs: "roads-osm",
    "fmt": lambda code, kwargs: "geojson",
    "job_id": _import_job,
    "upload_id": lambda code, kwargs: _wizard_upload(code).pk,
    "round_id": lambda code, kwargs: _spray_round(code).pk,
    "feature_id": _first_road,
    "import_id": lambda code, kwargs: _import_run(code, kwargs["slug"]).pk,
    "user_id": _member_here_only,
    "claim_id": lambda code, kwargs: _relief_claim(code)[0],
    "photo_id": lambda code, kwargs: _relief_claim(code)[1],
    "report_id": lambda code, kwargs: _resident_report(code)[0],
    "report_photo_id": lambda code, kwargs: _resident_report(code)[1],
    "key_id": lambda code, kwargs: _open311_key(code),
    "category_id": lambda code, kwargs: _resident_report_category(code),
    "conflict_id": lambda code, kwargs: _field_conflict(code).pk,
    "survey_id": lambda code, kwargs: _field_conflict(code).survey_id,
    "photo_uuid": lambda code, kwargs: "7e57ab1e-0000-4000-8000-000000000018",
}


def _field_conflict(code: str):
    """A phone's edit kept as a conflict in the municipality (the demo has none)."""
    import uuid

    from django.utils import timezone

    from layers.models import HouseSurvey, SurveyPlace, SyncConflict

    municipality = Municipality.objects.get(code=code)
    place, _created = SurveyPlace.objects.get_or_create(
        municipality=municipality, kind="community", name="ชุมชนตรวจการแยกข้อมูล"
    )
    survey = HouseSurvey.objects.create(
        municipality=municipality,
        client_uuid=uuid.uuid4(),
        place=place,
        house_number="99/1",
        surveyed_at=timezone.now(),
        version=2,
    )
    record = {"status": "surveyed", "house_number": "วัดพระมหาธาตุ", "containers": []}
    return SyncConflict.objects.create(
        municipality=municipality,
        kind="survey",
        client_uuid=survey.client_uuid,
        survey=survey,
        base_version=1,
        server_version=2,
        server_record=record,
        phone_record={**record, "status": "closed"},
    )


_PREFIXES = {"nakhon-si-thammarat": "nst", "chon-buri": "chon"}

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


def _spray_round(code: str):
    """A spray round recorded in the municipality (the demo records none): one for the walk."""
    from layers.dengue.selectors import zone_key_for_case
    from layers.models import DengueCase, SprayRound

    first = DengueCase.objects.filter(municipality__code=code).order_by("report_date", "id")[0]
    spray_round, _created = SprayRound.objects.get_or_create(
        municipality_id=first.municipality_id,
        zone_key=zone_key_for_case(municipality_id=first.municipality_id, case_id=first.pk),
        round_number=1,
        planned_date=first.report_date,
        defaults={"done_on": first.report_date, "team": "ทีมตรวจการแยกข้อมูล"},
    )
    return spray_round


def _relief_claim(code: str) -> tuple[int, int]:
    """A relief claim of the municipality's demo flood, with a field photo on disk."""
    from django.conf import settings

    from layers.models import FloodZone
    from layers.relief.models import ReliefClaim, ReliefClaimPhoto
    from layers.relief.services import Claimant, claim_file

    municipality = Municipality.objects.get(code=code)
    claim = ReliefClaim.objects.filter(municipality=municipality).order_by("id").first()
    if claim is None:
        zone = FloodZone.objects.filter(municipality=municipality).first()
        building = municipality.building_set.order_by("id").first()
        claim = claim_file(
            municipality=municipality,
            user=get_user_model().objects.get(username="nst-disaster"),
            event=zone.event,
            building_id=building.pk,
            items=[("belongings", "ตู้เย็น")],
            claimant=Claimant(full_name="นางสมศรี ทดสอบ"),
        )
    photo = ReliefClaimPhoto.objects.filter(claim=claim).first()
    if photo is None:
        photo = ReliefClaimPhoto.objects.create(
            municipality=municipality,
            claim=claim,
            stored_name=f"relief/{municipality.pk}/isolation-{claim.pk}.jpg",
            width=1,
            height=1,
        )
    path = Path(settings.MEDIA_ROOT) / photo.stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (1, 1)).save(path, format="JPEG")
    return claim.pk, photo.pk


def _resident_report(code: str) -> tuple[int, int]:
    """A demo resident report of the municipality, with a photo on disk."""
    from django.conf import settings

    from geoapp.models import Report, ReportPhoto

    report = Report.objects.filter(municipality__code=code).order_by("id").first()
    photo = ReportPhoto.objects.filter(report=report).first()
    if photo is None:
        photo = ReportPhoto.objects.create(
            municipality=report.municipality,
            report=report,
            stored_name=f"reports/{report.municipality_id}/isolation-{report.pk}.jpg",
            width=1,
            height=1,
            size_bytes=1,
        )
    path = Path(settings.MEDIA_ROOT) / photo.stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (1, 1)).save(path, format="JPEG")
    return report.pk, photo.pk


def _resident_report_category(code: str) -> int:
    """A report category of the municipality that a demo report uses."""
    from geoapp.models import Report

    return Report.objects.filter(municipality__code=code).order_by("id").first().category_id


def _open311_key(code: str) -> int:
    """A live Open311 key of the municipality (the demo issues none): one for the walk."""
    from geoapp.models import Open311Key
    from geoapp.reports.services import open311_key_create

    municipality = Municipality.objects.get(code=code)
    key = Open311Key.objects.filter(municipality=municipality, revoked_at__isnull=True).first()
    if key is None:
        key, _raw = open311_key_create(municipality=municipality, name="isolation walk")
    return key.pk


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
    [
        "chon-viewer",
        "chon-planner",
        "chon-health",
        "chon-disaster",
        "chon-editor",
        "chon-admin",
        "chon-volunteer",
        "chon-approver",
        "chon-finance",
    ],
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


def test_the_isolation_walk_searches_for_what_the_own_members_find(db):
    """The search URLs in the walk above ask for มหาธาตุ, which NST's administrator finds."""
    for name in ("municipality-search", "municipality-search-suggest"):
        body = client_for("nst-admin").get(url_for(name)).content.decode()
        assert "วัดพระมหาธาตุ" in body


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


STAFF_URL_NAMES = [name for name in municipality_url_names() if name.startswith("staff-")]


def test_the_staff_pages_are_among_the_checked_urls():
    assert {"staff-list", "staff-add", "staff-member", "staff-remove", "staff-link"} <= set(
        STAFF_URL_NAMES
    )


def _staff_state():
    """Users and memberships as they are (to show a refused write changed nothing)."""
    from geoapp.models import Membership
    from layers.tenancy import all_municipality_ids, tenant_scope_set

    # A request's scope lasts until the test's transaction ends: look with the whole scope.
    tenant_scope_set(municipality_ids=all_municipality_ids())
    return (
        sorted(get_user_model().objects.values_list("username", "is_active", "password")),
        sorted(Membership.objects.values_list("user_id", "municipality_id", "role")),
    )


@pytest.mark.parametrize("name", STAFF_URL_NAMES)
def test_other_municipalitys_admin_cannot_write_to_the_staff_pages(db, name):
    """chon-admin posts to Nakhon Si Thammarat's staff pages: 404, and nothing changes."""
    from geoapp.models import Role

    before = _staff_state()

    response = client_for("chon-admin").post(
        url_for(name), {"username": "planted", "roles": [Role.ADMIN]}
    )

    assert response.status_code == 404
    assert _staff_state() == before


@pytest.mark.parametrize("name", ["staff-member", "staff-remove", "staff-link"])
def test_an_admin_cannot_reach_another_municipalitys_member_through_their_own_pages(db, name):
    """/m/chon-buri/staff/<nst-viewer>/...: not a member of Chon Buri, so 404 for GET and POST."""
    from geoapp.models import Role

    nst_viewer = get_user_model().objects.get(username="nst-viewer")
    url = reverse(name, kwargs={"code": "chon-buri", "user_id": nst_viewer.pk})
    before = _staff_state()
    client = client_for("chon-admin")

    assert client.get(url).status_code == 404
    assert client.post(url, {"roles": [Role.ADMIN]}).status_code == 404
    assert _staff_state() == before
