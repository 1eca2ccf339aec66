"""Input of the dengue pages, parsed by Django forms."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoapp.templatetags.thaidate import thai_date


def round_value(number: int, planned: date) -> str:
    """A round as the form's choice value: its number and planned date."""
    return f"{number}:{planned.isoformat()}"


class SprayRoundForm(forms.Form):
    """A round recorded as done by the team leader.

    `rounds` are the zone's rounds a team may record; `zone_open=False` says the zone key names
    no zone open on the plan's date (the form is then refused with that reason).
    """

    zone_key = forms.SlugField(max_length=40, widget=forms.HiddenInput)
    round = forms.ChoiceField(label=gettext_lazy("Round"))
    done_on = forms.DateField(
        label=gettext_lazy("Done on"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    team = forms.CharField(label=gettext_lazy("Team"), max_length=100)
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, rounds: list[tuple[int, date]] = (), zone_open=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone_open = zone_open
        self.fields["round"].choices = [
            (
                round_value(n, planned),
                _("round %(n)s (%(date)s)") % {"n": n, "date": thai_date(planned)},
            )
            for n, planned in rounds
        ]

    def clean_round(self) -> tuple[int, date]:
        number, _sep, planned = self.cleaned_data["round"].partition(":")
        return int(number), date.fromisoformat(planned)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.zone_open:
            raise ValidationError(_("No spray zone with this key is open on this date."))
        return cleaned

    def record_args(self) -> dict:
        """The cleaned input as the arguments of `layers.dengue.services.spray_round_record`."""
        data = self.cleaned_data
        number, planned = data["round"]
        return {
            "zone_key": data["zone_key"],
            "round_number": number,
            "planned_date": planned,
            "done_on": data["done_on"],
            "team": data["team"],
            "notes": data["notes"],
        }

    def add_model_errors(self, error: ValidationError) -> None:
        """Show a refusal of the model next to its field (or above the form)."""
        for field, errors in error.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)
