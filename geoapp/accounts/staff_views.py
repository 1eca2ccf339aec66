"""The staff pages of a municipality (administrators only): members, roles, links, the log.

Writes are in `geoapp.accounts.staff`; pages that show a set-password link are never cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from geoapp.accounts import staff
from geoapp.accounts.links import (
    email_enabled,
    link_days,
    set_password_link_send,
    set_password_url,
)
from geoapp.accounts.staff_forms import MemberAddForm, RolesForm
from geoapp.models import Role
from geoapp.web import permissions
from layers.models import Municipality


def _municipality(request: HttpRequest, code: str) -> Municipality:
    return permissions.municipality_requiring(request.user, code, permissions.Action.MANAGE_MEMBERS)


def _member(municipality: Municipality, user_id: int) -> staff.StaffMember:
    try:
        return staff.staff_member_get(municipality=municipality, user_id=user_id)
    except staff.NotAMember:
        raise Http404("No such member") from None


def _link_page(request: HttpRequest, municipality: Municipality, user, *, created: bool):
    """The one-time link, shown once to hand over (and e-mailed when e-mail is set up)."""
    url = set_password_url(request, user)
    emailed = set_password_link_send(user=user, url=url, municipality_name=municipality.name_th)
    context = {
        "municipality": municipality,
        "member": staff.staff_member_get(municipality=municipality, user_id=user.pk),
        "url": url,
        "emailed": emailed,
        "created": created,
        "days": link_days(),
    }
    return render(request, "geoapp/staff/link.html", context)


@login_required
def staff_list(request: HttpRequest, code: str) -> HttpResponse:
    """Every member with a column per role, status and last login."""
    municipality = _municipality(request, code)
    members = staff.staff_list(municipality=municipality)
    rows = [
        {"member": member, "held": [role in member.roles for role in Role.values]}
        for member in members
    ]
    context = {"municipality": municipality, "rows": rows, "roles": Role.choices}
    return render(request, "geoapp/staff/list.html", context)


@never_cache
@login_required
def staff_add(request: HttpRequest, code: str) -> HttpResponse:
    """Add a member: a new account with a one-time link, or an existing account by username."""
    municipality = _municipality(request, code)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = staff.staff_member_add(
                municipality=municipality, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if added.link_allowed:
                return _link_page(request, municipality, added.user, created=added.created)
            messages.success(
                request,
                _(
                    "%(username)s already has an account: it now has these roles here and "
                    "logs in with its own password."
                )
                % {"username": added.user.get_username()},
            )
            return redirect("staff-member", code=code, user_id=added.user.pk)
    status = 400 if request.method == "POST" else 200
    context = {"municipality": municipality, "form": form, "email_enabled": email_enabled()}
    return render(request, "geoapp/staff/add.html", context, status=status)


@login_required
def staff_member(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    """One member: their roles here (to change) and what can be done about the account."""
    municipality = _municipality(request, code)
    member = _member(municipality, user_id)
    form = RolesForm(request.POST or None, initial={"roles": sorted(member.roles)})
    if request.method == "POST" and form.is_valid():
        try:
            staff.staff_roles_set(
                municipality=municipality,
                actor=request.user,
                user_id=user_id,
                roles=form.cleaned_data["roles"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The roles are saved."))
            return redirect("staff-member", code=code, user_id=user_id)
    status = 400 if request.method == "POST" else 200
    context = {"municipality": municipality, "member": member, "form": form}
    return render(request, "geoapp/staff/member.html", context, status=status)


@login_required
def staff_remove(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    """Confirm, then take every role here (and deactivate an account that is only here)."""
    municipality = _municipality(request, code)
    member = _member(municipality, user_id)
    error = ""
    if request.method == "POST":
        try:
            deactivated = staff.staff_member_remove(
                municipality=municipality, actor=request.user, user_id=user_id
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, _removed_message(member, deactivated))
            return redirect("staff-list", code=code)
    context = {"municipality": municipality, "member": member, "error": error}
    return render(request, "geoapp/staff/remove.html", context, status=400 if error else 200)


def _removed_message(member: staff.StaffMember, deactivated: bool) -> str:
    if deactivated:
        message = _("%(username)s is no longer a member; the account is deactivated.")
    else:
        message = _("%(username)s is no longer a member of this municipality.")
    return message % {"username": member.username}


@never_cache
@login_required
def staff_link(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    """Confirm, then issue a one-time set-password link for a member managed here."""
    municipality = _municipality(request, code)
    member = _member(municipality, user_id)
    error = ""
    if request.method == "POST":
        try:
            user = staff.staff_link_issue(
                municipality=municipality, actor=request.user, user_id=user_id
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            return _link_page(request, municipality, user, created=False)
    context = {"municipality": municipality, "member": member, "error": error}
    return render(request, "geoapp/staff/link_confirm.html", context, status=400 if error else 200)


@login_required
def staff_log(request: HttpRequest, code: str) -> HttpResponse:
    """Who changed which membership or role, and when (newest first)."""
    municipality = _municipality(request, code)
    changes = staff.staff_log(municipality=municipality)
    context = {"municipality": municipality, "changes": changes, "limit": staff.LOG_LIMIT}
    return render(request, "geoapp/staff/log.html", context)
