"""The one place that decides who may do what in a municipality.

Roles come from `Membership`; a user with several roles in one municipality gets the union.
The matrix is documented in the README ("Roles and permissions").
"""

from __future__ import annotations

import json
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404

from geoapp.models import Membership, Role
from layers.catalogue.selectors import DatasetAccess
from layers.models import Municipality
from layers.registry import layers_with
from layers.tenancy import tenant_scope_set


class Action(StrEnum):
    VIEW_LAYERS = "view_layers"
    EDIT_INFRASTRUCTURE = "edit_infrastructure"
    VIEW_CASES_MASKED = "view_cases_masked"
    VIEW_CASES_EXACT = "view_cases_exact"
    VIEW_CASES_PERSONAL = "view_cases_personal"
    EDIT_CASES = "edit_cases"
    VIEW_FLOOD = "view_flood"
    EDIT_FLOOD = "edit_flood"
    MANAGE_DATASETS = "manage_datasets"
    MANAGE_MEMBERS = "manage_members"
    VIEW_ACCESS_LOG = "view_access_log"
    HANDLE_DATA_SUBJECT_REQUESTS = "handle_data_subject_requests"
    MANAGE_DASHBOARD = "manage_dashboard"
    VIEW_RELIEF = "view_relief"
    MANAGE_RELIEF_RATES = "manage_relief_rates"
    PREPARE_RELIEF = "prepare_relief"
    APPROVE_RELIEF = "approve_relief"
    PAY_RELIEF = "pay_relief"
    # Resident reports (issue 19): see the queue (no contacts), work it (assign, change status,
    # read a reporter's contact with a logged purpose), supervise (close without a near "after"
    # photo, with a reason; moderation setting).
    VIEW_REPORTS = "view_reports"
    WORK_REPORTS = "work_reports"
    SUPERVISE_REPORTS = "supervise_reports"
    MANAGE_OPEN311_KEYS = "manage_open311_keys"
    FIELD_RECORD = "field_record"
    FIELD_SUPERVISE = "field_supervise"


# Every staff role sees the layers, flood data and dengue cases moved by donut masking, and the
# residents' report queue without the reporters' contacts.
_EVERYONE = {Action.VIEW_LAYERS, Action.VIEW_FLOOD, Action.VIEW_CASES_MASKED, Action.VIEW_REPORTS}
# The officers who fix what residents report (street lights, roads, breeding sites, floods).
_REPORT_WORKERS = {Action.VIEW_REPORTS, Action.WORK_REPORTS}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    # Village health volunteers (อสม.): layers and flood data, nothing about cases, not even
    # masked points (DESIGN.md 6: "never cases").
    Role.VOLUNTEER: frozenset({Action.VIEW_LAYERS, Action.VIEW_FLOOD, Action.FIELD_RECORD}),
    Role.VIEWER: frozenset(_EVERYONE),
    Role.PLANNER: frozenset(
        _EVERYONE | _REPORT_WORKERS | {Action.EDIT_INFRASTRUCTURE, Action.MANAGE_DATASETS}
    ),
    Role.HEALTH_OFFICER: frozenset(
        _EVERYONE
        | _REPORT_WORKERS
        | {
            Action.VIEW_CASES_EXACT,
            Action.VIEW_CASES_PERSONAL,
            Action.EDIT_CASES,
            Action.FIELD_RECORD,
            Action.FIELD_SUPERVISE,
        }
    ),
    Role.DISASTER_OFFICER: frozenset(
        _EVERYONE | _REPORT_WORKERS | {Action.EDIT_FLOOD, Action.VIEW_RELIEF, Action.PREPARE_RELIEF}
    ),
    Role.EDITOR: frozenset(
        _EVERYONE
        | _REPORT_WORKERS
        | {Action.EDIT_INFRASTRUCTURE, Action.EDIT_FLOOD, Action.MANAGE_DATASETS}
    ),
    Role.ADMIN: frozenset(Action),
    # The relief committee approves or rejects claims; finance records payments. Both read the
    # register and its claimants' personal data (every read logged), as the officers do.
    Role.RELIEF_APPROVER: frozenset(_EVERYONE | {Action.VIEW_RELIEF, Action.APPROVE_RELIEF}),
    Role.FINANCE: frozenset(_EVERYONE | {Action.VIEW_RELIEF, Action.PAY_RELIEF}),
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


