"""The help pages: the manuals' index, one role's manual, and the manuals' screenshots."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from geoapp.help.manuals import INDEX, Manual, image_path, manual_read, manual_titles


def _manual_page(request: HttpRequest, manual: Manual) -> HttpResponse:
    context = {"manual": manual, "manuals": manual_titles()}
    return render(request, "geoapp/help/manual.html", context)


@require_safe
def help_index(request: HttpRequest) -> HttpResponse:
    """The manual's first page: who each manual is for, with links to them."""
    return _manual_page(request, manual_read(INDEX))


@require_safe
def help_manual(request: HttpRequest, role: str) -> HttpResponse:
    """One role's manual with its table of contents."""
    manual = manual_read(role)
    if manual is None or role == INDEX:
        raise Http404("No manual for this role")
    return _manual_page(request, manual)


@require_safe
@cache_control(max_age=3600)
def help_image(request: HttpRequest, name: str) -> FileResponse:
    """A screenshot of the manual (docs/th/img/), by plain file name only."""
    path = image_path(name)
    if path is None:
        raise Http404("No such screenshot")
    return FileResponse(path.open("rb"), content_type="image/png")
