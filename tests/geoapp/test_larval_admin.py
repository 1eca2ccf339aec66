"""The larval survey settings in the Django admin: each municipality edits only its own."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from layers.field.services import container_types_seed, larval_risk_bands_save
from layers.models import LarvalContainerType, LarvalRiskBands, Municipality, SurveyPlace
from layers.tenancy import all_municipality_ids, tenant_scope_set

MODELS = [LarvalContainerType, SurveyPlace, LarvalRiskBands]


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def both(db):
    """Both demo municipalities with a container list, a place and risk bands."""
    municipalities = [
        Municipality.objects.get(code=c) for c in ("nakhon-si-thammarat", "chon-buri")
    ]
    for municipality in municipalities:
        container_types_seed(municipality=municipality)
        SurveyPlace.objects.create(municipality=municipality, kind="school", name="โรงเรียน 1")
        larval_risk_bands_save(
            municipality=municipality,
            user=None,
            hi_low_max=10,
            hi_moderate_max=50,
            ci_low_max=0,
            ci_moderate_max=5,
        )
    return municipalities


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:layers_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_another_municipalitys_admin_cannot_open_edit_or_list_them(both, model):
    nst, chon = both
    row = model.objects.filter(municipality=nst).first()
    client = client_for("chon-admin")

    for action in ("change", "history", "delete"):
        assert client.get(admin_url(model, action, row.pk)).status_code in (403, 404)
    posted = client.post(admin_url(model, "delete", row.pk), {"post": "yes"})
    assert posted.status_code in (403, 404)
    listing = client.get(admin_url(model, "changelist"))
    assert listing.status_code == 200
    shown = {obj.municipality_id for obj in listing.context["cl"].result_list}
    assert shown == {chon.pk}
    tenant_scope_set(municipality_ids=all_municipality_ids())  # the request left chon's scope
    assert model.objects.filter(pk=row.pk).exists()


def test_an_admin_renames_a_container_type_of_its_own_list(both):
    _, chon = both
    vase = LarvalContainerType.objects.get(municipality=chon, number=3)
    client = client_for("chon-admin")
    assert client.get(admin_url(LarvalContainerType, "change", vase.pk)).status_code == 200

    response = client.post(
        admin_url(LarvalContainerType, "change", vase.pk),
        {
            "municipality": chon.pk,
            "number": 3,
            "name_th": "แจกันหิ้งพระ",
            "name_en": "altar vase",
            "active": "on",
        },
    )

    assert response.status_code == 302, response.content[:500]
    tenant_scope_set(municipality_ids=all_municipality_ids())
    vase.refresh_from_db()
    assert vase.name_th == "แจกันหิ้งพระ"


def test_bands_saved_in_the_admin_record_who_saved_them(both):
    _, chon = both
    admin_user = get_user_model().objects.get(username="chon-admin")
    response = client_for("chon-admin").post(
        admin_url(LarvalRiskBands, "add"),
        {
            "municipality": chon.pk,
            "hi_low_max": 5,
            "hi_moderate_max": 40,
            "ci_low_max": 0,
            "ci_moderate_max": 5,
            "source": "ประกาศ 2569",
        },
    )
    assert response.status_code == 302, response.content[:500]
    tenant_scope_set(municipality_ids=all_municipality_ids())
    newest = LarvalRiskBands.objects.filter(municipality=chon).first()
    assert (newest.hi_low_max, newest.saved_by) == (5, admin_user)
