"""One-time set-password links (new staff, resets, "Forgot password") and their e-mail.

Django's reset tokens end when the password changes, after the first login and after
`PASSWORD_RESET_TIMEOUT`; ours also end when the account joins or leaves a municipality, so a
link issued while an account belonged to one municipality cannot be used once it also belongs to
another (`geoapp.accounts.staff`).
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from geoapp.accounts.staff import membership_municipality_ids


class MembershipBoundTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token, also bound to the account's municipalities and active flag."""

    key_salt = "mueang.accounts.links.MembershipBoundTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        municipalities = ",".join(str(pk) for pk in sorted(membership_municipality_ids(user)))
        return f"{super()._make_hash_value(user, timestamp)}|{user.is_active}|{municipalities}"


logger = logging.getLogger(__name__)

set_password_token = MembershipBoundTokenGenerator()


def email_enabled() -> bool:
    """Whether Mueang may send e-mail (`MUEANG_EMAIL_ENABLED`; see the README)."""
    return bool(settings.MUEANG_EMAIL_ENABLED)


def link_days() -> int:
    """How many days a link works at most (`PASSWORD_RESET_TIMEOUT`, rounded down, at least 1)."""
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def set_password_url(request: HttpRequest, user) -> str:
    """The absolute one-time link where the user chooses a password."""
    path = reverse(
        "password-set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": set_password_token.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


def set_password_link_send(*, user, url: str, municipality_name: str) -> bool:
    """E-mail the link to the user when e-mail is on and they have an address; say if sent."""
    if not (email_enabled() and user.email):
        return False
    context = {"user": user, "url": url, "municipality_name": municipality_name,
               "days": link_days()}  # fmt: skip
    try:
        send_mail(
            subject=_("Mueang: set your password"),
            message=render_to_string("geoapp/password/set_link_email.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    except (OSError, smtplib.SMTPException):
        # The mail server is down or refuses: the page still shows the link to hand over.
        logger.exception("the set-password link for user %s could not be e-mailed", user.pk)
        return False
    return True
