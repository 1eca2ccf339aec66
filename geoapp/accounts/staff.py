"""Members of a municipality: list, add, change roles, remove, and the log of every change.

Every write runs in one transaction, serialised per municipality (an advisory lock), and keeps
the rule that a municipality always has an administrator. An administrator manages accounts only
as far as they belong to their municipality: an account that is also a member elsewhere (or a
platform superuser) is never renamed, deactivated or given a set-password link from here, since
that would hand the account, and its rights in the other municipality, to this administrator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from geoapp.models import Membership, MembershipChange, Role
from layers.models import Municipality
from layers.tenancy import tenant_scope

Kind = MembershipChange.Kind

#: How many changes the log page shows (newest first).
LOG_LIMIT = 500


class NotAMember(LookupError):
    """The user holds no role in this municipality (the page answers 404)."""


@dataclass(frozen=True)
class StaffMember:
    """A member as the staff page shows them; `roles` only in this municipality."""

    user_id: int
    username: str
    full_name: str
    email: str
    roles: frozenset[str]
    is_active: bool
    has_password: bool
    last_login: datetime | None
    managed_here: bool  # may be given a set-password link and deactivated from here


@dataclass(frozen=True)
class StaffAdded:
    """What adding a member did: a new account, or an existing one given roles here."""

    user: object
    created: bool
    link_allowed: bool


def _lock(municipality: Municipality) -> None:
    """Serialise membership changes of one municipality (two admins demoting each other)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('mueang.staff'), %s)", [municipality.pk]
        )


def membership_municipality_ids(user) -> set[int]:
    """Every municipality where the user holds a role, wherever the current scope is.

    Read under the user's own-memberships policy (migration 0002), in a savepoint that puts the
    caller's scope back afterwards; only ids leave this function, never shown to anyone.
    """
    with tenant_scope(municipality_ids=[], user_id=user.pk):
        return set(Membership.objects.filter(user=user).values_list("municipality_id", flat=True))


def _managed_here(user, municipality: Municipality) -> bool:
    """Whether this municipality alone answers for the account (see the module docstring)."""
    if user.is_superuser:
        return False
    return membership_municipality_ids(user) <= {municipality.pk}


def staff_link_allowed(*, municipality: Municipality, user) -> bool:
    """Whether this municipality's administrator may issue a set-password link for the user."""
    return user.is_active and _managed_here(user, municipality)


def _roles_here(municipality: Municipality, user_id: int) -> set[str]:
    return set(
        Membership.objects.filter(municipality=municipality, user_id=user_id).values_list(
            "role", flat=True
        )
    )


def _log(municipality: Municipality, actor, subject, kind: str, role: str = "") -> None:
    MembershipChange.objects.create(
        municipality=municipality,
        actor_ref=actor.pk,
        actor_username=actor.get_username(),
        subject_ref=subject.pk,
        subject_username=subject.get_username(),
        kind=kind,
        role=role,
    )


def _valid_roles(roles: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(roles))
    if not chosen:
        raise ValidationError({"roles": [_("Choose at least one role.")]})
    unknown = [role for role in chosen if role not in Role.values]
    if unknown:
        raise ValidationError({"roles": [_("Unknown role: %(role)s") % {"role": unknown[0]}]})
    return chosen


def _keep_an_administrator(municipality: Municipality, *, without_user_id: int) -> None:
    """Refuse a change that would leave the municipality without an administrator."""
    others = Membership.objects.filter(municipality=municipality, role=Role.ADMIN).exclude(
        user_id=without_user_id
    )
    if not others.exists():
        raise ValidationError(
            {
                "roles": [
                    _(
                        "The municipality must keep an administrator: give another member "
                        "the administrator role first."
                    )
                ]
            }
        )


def staff_list(*, municipality: Municipality) -> list[StaffMember]:
    """The municipality's members with their roles here, by username."""
    user_model = get_user_model()
    roles: dict[int, set[str]] = {}
    for user_id, role in Membership.objects.filter(municipality=municipality).values_list(
        "user_id", "role"
    ):
        roles.setdefault(user_id, set()).add(role)
    users = user_model.objects.filter(pk__in=roles).order_by("username")
    return [_member(user, roles[user.pk], municipality) for user in users]


def _member(user, roles: set[str], municipality: Municipality) -> StaffMember:
    """The member as this municipality may see them.

    The e-mail address of an account that also belongs elsewhere was given there (or by its
    owner), not here: it is not shown.
    """
    managed_here = staff_link_allowed(municipality=municipality, user=user)
    return StaffMember(
        user_id=user.pk,
        username=user.get_username(),
        full_name=user.get_full_name(),
        email=user.email if managed_here else "",
        roles=frozenset(roles),
        is_active=user.is_active,
        has_password=user.has_usable_password(),
        last_login=user.last_login,
        managed_here=managed_here,
    )


def staff_member_get(*, municipality: Municipality, user_id: int) -> StaffMember:
    """One member of the municipality; `NotAMember` for anyone else."""
    roles = _roles_here(municipality, user_id)
    if not roles:
        raise NotAMember(user_id)
    user = get_user_model().objects.get(pk=user_id)
    return _member(user, roles, municipality)


