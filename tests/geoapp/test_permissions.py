"""The role x action matrix, decided in one place."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404

from geoapp.models import Membership, Role
from geoapp.web.permissions import ROLE_ACTIONS, Action, actions_of, can, municipality_for


def test_every_role_has_an_entry_and_only_admin_manages_members():
    assert set(ROLE_ACTIONS) == set(Role)
    assert [role for role, actions in ROLE_ACTIONS.items() if Action.MANAGE_MEMBERS in actions] == [
        Role.ADMIN
    ]


@pytest.mark.parametrize(
    ("role", "sees_cases"),
    [
        (Role.VIEWER, False),
        (Role.PLANNER, False),
        (Role.HEALTH_OFFICER, True),
        (Role.DISASTER_OFFICER, False),
        (Role.EDITOR, False),
        (Role.ADMIN, True),
        (Role.VOLUNTEER, False),
    ],
)
def test_only_health_officers_and_admins_see_exact_case_locations(nst, role, sees_cases):
    user = get_user_model().objects.create_user(f"probe-{role}")
    Membership.objects.create(user=user, municipality=nst, role=role)

    assert can(user, nst, Action.VIEW_CASES_EXACT) is sees_cases
    assert can(user, nst, Action.VIEW_LAYERS)


def test_volunteers_may_take_no_action_about_cases(nst):
    user = get_user_model().objects.create_user("probe-volunteer")
    Membership.objects.create(user=user, municipality=nst, role=Role.VOLUNTEER)

    allowed = actions_of(user, nst)
    # Layers, flood data and recording their field surveys (issue 18): nothing about cases.
    assert allowed == {Action.VIEW_LAYERS, Action.VIEW_FLOOD, Action.FIELD_RECORD}
    assert not {a for a in Action if "case" in a.value} & allowed


def test_roles_in_one_municipality_give_nothing_in_another(nst, chon):
    user = get_user_model().objects.create_user("two-hats")
    Membership.objects.create(user=user, municipality=nst, role=Role.ADMIN)

    assert actions_of(user, chon) == frozenset()
    with pytest.raises(Http404):
        municipality_for(user, chon.code)


def test_several_roles_add_up(nst):
    user = get_user_model().objects.create_user("planner-and-health")
    Membership.objects.create(user=user, municipality=nst, role=Role.PLANNER)
    Membership.objects.create(user=user, municipality=nst, role=Role.HEALTH_OFFICER)

    assert {Action.EDIT_INFRASTRUCTURE, Action.VIEW_CASES_EXACT} <= actions_of(user, nst)
    assert Action.MANAGE_MEMBERS not in actions_of(user, nst)
