"""Second factor for administrators: TOTP (RFC 6238) authenticator apps and recovery codes.

The secret is encrypted at rest like personal data (`layers.fields.EncryptedTextField`). A code
is accepted for its 30-second step and one step either side (clock drift), and never twice: the
step of the last accepted code is kept and only later steps pass. Recovery codes are stored as
SHA-256 digests (they are 80 random bits, so a slow hash adds nothing) and each works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from geoapp.models import Membership, Role, TotpDevice, TotpRecoveryCode
from layers.pdpa.identifiers import digits_only

ISSUER = "Mueang"
STEP_S = 30
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 16  # 31**16: about 79 bits


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the QR code (inline SVG) and the secret to type by hand."""

    secret: str
    uri: str
    qr_svg: str

    @property
    def secret_grouped(self) -> str:
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def totp_may_enrol(user) -> bool:
    """Municipality administrators and platform superusers may add an authenticator."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or Membership.objects.filter(user=user, role=Role.ADMIN).exists()


def totp_device_get(user) -> TotpDevice | None:
    """The user's confirmed authenticator, or None (not enrolled)."""
    if not user.is_authenticated:
        return None
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def totp_enrolled(user) -> bool:
    """Whether the user has a confirmed authenticator (every login then asks for a code)."""
    return user.is_authenticated and (
        TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
    )


def _enrolment(device: TotpDevice) -> Enrolment:
    uri = pyotp.TOTP(device.secret, interval=STEP_S).provisioning_uri(
        name=device.user.get_username(), issuer_name=ISSUER
    )
    # Rendered here as inline SVG: no image service ever sees the secret.
    svg = segno.make(uri, error="m").svg_inline(scale=4, title="otpauth QR")
    return Enrolment(secret=device.secret, uri=uri, qr_svg=svg)


@transaction.atomic
def totp_enrolment_start(*, user) -> Enrolment:
    """A new, unconfirmed secret for the user (an earlier unconfirmed one is replaced)."""
    if totp_enrolled(user):
        raise ValueError("already enrolled: disable the authenticator first")
    TotpDevice.objects.filter(user=user).delete()
    device = TotpDevice.objects.create(user=user, secret=pyotp.random_base32(32))
    return _enrolment(device)


def totp_enrolment_pending(*, user) -> Enrolment | None:
    """The enrolment in progress (secret shown, no code confirmed yet), if any."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    return _enrolment(device) if device else None


def _matching_step(secret: str, code: str, now: float) -> int | None:
    totp = pyotp.TOTP(secret, interval=STEP_S)
    current = int(now // STEP_S)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _code_normalise(code: str) -> str:
    # Thai digits typed on a Thai keyboard count; spaces and dashes do not. Not
    # identifier_normalise: its phone rules would drop the leading "00" of a code.
    return digits_only(code)


def _take_step(device: TotpDevice, code: str, now: float | None) -> bool:
    digits = _code_normalise(code)
    if len(digits) != 6:
        return False
    step = _matching_step(device.secret, digits, time.time() if now is None else now)
    if step is None:
        return False
    # One conditional UPDATE: of two requests racing with the same code, one wins.
    return bool(
        TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step)
    )


def _recovery_clean(code: str) -> str:
    return "".join(ch for ch in code.strip().lower() if ch not in " -")


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_recovery_clean(code).encode()).hexdigest()


def _recovery_codes_create(device: TotpDevice) -> list[str]:
    device.recovery_codes.all().delete()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    TotpRecoveryCode.objects.bulk_create(
        TotpRecoveryCode(device=device, code_hash=_recovery_hash(code)) for code in codes
    )
    return codes


def _take_recovery_code(device: TotpDevice, code: str) -> bool:
    cleaned = _recovery_clean(code)
    if len(cleaned) != _RECOVERY_LENGTH or not set(cleaned) <= set(_RECOVERY_ALPHABET):
        return False
    return bool(
        TotpRecoveryCode.objects.filter(
            device=device, code_hash=_recovery_hash(code), used_at__isnull=True
        ).update(used_at=timezone.now())
    )


@transaction.atomic
def totp_enrolment_confirm(*, user, code: str, now: float | None = None) -> list[str] | None:
    """Confirm the pending secret with a first code; returns the new recovery codes, or None."""
    device = (
        TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
    )
    if device is None or not _take_step(device, code, now):
        return None
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    return _recovery_codes_create(device)


def totp_verify(*, user, code: str, now: float | None = None) -> bool:
    """Whether `code` is a fresh authenticator code or an unused recovery code of the user.

    Either is used up by a successful check: the same code is refused afterwards.
    """
    device = totp_device_get(user)
    if device is None:
        return False
    return _take_step(device, code, now) or _take_recovery_code(device, code)


@transaction.atomic
def totp_recovery_codes_renew(*, user) -> list[str]:
    """A fresh set of recovery codes; the old ones stop working."""
    device = totp_device_get(user)
    if device is None:
        raise ValueError("not enrolled")
    return _recovery_codes_create(device)


def totp_recovery_codes_left(*, user) -> int:
    """How many unused recovery codes the user has."""
    return TotpRecoveryCode.objects.filter(
        device__user=user, device__confirmed_at__isnull=False, used_at__isnull=True
    ).count()


@transaction.atomic
def totp_disable(*, user) -> None:
    """Remove the authenticator and recovery codes (the caller checked password and code)."""
    TotpDevice.objects.filter(user=user).delete()
