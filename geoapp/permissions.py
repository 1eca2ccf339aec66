"""The one place that decides who may do what in a municipality.

Roles come from `Membership`; a user with several roles in one municipality gets the union.
The matrix is documented in the README ("Roles and permissions").
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404

from geoapp.models import Membership, Role
from layers.models import Municipality
from layers.tenancy import tenant_scope_set


class Action(StrEnum):
    VIEW_LAYERS = "view_layers"
    EDIT_INFRASTRUCTURE = "edit_infrastructure"
    VIEW_CASES_EXACT = "view_cases_exact"
    VIEW_CASES_PERSONAL = "view_cases_personal"
    EDIT_CASES = "edit_cases"
    VIEW_FLOOD = "view_flood"
    EDIT_FLOOD = "edit_flood"
    MANAGE_DATASETS = "manage_datasets"
    MANAGE_MEMBERS = "manage_members"
    VIEW_ACCESS_LOG = "view_access_log"
    HANDLE_DATA_SUBJECT_REQUESTS = "handle_data_subject_requests"


_EVERYONE = {Action.VIEW_LAYERS, Action.VIEW_FLOOD}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.VIEWER: frozenset(_EVERYONE),
    Role.PLANNER: frozenset(_EVERYONE | {Action.EDIT_INFRASTRUCTURE, Action.MANAGE_DATASETS}),
    Role.HEALTH_OFFICER: frozenset(
        _EVERYONE | {Action.VIEW_CASES_EXACT, Action.VIEW_CASES_PERSONAL, Action.EDIT_CASES}
    ),
    Role.DISASTER_OFFICER: frozenset(_EVERYONE | {Action.EDIT_FLOOD}),
    Role.EDITOR: frozenset(
        _EVERYONE | {Action.EDIT_INFRASTRUCTURE, Action.EDIT_FLOOD, Action.MANAGE_DATASETS}
    ),
    Role.ADMIN: frozenset(Action),
}


def roles_of(user, municipality: Municipality) -> set[str]:
    """Return the roles the user holds in the municipality (empty if not a member)."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, municipality=municipality).values_list(
            "role", flat=True
        )
    )


def actions_of(user, municipality: Municipality) -> frozenset[Action]:
    """Return every action the user may take in the municipality."""
    allowed: set[Action] = set()
    for role in roles_of(user, municipality):
        allowed |= ROLE_ACTIONS[role]
    return frozenset(allowed)


def actions_by_municipality(user) -> dict[int, frozenset[Action]]:
    """Every municipality id where the user holds a role, with the actions allowed there."""
    if not user.is_authenticated:
        return {}
    found: dict[int, set[Action]] = {}
    for municipality_id, role in Membership.objects.filter(user=user).values_list(
        "municipality_id", "role"
    ):
        found.setdefault(municipality_id, set()).update(ROLE_ACTIONS[role])
    return {pk: frozenset(actions) for pk, actions in found.items()}


def can(user, municipality: Municipality, action: Action) -> bool:
    """Say whether the user may take the action in the municipality."""
    return action in actions_of(user, municipality)


def municipalities_of(user):
    """Return the municipalities the user is a member of."""
    if not user.is_authenticated:
        return Municipality.objects.none()
    return Municipality.objects.filter(memberships__user=user).distinct()


def municipality_requiring(user, code: str, action: Action) -> Municipality:
    """The municipality, if the user is a member (else 404) allowed to take `action` (else 403)."""
    municipality = municipality_for(user, code)
    if not can(user, municipality, action):
        raise PermissionDenied(f"{action} is not allowed")
    return municipality


def municipality_for(user, code: str) -> Municipality:
    """Return the municipality if the user is a member; otherwise 404, so codes do not leak.

    Inside a transaction (every request is one), the database scope narrows to this municipality
    for the rest of it: rows of the user's other municipalities become invisible too.
    """
    # PostgreSQL text cannot hold NUL: such a code (e.g. from `?m=`) names no municipality.
    municipality = None if "\x00" in code else municipalities_of(user).filter(code=code).first()
    if municipality is None:
        raise Http404("No such municipality")
    if connection.in_atomic_block:
        tenant_scope_set(municipality_ids=[municipality.pk], user_id=user.pk)
    return municipality
