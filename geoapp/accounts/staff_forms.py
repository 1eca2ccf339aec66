"""Input of the staff pages: a new member, and a member's roles."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from geoapp.models import Role


def _roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Roles in this municipality"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role.")},
    )


class MemberAddForm(forms.Form):
    """A new member: a new username creates an account; an existing one is added as it is."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only. An existing username adds that account."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        help_text=_("The set-password link is also sent here when e-mail is set up."),
    )
    roles = _roles_field()

    def clean_username(self) -> str:
        return get_user_model().normalize_username(self.cleaned_data["username"].strip())


class RolesForm(forms.Form):
    """The roles a member should hold here, exactly."""

    roles = _roles_field()
