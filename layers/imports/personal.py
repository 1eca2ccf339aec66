"""Personal columns of an uploaded file: found, masked where shown or stored, revealed by purpose.

A hospital's case export carries names, national IDs, phone numbers and addresses beside the
onset dates the import takes. The wizard's preview shows the first rows and keeps them on the
upload's row; neither may hold a person's data in clear (PDPA). A column is personal when
- the kind holds people (dengue cases) and its name says so (ชื่อ, นามสกุล, เลขบัตรประชาชน,
  โทรศัพท์, ที่อยู่, name, national id, phone, address, ...), or
- whatever the kind, one of its sample values is a Thai national ID (13 digits with a valid
  check digit) or a Thai phone number.
The preview shows `MASK` instead; `layers.pdpa.services.upload_personal_read_log` logs a reveal
with its purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from layers.pdpa.identifiers import identifier_normalise, national_id_check_digit_ok

MASK = "•••••"
# Column names (lower case, separators removed) that hold a person's identity or contact.
_PERSONAL_NAME = re.compile(
    r"ชื่อ|สกุล|บัตรประชาชน|เลขประจำตัว|เลขบัตร|โทร|มือถือ|ที่อยู่|บ้านเลขที่|ผู้ป่วย"
    r"|name|surname|nationalid|citizenid|idcard|^cid$|^pid$|phone|mobile|^tel|address|patient",
    re.IGNORECASE,
)
# Column names that look personal above but are not (a case's code, a village's name).
_NOT_PERSONAL_NAME = re.compile(r"รหัส|หมู่บ้าน|ตำบล|อำเภอ|จังหวัด|^id$|code", re.IGNORECASE)
_PHONE = re.compile(r"0[2-9]\d{7,8}")


def _looks_identifying(value: object) -> bool:
    """A Thai national ID (valid check digit) or phone number, separators allowed."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return False
    stripped = re.sub(r"[\s\-().+]", "", str(value))
    if not stripped.isdigit():
        return False
    digits = identifier_normalise(stripped)
    if len(digits) == 13 and national_id_check_digit_ok(digits):
        return True
    return bool(_PHONE.fullmatch(digits))


def personal_columns(
    columns: Iterable[str], rows: Iterable[Mapping[str, object]], *, people: bool
) -> list[str]:
    """The columns to mask, in the file's order.

    Parameters
    ----------
    columns : the file's column names
    rows : sample rows (column -> value)
    people : whether the kind of data holds people (then names count, not only values)
    """
    columns = list(columns)
    found = set()
    if people:
        found |= {
            c
            for c in columns
            if _PERSONAL_NAME.search(_squeezed(c)) and not _NOT_PERSONAL_NAME.search(_squeezed(c))
        }
    for row in rows:
        found |= {c for c in columns if c not in found and _looks_identifying(row.get(c))}
    return [c for c in columns if c in found]


def _squeezed(name: str) -> str:
    return re.sub(r"[\s_\-./]", "", name).lower()


def sample_masked(sample: dict, columns: Iterable[str]) -> dict:
    """The GeoJSON sample with the values of `columns` replaced by `MASK` (empty stays empty)."""
    hidden = set(columns)
    features = []
    for feature in sample.get("features", []):
        properties = {
            key: (MASK if key in hidden and value not in (None, "") else value)
            for key, value in (feature.get("properties") or {}).items()
        }
        features.append({**feature, "properties": properties})
    return {**sample, "features": features}
