"""Log in with throttling and, for users with an authenticator app, a second step asking for a code.

Too many failures for a username or an address wait for a cooldown; failed codes count like failed
passwords, and a correct password alone clears nothing for an enrolled user, so the code step
cannot be guessed by alternating it with the (known) password.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoapp.accounts import totp
from geoapp.accounts.throttle import (
    Throttled,
    login_failure_record,
    login_failures_clear,
    login_throttled,
)
from geoapp.home.dashboard import home_url
from geoapp.web.client import client_address
from geoapp.web.middleware import tenant_scope_for

# Session keys: the user who passed the password step and still owes a code; and the proof that
# this session passed the second factor.
PENDING_KEY = "mueang_2fa_pending"
VERIFIED_KEY = "mueang_2fa_verified"
PENDING_MAX_AGE_S = 300
# A session whose user had no authenticator is looked at again after this long: an enrolment
# made in another browser reaches this session within a minute, and a map's tile requests do
# not each cost a query.
NOT_ENROLLED_KEY = "mueang_2fa_not_enrolled_at"
RECHECK_AFTER_S = 60


def _throttled_error(throttled: Throttled) -> forms.ValidationError:
    minutes = max(1, round(throttled.retry_after_s / 60))
    return forms.ValidationError(
        _("Too many failed attempts. Please wait %(minutes)d minutes and try again.")
        % {"minutes": minutes},
        code="throttled",
    )


def _too_many(response: HttpResponse, throttled: Throttled | None) -> HttpResponse:
    if throttled:
        response.status_code = 429
        response["Retry-After"] = str(throttled.retry_after_s)
    return response


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        address = client_address(self.request)
        throttled = login_throttled(username=username, address=address)
        if throttled:
            self.throttled = throttled
            raise _throttled_error(throttled)
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failure_record(username=username, address=address)
            raise
        user = self.get_user()  # None when a field was missing (the field errors say so)
        if user is not None and not totp.totp_enrolled(user):
            login_failures_clear(username=username)
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "geoapp/login.html"

    def form_valid(self, form):
        user = form.get_user()
        if not totp.totp_enrolled(user):
            return super().form_valid(form)
        # Not logged in yet: the session only remembers who owes a code, for a few minutes.
        self.request.session[PENDING_KEY] = {
            "user_id": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
            # Only an explicit `next`; otherwise the user's home, decided once logged in.
            "next": self.get_redirect_url(),
        }
        return redirect("login-code")

    def get_default_redirect_url(self):
        """The user's own dashboard (the chooser for several municipalities); `next` wins."""
        # The request began anonymous: let the database show the user's memberships now.
        tenant_scope_for(self.request.user)
        return home_url(self.request.user)

    def form_invalid(self, form):
        return _too_many(super().form_invalid(form), getattr(form, "throttled", None))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app, or a recovery code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


def _throttle(request: HttpRequest, user, form: forms.Form) -> tuple[Throttled | None, str]:
    """The login throttle's answer for the user from this address (a throttled form says so)."""
    address = client_address(request)
    throttled = login_throttled(username=user.get_username(), address=address)
    if throttled:
        form.is_valid()
        form.add_error(None, _throttled_error(throttled))
    return throttled, address


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_MAX_AGE_S:
        return None, None
    user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
    return user, pending


