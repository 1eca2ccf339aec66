"""Attacks on the staff pages and the volunteer role (issue 16).

The attacker is a municipality administrator who wants an account of another municipality (to
read that municipality's data), or to learn where an account belongs; or a village health
volunteer (อสม.) who wants to know who and where the dengue cases are.
"""

from __future__ import annotations

import re

import mapbox_vector_tile
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from geoapp.models import Membership, MembershipChange, Role
from layers.models import Dataset
from layers.tenancy import all_municipality_ids, tenant_scope, tenant_scope_set
from tests.geoapp.test_isolation import municipality_url_names, url_for
from tests.geoapp.test_tiles import NST_CENTRE, tile_of

NST = "nakhon-si-thammarat"
CHON = "chon-buri"
LINK = re.compile(r'id="set-password-link" type="text" readonly value="([^"]+)"')
# Anything that would tell Chon Buri's administrator where nst-health also works.
NST_TRACES = ("nakhon-si-thammarat", "นครศรีธรรมราช", "Nakhon Si Thammarat", "nst-admin")


def client_for(username: str | None = None, **extra) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", **extra)
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def staff_url(name: str, code: str, user=None) -> str:
    kwargs: dict[str, object] = {"code": code}
    if user is not None:
        kwargs["user_id"] = user.pk
    return reverse(name, kwargs=kwargs)


def rescope() -> None:
    """A request's scope lasts until the test's transaction ends: take the whole scope back."""
    tenant_scope_set(municipality_ids=all_municipality_ids())


# --- An administrator against accounts of another municipality ------------------------------


def test_adding_another_municipalitys_member_reveals_nothing_and_gives_no_link(db, settings):
    settings.MUEANG_EMAIL_ENABLED = True
    target = get_user_model().objects.get(username="nst-health")
    target.email = "health@example.go.th"
    target.save()
    attacker = client_for("chon-admin")

    added = attacker.post(
        staff_url("staff-add", CHON), {"username": "nst-health", "roles": [Role.VIEWER]}
    )
    member_page = attacker.get(staff_url("staff-member", CHON, target))
    pages = [
        member_page,
        attacker.get(staff_url("staff-list", CHON)),
        attacker.get(staff_url("staff-log", CHON)),
        attacker.get(staff_url("staff-link", CHON, target)),
    ]

    assert added.status_code == 302  # not the link page
    assert not LINK.search(added.content.decode())
    for page in pages:
        text = page.content.decode()
        assert not any(trace in text for trace in NST_TRACES)
        assert not LINK.search(text)
    assert 'id="staff-link"' not in member_page.content.decode()
    assert "health@example.go.th" not in member_page.content.decode()
    assert mail.outbox == []


def test_another_municipalitys_member_cannot_be_given_a_link_by_a_forged_post(db, settings):
    settings.MUEANG_EMAIL_ENABLED = True
    target = get_user_model().objects.get(username="nst-health")
    target.email = "health@example.go.th"
    target.save()
    attacker = client_for("chon-admin")
    attacker.post(staff_url("staff-add", CHON), {"username": "nst-health", "roles": ["viewer"]})

    forged = attacker.post(staff_url("staff-link", CHON, target))

    rescope()
    assert forged.status_code == 400
    assert not LINK.search(forged.content.decode())
    assert "/accounts/password/set/" not in forged.content.decode()
    assert mail.outbox == []
    assert not MembershipChange.objects.filter(
        subject_username="nst-health", kind=MembershipChange.Kind.LINK_ISSUED
    ).exists()


def test_removing_another_municipalitys_member_leaves_their_account_alone(db):
    target = get_user_model().objects.get(username="nst-health")
    attacker = client_for("chon-admin")
    attacker.post(staff_url("staff-add", CHON), {"username": "nst-health", "roles": ["viewer"]})

    removed = attacker.post(staff_url("staff-remove", CHON, target))

    rescope()
    target.refresh_from_db()
    assert removed.status_code == 302
    assert target.is_active
    assert Membership.objects.filter(user=target, municipality__code=NST).exists()
    assert not Membership.objects.filter(user=target, municipality__code=CHON).exists()


def test_a_link_issued_while_an_account_was_only_here_dies_when_it_joins_another(db):
    issued = client_for("nst-admin").post(
        staff_url("staff-add", NST), {"username": "dual", "roles": [Role.VIEWER]}
    )
    link = LINK.search(issued.content.decode()).group(1)
    # Chon Buri's administrator adds the same account; the old link would now reach Chon Buri.
    client_for("chon-admin").post(
        staff_url("staff-add", CHON), {"username": "dual", "roles": [Role.HEALTH_OFFICER]}
    )

    opened = client_for().get(link)

    assert opened.status_code == 200
    assert 'id="link-invalid"' in opened.content.decode()