def staff_log(*, municipality: Municipality, limit: int = LOG_LIMIT) -> list[MembershipChange]:
    """The municipality's membership changes, newest first."""
    return list(MembershipChange.objects.filter(municipality=municipality)[:limit])


@transaction.atomic
def staff_member_add(
    *,
    municipality: Municipality,
    actor,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    roles: Iterable[str],
) -> StaffAdded:
    """Create the account (no password yet) or take the existing one, and give it roles here.

    An existing account keeps its name, e-mail and password: only its roles here change.
    """
    chosen = _valid_roles(roles)
    _lock(municipality)
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    created = user is None
    if created:
        user = user_model.objects.create_user(
            username=username, email=email, first_name=first_name, last_name=last_name
        )
        _log(municipality, actor, user, Kind.ACCOUNT_CREATED)
    else:
        if _roles_here(municipality, user.pk):
            raise ValidationError(
                {
                    "username": [
                        _("%(username)s is already a member here: change their roles instead.")
                        % {"username": username}
                    ]
                }
            )
        _log(municipality, actor, user, Kind.MEMBER_ADDED)
        if not user.is_active and _managed_here(user, municipality):
            user.is_active = True
            user.save(update_fields=["is_active"])
            _log(municipality, actor, user, Kind.ACCOUNT_REACTIVATED)
    for role in chosen:
        Membership.objects.create(user=user, municipality=municipality, role=role)
        _log(municipality, actor, user, Kind.ROLE_GIVEN, role)
    return StaffAdded(
        user=user,
        created=created,
        link_allowed=staff_link_allowed(municipality=municipality, user=user),
    )


@transaction.atomic
def staff_roles_set(
    *, municipality: Municipality, actor, user_id: int, roles: Iterable[str]
) -> StaffMember:
    """Give and take roles so the member holds exactly `roles` here."""
    wanted = set(_valid_roles(roles))
    _lock(municipality)
    current = _roles_here(municipality, user_id)
    if not current:
        raise NotAMember(user_id)
    if Role.ADMIN in current and Role.ADMIN not in wanted:
        _keep_an_administrator(municipality, without_user_id=user_id)
    user = get_user_model().objects.get(pk=user_id)
    for role in sorted(current - wanted):
        Membership.objects.filter(municipality=municipality, user=user, role=role).delete()
        _log(municipality, actor, user, Kind.ROLE_TAKEN, role)
    for role in sorted(wanted - current):
        Membership.objects.create(user=user, municipality=municipality, role=role)
        _log(municipality, actor, user, Kind.ROLE_GIVEN, role)
    return _member(user, wanted, municipality)


@transaction.atomic
def staff_member_remove(*, municipality: Municipality, actor, user_id: int) -> bool:
    """Take every role here; deactivate the account if it belongs nowhere else.

    Returns whether the account was deactivated.
    """
    _lock(municipality)
    current = _roles_here(municipality, user_id)
    if not current:
        raise NotAMember(user_id)
    if Role.ADMIN in current:
        _keep_an_administrator(municipality, without_user_id=user_id)
    user = get_user_model().objects.get(pk=user_id)
    Membership.objects.filter(municipality=municipality, user=user).delete()
    for role in sorted(current):
        _log(municipality, actor, user, Kind.MEMBER_REMOVED, role)
    if user.is_active and _managed_here(user, municipality):
        user.is_active = False
        user.save(update_fields=["is_active"])
        _log(municipality, actor, user, Kind.ACCOUNT_DEACTIVATED)
        return True
    return False


@transaction.atomic
def staff_link_issue(*, municipality: Municipality, actor, user_id: int):
    """Check that a set-password link may be issued for the member, log it, return the user.

    The link itself is made by `geoapp.accounts.links` (it needs the request's host).
    """
    if not _roles_here(municipality, user_id):
        raise NotAMember(user_id)
    user = get_user_model().objects.get(pk=user_id)
    if not staff_link_allowed(municipality=municipality, user=user):
        raise ValidationError(
            _(
                "This account is not managed by this municipality alone, so it cannot be given "
                "a link here. Ask the member to use “Forgot password” on the login page, or ask "
                "the platform administrator."
            )
        )
    _log(municipality, actor, user, Kind.LINK_ISSUED)
    return user


def membership_admin_saved(*, actor, membership: Membership, previous: Membership | None) -> None:
    """Log a membership saved in the Django admin (platform superusers only), like the pages'."""
    if previous is not None:
        if (previous.user_id, previous.municipality_id, previous.role) == (
            membership.user_id,
            membership.municipality_id,
            membership.role,
        ):
            return
        membership_admin_deleted(actor=actor, membership=previous)
    _log(membership.municipality, actor, membership.user, Kind.ROLE_GIVEN, membership.role)


def membership_admin_deleted(*, actor, membership: Membership) -> None:
    """Log a membership deleted in the Django admin (platform superusers only)."""
    _log(membership.municipality, actor, membership.user, Kind.ROLE_TAKEN, membership.role)
