"""Demo users: one per role in each demo municipality, plus a platform superuser."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from geoapp.models import Membership, Role
from layers.models import Municipality
from layers.tenancy import all_tenants_scope

DEMO_PASSWORD = "mueang-demo-2569"  # printed by `make demo`; demo data only
DEMO_PREFIXES = {"nakhon-si-thammarat": "nst", "chon-buri": "chon"}
ADMIN_GROUP = "Municipality administrators"


@dataclass(frozen=True)
class DemoUser:
    username: str
    municipality_code: str
    role: str


def demo_users() -> list[DemoUser]:
    """Every demo login, e.g. `nst-health` is the health officer of Nakhon Si Thammarat."""
    short = {
        Role.VIEWER: "viewer",
        Role.PLANNER: "planner",
        Role.HEALTH_OFFICER: "health",
        Role.DISASTER_OFFICER: "disaster",
        Role.EDITOR: "editor",
        Role.ADMIN: "admin",
        Role.VOLUNTEER: "volunteer",
        Role.RELIEF_APPROVER: "approver",
        Role.FINANCE: "finance",
    }
    return [
        DemoUser(f"{prefix}-{short[role]}", code, role)
        for code, prefix in DEMO_PREFIXES.items()
        for role in Role
    ]


def _admin_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ADMIN_GROUP)
    wanted = Permission.objects.filter(content_type__app_label__in=["layers", "geoapp"]).exclude(
        content_type__model__in=["municipality", "denguecasepersonal"], codename__startswith="add_"
    )
    group.permissions.add(*wanted)
    return group


@transaction.atomic
def demo_users_create() -> list[DemoUser]:
    """Create missing demo users and memberships; existing ones are left as they are."""
    with all_tenants_scope():
        return _demo_users_create()


def _demo_users_create() -> list[DemoUser]:
    user_model = get_user_model()
    group = _admin_group()
    users = demo_users()
    for demo in users:
        user, created = user_model.objects.get_or_create(username=demo.username)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = demo.role == Role.ADMIN
            user.save()
            if user.is_staff:
                user.groups.add(group)
        municipality = Municipality.objects.get(code=demo.municipality_code)
        Membership.objects.get_or_create(user=user, municipality=municipality, role=demo.role)
    superuser, created = user_model.objects.get_or_create(
        username="platform-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        superuser.set_password(DEMO_PASSWORD)
        superuser.save()
    return users
