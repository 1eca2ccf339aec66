"""Personal identifiers (PDPA): national ids and phone numbers normalised, checked and digested.

People are found by a keyed digest of their normalised digits, never by the stored plain value.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from django.conf import settings


def digits_only(value: str | None) -> str:
    """The decimal digits of `value` as Arabic digits ("๐๑ 2-3" -> "0123"); everything else goes."""
    return "".join(
        str(unicodedata.decimal(ch))
        for ch in value or ""
        if unicodedata.decimal(ch, None) is not None
    )


def identifier_normalise(value: str | None) -> str:
    """A national ID or phone number as Arabic digits only: Thai digits translated, separators gone.

    "๑-๒๓๔๕-๖๗๘๙๐-๑๒-๑", "1 2345 67890 12 1" and "1234567890121" are one identifier (any
    Unicode decimal digit counts). A phone in international form (+66 ...) becomes its national
    form (0 ...), so "+66 81 234 5678", "+66 (0)81 234 5678", "0066 81 234 5678" and
    "081-234-5678" are one number too.
    """
    digits = digits_only(value)
    if digits.startswith("00"):  # "0066 ...": the international prefix dialled from Thailand
        digits = digits[2:]
    if digits.startswith("66") and len(digits) in (10, 11, 12):
        # "+66 81 ..." and "+66 (0)81 ...": the national form keeps one leading 0.
        digits = "0" + digits[2:].removeprefix("0")
    return digits


def national_id_check_digit_ok(digits: str) -> bool:
    """Whether 13 digits end with the Thai national ID check digit (mod 11 over weights 13..2)."""
    if len(digits) != 13 or not digits.isascii() or not digits.isdigit():
        return False
    weights = range(13, 1, -1)
    total = sum(int(digit) * weight for digit, weight in zip(digits[:12], weights, strict=True))
    return (11 - total % 11) % 10 == int(digits[12])


def identifier_digest(value: str) -> str:
    """HMAC-SHA256 of a national ID or phone number, normalised, keyed by the PII key.

    Lets a data subject request find a person's rows without decrypting the table. Digests
    must be recomputed (`pdpa_reindex`) if the first key of MUEANG_PII_KEYS changes.
    """
    digits = identifier_normalise(value)
    if not digits:
        return ""
    key = hashlib.sha256(b"mueang-pii-index:" + settings.MUEANG_PII_KEYS[0].encode()).digest()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()