# One round trip, three statements (psycopg2 returns the last result): the user's scope first,
# so the own-memberships policy applies; then the memberships become the transaction's tenants;
# then, under that scope, the memberships and the layer versions of those municipalities (the
# tile ETags), so a cached tile needs no further query.
_SCOPE_TO_MEMBERSHIPS_SQL = """
    SELECT set_config('mueang.tenants', '', true), set_config('mueang.user_id', %(user)s, true);
    SELECT set_config('mueang.tenants', coalesce(string_agg(DISTINCT municipality_id::text, ','),
                                                 ''), true)
    FROM geoapp_membership WHERE user_id = %(user)s::bigint;
    SELECT (SELECT coalesce(json_agg(json_build_array(ms.municipality_id, m.code, ms.role)),
                            '[]')::text
            FROM geoapp_membership ms JOIN layers_municipality m ON m.id = ms.municipality_id
            WHERE ms.user_id = %(user)s::bigint),
           (SELECT coalesce(json_agg(json_build_array(v.municipality_id, v.layer, v.version)),
                            '[]')::text
            FROM layers_layerversion v)
"""


def scope_to_memberships(user) -> None:
    """Scope the transaction to the user's municipalities and note what the request may reuse.

    The memberships (`request_memberships`) and the layer versions of those municipalities
    (`request_layer_versions`) are kept on the user object of this request only, so a revoked
    membership stops counting at the next request.
    """
    with connection.cursor() as cursor:
        cursor.execute(_SCOPE_TO_MEMBERSHIPS_SQL, {"user": str(user.pk)})
        rows, versions = cursor.fetchone()
    found: dict[int, tuple[str, set[str]]] = {}
    for municipality_id, code, role in json.loads(rows):
        found.setdefault(municipality_id, (code, set()))[1].add(role)
    user._mueang_memberships = {pk: (code, frozenset(roles)) for pk, (code, roles) in found.items()}
    user._mueang_layer_versions = {(pk, layer): v for pk, layer, v in json.loads(versions)}


def request_layer_versions(user) -> dict[tuple[int, str], int] | None:
    """(municipality id, layer) -> version as read at the start of this request, if it was."""
    return getattr(user, "_mueang_layer_versions", None)


def request_memberships(user) -> dict[int, tuple[str, frozenset[str]]]:
    """Municipality id -> (code, roles) as read at the start of this request (or now)."""
    memberships = getattr(user, "_mueang_memberships", None)
    if memberships is None:
        found: dict[int, tuple[str, set[str]]] = {}
        for pk, code, role in Membership.objects.filter(user=user).values_list(
            "municipality_id", "municipality__code", "role"
        ):
            found.setdefault(pk, (code, set()))[1].add(role)
        memberships = {pk: (code, frozenset(roles)) for pk, (code, roles) in found.items()}
    return memberships


def municipality_ids_allowing(user, action: Action, *, code: str | None = None) -> list[int]:
    """Ids of the user's municipalities (or the one named `code`) where `action` is allowed.

    Needs no query when the request's memberships are known (`scope_to_memberships`): the
    cached path of vector tiles relies on it.
    """
    if not user.is_authenticated:
        return []
    return sorted(
        pk
        for pk, (member_code, roles) in request_memberships(user).items()
        if (code is None or member_code == code)
        and any(action in ROLE_ACTIONS[role] for role in roles)
    )


def can(user, municipality: Municipality, action: Action) -> bool:
    """Say whether the user may take the action in the municipality."""
    return action in actions_of(user, municipality)


def may_import(user, municipality: Municipality) -> bool:
    """Whether the user may import anything here: datasets, or a layer (its import action)."""
    allowed = actions_of(user, municipality)
    return Action.MANAGE_DATASETS in allowed or any(
        layer.imports.action in allowed for layer in layers_with(imports=True) if layer.imports
    )


def dataset_access(user, municipality: Municipality) -> DatasetAccess:
    """What the user may read in the municipality (the rule is in `geoapp.catalogue.views`)."""
    return DatasetAccess(
        internal=can(user, municipality, Action.VIEW_LAYERS),
        private=can(user, municipality, Action.MANAGE_DATASETS),
        exact_cases=can(user, municipality, Action.VIEW_CASES_EXACT),
    )


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