def test_the_platform_superuser_is_never_given_a_link_nor_deactivated(db):
    superuser = get_user_model().objects.get(username="platform-admin")
    admin = client_for("nst-admin")

    added = admin.post(
        staff_url("staff-add", NST), {"username": "platform-admin", "roles": [Role.VIEWER]}
    )
    link = admin.post(staff_url("staff-link", NST, superuser))
    removed = admin.post(staff_url("staff-remove", NST, superuser))

    superuser.refresh_from_db()
    assert added.status_code == 302
    assert link.status_code == 400
    assert not LINK.search(link.content.decode())
    assert removed.status_code == 302
    assert superuser.is_active


def test_staff_writes_need_the_csrf_token(db):
    admin = client_for("nst-admin", enforce_csrf_checks=True)

    response = admin.post(staff_url("staff-add", NST), {"username": "csrf", "roles": ["viewer"]})

    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="csrf").exists()


def test_the_change_log_is_tenant_data_and_append_only(db):
    client_for("nst-admin").post(
        staff_url("staff-add", NST), {"username": "logged", "roles": [Role.VIEWER]}
    )
    rescope()
    nst_changes = MembershipChange.objects.filter(municipality__code=NST)
    assert nst_changes.filter(subject_username="logged").exists()
    chon_id = [pk for pk in all_municipality_ids() if pk != nst_changes[0].municipality_id]

    with tenant_scope(municipality_ids=chon_id):
        seen_from_chon = MembershipChange.objects.filter(subject_username="logged").count()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE geoapp_membershipchange SET actor_username = 'someone else'")

    assert seen_from_chon == 0


# --- A village health volunteer looking for the cases ------------------------------------------

CASE_PAGES = [name for name in municipality_url_names() if name.startswith(("dengue-", "case-"))]


def test_the_case_pages_are_found():
    assert {"dengue-dashboard", "case-list", "case-detail"} <= set(CASE_PAGES)


@pytest.mark.parametrize("name", CASE_PAGES)
def test_a_volunteer_gets_no_case_page(db, name):
    response = client_for("nst-volunteer").get(url_for(name))

    assert response.status_code in (403, 404)


def test_a_volunteer_gets_no_case_points_from_the_api(db):
    volunteer = client_for("nst-volunteer")

    items = volunteer.get(f"/api/collections/{NST}.dengue_cases/items?limit=5")
    listed = volunteer.get("/api/collections?f=json").json()

    assert items.status_code == 404
    assert "dengue" not in items.content.decode().replace(f"{NST}.dengue_cases", "")
    ids = [collection["id"] for collection in listed["collections"]]
    assert f"{NST}.roads" in ids
    assert not [found for found in ids if "dengue" in found]


def test_a_volunteer_gets_no_case_tiles(db):
    z = 14
    x, y = tile_of(*NST_CENTRE, z)
    url = f"/tiles/cases/{z}/{x}/{y}.pbf"

    health = client_for("nst-health").get(url)
    volunteer = client_for("nst-volunteer")

    assert mapbox_vector_tile.decode(health.content)["cases"]["features"]
    assert volunteer.get(url).status_code == 404
    assert volunteer.get(f"{url}?m={NST}").status_code == 404
    assert volunteer.get("/tiles/cases.json").status_code == 404


def test_a_volunteers_map_has_no_cases_not_even_masked_ones(db):
    viewer_map = client_for("nst-viewer").get(f"/m/{NST}/map/").content.decode()
    volunteer_map = client_for("nst-volunteer").get(f"/m/{NST}/map/").content.decode()

    assert "mueang-case-masked" in viewer_map  # the tier below exact: other staff see this
    assert "mueang-case" not in volunteer_map
    assert "onset" not in volunteer_map


def test_a_volunteer_finds_no_case_dataset_in_the_catalogue(db):
    dataset = Dataset.objects.filter(municipality__code=NST, kind=Dataset.Kind.DENGUE_CASES).first()
    volunteer = client_for("nst-volunteer")

    listing = volunteer.get(f"/m/{NST}/catalogue/").content.decode()
    detail = volunteer.get(f"/m/{NST}/catalogue/{dataset.slug}/")

    assert dataset.title not in listing
    assert detail.status_code in (403, 404)


# --- Hostile addresses --------------------------------------------------------------------------


@pytest.mark.parametrize("user_id", ["0", "99999999999999999999999"])
@pytest.mark.parametrize("page", ["", "remove/", "link/"])
def test_a_member_number_out_of_range_is_a_404_not_a_500(db, user_id, page):
    url = f"/m/{NST}/staff/{user_id}/{page}"
    admin = client_for("nst-admin")

    assert admin.get(url).status_code == 404
    assert admin.post(url, {"roles": [Role.VIEWER]}).status_code == 404


@pytest.mark.parametrize(
    "uidb64", ["OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk", "AAAA", "-1", "bm90LWEtbnVtYmVy"]
)
def test_a_forged_link_shows_the_invalid_link_page(db, uidb64):
    response = client_for().get(f"/accounts/password/set/{uidb64}/abc-123/")

    assert response.status_code == 200
    assert 'id="link-invalid"' in response.content.decode()
