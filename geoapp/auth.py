"""Log in with throttling: too many failures for a username or an address wait for a cooldown."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _

from geoapp.throttle import (
    client_address,
    login_failure_record,
    login_failures_clear,
    login_throttled,
)


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        address = client_address(self.request)
        throttled = login_throttled(username=username, address=address)
        if throttled:
            minutes = max(1, round(throttled.retry_after_s / 60))
            self.throttled = throttled
            raise forms.ValidationError(
                _("Too many failed attempts. Please wait %(minutes)d minutes and try again.")
                % {"minutes": minutes},
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failure_record(username=username, address=address)
            raise
        login_failures_clear(username=username)
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "geoapp/login.html"

    def form_invalid(self, form):
        response = super().form_invalid(form)
        throttled = getattr(form, "throttled", None)
        if throttled:
            response.status_code = 429
            response["Retry-After"] = str(throttled.retry_after_s)
        return response
