"""Open311 API keys on a page for municipality administrators: list, issue (shown once), revoke.

The same storage as `manage.py open311_key` (`geoapp.reports.services.open311_key_create`): only
the SHA-256 of a key is kept, so the page can show a key once and never again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from geoapp.models import Open311Key
from geoapp.reports.services import open311_key_create
from geoapp.web import permissions
from layers.models import Municipality


@dataclass(frozen=True)
class KeyRow:
    """A key as the page lists it: never the key itself, nor its hash."""

    pk: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def open311_key_list(*, municipality: Municipality) -> list[KeyRow]:
    """The municipality's keys, live ones first, newest first."""
    keys = Open311Key.objects.filter(municipality=municipality).order_by(
        "-revoked_at", "-created_at"
    )
    rows = [
        KeyRow(
            pk=k.pk,
            name=k.name,
            created_at=k.created_at,
            last_used_at=k.last_used_at,
            revoked_at=k.revoked_at,
        )
        for k in keys
    ]
    return sorted(rows, key=lambda row: row.revoked_at is not None)


def open311_key_revoke(*, municipality: Municipality, key_id: int) -> bool:
    """Revoke a live key of the municipality now; False when there is no such live key."""
    return bool(
        Open311Key.objects.filter(
            municipality=municipality, pk=key_id, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
    )


class KeyIssueForm(forms.Form):
    name = forms.CharField(
        label=_("Who will use the key (system or organisation)"), min_length=2, max_length=100
    )


def _municipality(request: HttpRequest, code: str) -> Municipality:
    return permissions.municipality_requiring(
        request.user, code, permissions.Action.MANAGE_OPEN311_KEYS
    )


def _page(request, municipality, form, *, new_key: str = "", status: int = 200) -> HttpResponse:
    context = {
        "municipality": municipality,
        "keys": open311_key_list(municipality=municipality),
        "form": form,
        "new_key": new_key,
        "revoked": "revoked" in request.GET,
    }
    return render(request, "geoapp/reports/keys.html", context, status=status)


@never_cache
@login_required
def report_keys(request: HttpRequest, code: str) -> HttpResponse:
    """List the keys; on POST issue one and show it this once."""
    municipality = _municipality(request, code)
    form = KeyIssueForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, municipality, form, status=400)
        _key, raw = open311_key_create(municipality=municipality, name=form.cleaned_data["name"])
        return _page(request, municipality, KeyIssueForm(), new_key=raw)
    return _page(request, municipality, form)


@never_cache
@login_required
def report_key_revoke(request: HttpRequest, code: str, key_id: int) -> HttpResponse:
    """Confirm, then revoke a key: Open311 POSTs with it are refused from then on."""
    municipality = _municipality(request, code)
    key = next((k for k in open311_key_list(municipality=municipality) if k.pk == key_id), None)
    if key is None or key.revoked_at is not None:
        raise Http404("No such key")
    if request.method == "POST":
        open311_key_revoke(municipality=municipality, key_id=key_id)
        return redirect(reverse("report-keys", kwargs={"code": code}) + "?revoked=1")
    context = {"municipality": municipality, "key": key}
    return render(request, "geoapp/reports/key_revoke.html", context)
