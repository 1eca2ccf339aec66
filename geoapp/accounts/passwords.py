"""Setting a password from a one-time link, and "Forgot password" on the login page.

The link page never logs the user in: they log in afterwards like anyone, so an authenticator
app (two-step login) is still asked for. "Forgot password" sends a link only when e-mail is set up
(`MUEANG_EMAIL_ENABLED`), answers the same whether or not the address belongs to an account, and
is throttled like failed logins; without e-mail it tells the user to ask their administrator.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy

from geoapp.accounts.links import email_enabled, link_days, set_password_token
from geoapp.accounts.throttle import login_failure_record, login_throttled
from geoapp.web.client import client_address

#: Requests for a reset count in the login throttle under this prefix and the address typed.
THROTTLE_PREFIX = "password-reset:"


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Choose a password from a one-time link (Django moves the token out of the URL first)."""

    template_name = "geoapp/password/set.html"
    success_url = reverse_lazy("password-set-done")
    token_generator = set_password_token


class SetPasswordDoneView(auth_views.PasswordResetCompleteView):
    template_name = "geoapp/password/set_done.html"


class ForgotPasswordView(auth_views.PasswordResetView):
    """Ask for a link by e-mail, when e-mail is set up; otherwise say who can help."""

    template_name = "geoapp/password/forgot.html"
    email_template_name = "geoapp/password/forgot_email.txt"
    subject_template_name = "geoapp/password/forgot_subject.txt"
    success_url = reverse_lazy("password-forgot-sent")
    token_generator = set_password_token

    def get_context_data(self, **kwargs):
        return super().get_context_data(email_enabled=email_enabled(), days=link_days(), **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not email_enabled():
            return self.render_to_response(self.get_context_data(), status=400)
        form = self.get_form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        # Cut to what a login failure keeps, so that a long address is counted too.
        key = (THROTTLE_PREFIX + form.cleaned_data["email"].lower())[:150]
        address = client_address(request)
        throttled = login_throttled(username=key, address=address)
        if throttled:
            response = self.render_to_response(
                self.get_context_data(form=form, throttled=True), status=429
            )
            response["Retry-After"] = str(throttled.retry_after_s)
            return response
        login_failure_record(username=key, address=address)
        return self.form_valid(form)


class ForgotPasswordSentView(auth_views.PasswordResetDoneView):
    template_name = "geoapp/password/forgot_sent.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(days=link_days(), **kwargs)