def login_code(request: HttpRequest) -> HttpResponse:
    """The second login step: a code from the authenticator app (or a recovery code)."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("login")
    form = CodeForm(request.POST or None)
    throttled = None
    if request.method == "POST":
        throttled, address = _throttle(request, user, form)
        if not throttled and form.is_valid():
            if totp.totp_verify(user=user, code=form.cleaned_data["code"]):
                login_failures_clear(username=user.get_username())
                request.session.pop(PENDING_KEY, None)
                auth_login(request, user, backend=pending["backend"])
                request.session[VERIFIED_KEY] = True
                if pending["next"]:
                    return redirect(pending["next"])
                tenant_scope_for(user)
                return redirect(home_url(user))
            login_failure_record(username=user.get_username(), address=address)
            form.add_error(
                "code",
                forms.ValidationError(
                    _("This code is not correct, or it has already been used."), code="wrong"
                ),
            )
    response = render(request, "geoapp/login_code.html", {"form": form})
    return _too_many(response, throttled)


class DisableForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = CodeForm.base_fields["code"]


class ConfirmForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("The 6-digit code the app shows now"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


def _enrolment_confirm(request: HttpRequest, context: dict) -> None:
    """Finish enrolling with the app's first code; the recovery codes, or the form again."""
    user = request.user
    form = ConfirmForm(request.POST)
    codes = None
    if form.is_valid():
        codes = totp.totp_enrolment_confirm(user=user, code=form.cleaned_data["code"])
    if codes:
        request.session[VERIFIED_KEY] = True
        context.update(enrolled=True, recovery_codes=codes)
        return
    form.add_error("code", _("This code does not match. Check the phone's clock and try again."))
    context["enrolment"] = totp.totp_enrolment_pending(user=user)
    context["confirm_form"] = form


def _disable_or_renew(request: HttpRequest, action: str, context: dict) -> Throttled | None:
    """Turn the second factor off or renew the recovery codes, after the password and a code."""
    user = request.user
    form = DisableForm(request.POST, prefix=action)
    throttled, address = _throttle(request, user, form)
    if not throttled and form.is_valid():
        if user.check_password(form.cleaned_data["password"]) and totp.totp_verify(
            user=user, code=form.cleaned_data["code"]
        ):
            if action == "disable":
                totp.totp_disable(user=user)
                request.session.pop(VERIFIED_KEY, None)
                context.update(enrolled=False, disabled=True)
            else:
                context["recovery_codes"] = totp.totp_recovery_codes_renew(user=user)
            form = DisableForm(prefix=action)
        else:
            login_failure_record(username=user.get_username(), address=address)
            form.add_error(None, _("The password or the code is not correct."))
    context[f"{action}_form"] = form
    return throttled


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app, renew recovery codes, or turn the second factor off."""
    user = request.user
    # Someone no longer an administrator may still renew codes for, or turn off, their app.
    if not totp.totp_may_enrol(user) and not totp.totp_enrolled(user):
        raise PermissionDenied("only administrators use a second factor")
    action = request.POST.get("action") if request.method == "POST" else None
    context: dict = {"enrolled": totp.totp_enrolled(user)}
    throttled = None
    if action == "start" and not context["enrolled"]:
        context["enrolment"] = totp.totp_enrolment_start(user=user)
        context["confirm_form"] = ConfirmForm()
    elif action == "confirm" and not context["enrolled"]:
        _enrolment_confirm(request, context)
    elif action in ("disable", "renew") and context["enrolled"]:
        throttled = _disable_or_renew(request, action, context)
    if context["enrolled"]:
        context.setdefault("disable_form", DisableForm(prefix="disable"))
        context.setdefault("renew_form", DisableForm(prefix="renew"))
        context["codes_left"] = totp.totp_recovery_codes_left(user=user)
    response = render(request, "geoapp/two_factor.html", context)
    return _too_many(response, throttled)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login form would skip throttling and the second factor: use ours."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


class SecondFactorMiddleware:
    """A session of an enrolled user that has not passed the code step is logged out.

    Logins already ask for the code; this closes the other ways in: a session opened before the
    user enrolled (another browser), or any login path that skips `login_code`. /admin/ is
    covered like every page.
    """

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/favicon.ico")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.session.get(VERIFIED_KEY)
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and self._enrolled(request, user)
        ):
            auth_logout(request)
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _enrolled(request, user) -> bool:
        checked = request.session.get(NOT_ENROLLED_KEY)
        if checked is not None and 0 <= time.time() - checked < RECHECK_AFTER_S:
            return False
        enrolled = totp.totp_enrolled(user)
        if enrolled:
            request.session.pop(NOT_ENROLLED_KEY, None)
        else:
            request.session[NOT_ENROLLED_KEY] = time.time()
        return enrolled
