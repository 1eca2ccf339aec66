"""Input of the home pages: the dashboard settings form, parsed as the page sends it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from geoapp.home.dashboard import STALE_NOT_WHOLE


class SentList(forms.Field):
    """Every value sent under the name, in order (the service judges them)."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        return list(value or [])


class SentText(forms.Field):
    """The text sent under the name, "" when none; stripped if asked."""

    def __init__(self, *, strip: bool = False, **kwargs):
        super().__init__(required=False, **kwargs)
        self.strip = strip

    def to_python(self, value):
        text = value or ""
        return text.strip() if self.strip else text


def moved(widgets: list[str], move: str) -> list[str]:
    """The widgets with one moved: `move` is "up:<key>" or "down:<key>"."""
    direction, _sep, key = move.partition(":")
    if key not in widgets or direction not in ("up", "down"):
        return widgets
    i = widgets.index(key)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(widgets):
        return widgets
    out = list(widgets)
    out[i], out[j] = out[j], out[i]
    return out


class DashboardSettingsForm(forms.Form):
    """The settings page's post: `widgets` comes out checked, in the page's order, moved."""

    action = SentText()
    widgets = SentList()
    order = SentList()
    move = SentText()
    map_layers = SentList()
    stale_after_days = SentText(strip=True)

    @property
    def stale_text(self) -> str:
        """The days as typed (shown again when the settings are not saved)."""
        return (self.data.get("stale_after_days") or "").strip()

    def clean_stale_after_days(self) -> int:
        text = self.cleaned_data["stale_after_days"]
        try:
            return int(text)
        except ValueError:
            raise ValidationError(str(STALE_NOT_WHOLE) % {"value": text}) from None

    def clean(self):
        data = super().clean()
        chosen = data["widgets"]
        checked = set(chosen)
        # Checked widgets in the page's order; a checked key the page did not list goes last.
        widgets = [key for key in data["order"] if key in checked]
        widgets += [key for key in chosen if key not in widgets]
        data["widgets"] = moved(widgets, data["move"])
        return data

    def error_lists(self) -> dict[str, list[str]]:
        """The errors per field as plain messages, as the service's `ValidationError` gives them."""
        return {
            name: [message for error in errors for message in error.messages]
            for name, errors in self.errors.as_data().items()
        }
