"""The vocabularies of a larval survey: container types, locations, place types and statuses.

Container types follow the Department of Disease Control's larval survey app, TanRabad SURVEY
(NECTEC/DDC, Apache-2.0, snapshot HEAD 40eb30d6 of 2019-06-08): names from
``app/src/test/resources/containerTypeList.json``, numbers from
``presenter/view/ContainerIconMapping.java`` (research note ``FIELD.md`` section 6.2). Number 11
is left out: its name is not in those sources; a municipality that uses it adds it to its own
list. The English names are ours. Number 8 was spelt กากใบพืช before TanRabad 1.1.1; that
spelling is accepted as an alias.

Places follow TanRabad's place types (``placeTypeList.json``): 1 หมู่บ้าน/ชุมชน, 2 ศาสนสถาน,
3 สถานศึกษา, 4 โรงพยาบาล, 5 โรงงาน, 6 ที่พักชั่วคราว, plus ``other``. Communities are judged by
the house index, other places by the container index (TanRabad CHANGELOG 1.0.4).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ContainerType:
    """One type of water container on the survey form."""

    number: int
    name_th: str
    name_en: str
    aliases: tuple[str, ...] = ()


DDC_CONTAINER_TYPES: tuple[ContainerType, ...] = (
    ContainerType(0, "ไม่ระบุ", "not specified"),
    ContainerType(1, "น้ำใช้", "water for household use (jars, tanks)"),
    ContainerType(2, "น้ำดื่ม", "drinking water"),
    ContainerType(3, "แจกัน", "flower vase"),
    ContainerType(4, "ที่รองกันมด", "ant trap under cupboard legs"),
    ContainerType(5, "จานรองกระถาง", "plant-pot saucer"),
    ContainerType(6, "อ่างบัว/ไม้น้ำ", "lotus basin or water plants"),
    ContainerType(7, "ยางรถยนต์เก่า", "old tyre"),
    ContainerType(8, "กาบใบพืช", "plant leaf axil", aliases=("กากใบพืช",)),
    ContainerType(9, "ภาชนะที่ไม่ใช้", "discarded container"),
    ContainerType(10, "อื่นๆ (ที่ใช้ประโยชน์)", "other container in use", aliases=("อื่นๆ",)),
    ContainerType(12, "ตู้เย็น", "refrigerator drip tray"),
)

#: Place types of the CSV (English codes) with TanRabad's Thai names.
PLACE_TYPES: dict[str, str] = {
    "community": "หมู่บ้าน/ชุมชน",
    "religious": "ศาสนสถาน",
    "school": "สถานศึกษา",
    "hospital": "โรงพยาบาล",
    "factory": "โรงงาน",
    "shelter": "ที่พักชั่วคราว",
    "other": "อื่นๆ",
}
#: The one place type judged by the house index; every other place by the container index.
HOUSE_INDEX_PLACE = "community"

INDOOR, OUTDOOR = 1, 2
#: Container location codes: TanRabad's container_location_id (1 ภายในอาคาร, 2 ภายนอกอาคาร).
LOCATIONS: dict[str, int] = {
    "indoor": INDOOR,
    "outdoor": OUTDOOR,
    "ภายในอาคาร": INDOOR,
    "ภายนอกอาคาร": OUTDOOR,
}

SURVEYED = "surveyed"
#: Statuses of a house visit: only ``surveyed`` visits count in the indices; the others are
#: recorded and counted apart (an empty status means surveyed).
STATUSES: tuple[str, ...] = (SURVEYED, "vacant", "refused", "closed")

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_SPACES = re.compile(r"\s+")


def normalise_label(text: str) -> str:
    """A label as compared: NFC, Thai digits as Arabic, spaces collapsed, ``อื่น ๆ`` as ``อื่นๆ``.

    Examples
    --------
    >>> normalise_label(" อื่น ๆ ")
    'อื่นๆ'
    >>> normalise_label("๑๒")
    '12'
    >>> normalise_label("07")
    '7'
    """
    text = unicodedata.normalize("NFC", text).translate(_THAI_DIGITS).strip()
    text = _SPACES.sub(" ", text).replace(" ๆ", "ๆ")
    if text.isascii() and text.isdigit():
        return str(int(text))
    return text.casefold()


def container_type_lookup(types: Iterable[ContainerType]) -> Mapping[str, int]:
    """Every accepted spelling (number, Thai name, alias) of ``types`` -> its DDC number.

    Raises
    ------
    ValueError
        If two types share a number or a name.
    """
    lookup: dict[str, int] = {}
    for kind in types:
        for label in (str(kind.number), kind.name_th, *kind.aliases):
            key = normalise_label(label)
            if lookup.get(key, kind.number) != kind.number:
                raise ValueError(f"container type {label!r} is given twice")
            lookup[key] = kind.number
    return lookup
