"""Input of the history pages: which version to restore, and the confirmations."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest

from layers.imports.values import whole_number


class WholeNumberField(forms.Field):
    """A whole number of at most `max_digits` ASCII digits; anything else reads as None."""

    def __init__(self, *, max_digits: int, **kwargs):
        super().__init__(required=False, **kwargs)
        self.max_digits = max_digits

    def to_python(self, value):
        return whole_number(value or "", max_digits=self.max_digits)


class FlagField(forms.Field):
    """A yes/no sent as `1` (anything else is no)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        return value == "1"


class RestoreForm(forms.Form):
    """The version to restore (none: the latest kept state) and the last change the page saw."""

    version = WholeNumberField(max_digits=8)
    last = WholeNumberField(max_digits=18)

    @classmethod
    def from_request(cls, request: HttpRequest) -> RestoreForm:
        """The form of a GET (`?version=`) or a POST (its `version`, else the query's)."""
        version = request.POST.get("version") or request.GET.get("version") or ""
        form = cls({"version": version, "last": request.POST.get("last", "")})
        form.is_valid()  # fields that cannot fail: unreadable numbers read as None
        return form


class RollbackForm(forms.Form):
    """Roll back even when later changes touched the import's features."""

    force = FlagField()
