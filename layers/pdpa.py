"""Personal data of dengue cases (PDPA): every read is logged with its purpose."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from layers.models import DengueCase, DengueCasePersonal, PersonalDataAccess

PERSONAL_FIELDS = ("full_name", "national_id", "phone", "address")


@dataclass(frozen=True)
class PersonalData:
    full_name: str
    national_id: str
    phone: str
    address: str
    is_generated: bool


@transaction.atomic
def case_personal_read(*, case: DengueCase, user, purpose: str) -> PersonalData | None:
    """Return the case's personal data and log the read (who, when, which case, why).

    The caller has checked that the user may read personal data in the case's municipality.
    """
    if purpose not in PersonalDataAccess.Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    personal = DengueCasePersonal.objects.filter(case=case).first()
    PersonalDataAccess.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        case_ref=case.pk,
        user=user,
        username=user.get_username(),
        purpose=purpose,
        fields=",".join(PERSONAL_FIELDS) if personal else "",
    )
    if personal is None:
        return None
    return PersonalData(
        **{name: getattr(personal, name) for name in PERSONAL_FIELDS},
        is_generated=personal.is_generated,
    )


def access_log(*, municipality_id: int, limit: int = 200):
    """The latest reads of personal data in a municipality, newest first."""
    return PersonalDataAccess.objects.filter(municipality_id=municipality_id).order_by("-at")[
        :limit
    ]
