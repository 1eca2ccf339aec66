"""Personal data of dengue cases (PDPA): every read is logged with its purpose."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

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
        case_ref=case.pk,
        user_ref=user.pk,
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


def identifier_digest(value: str) -> str:
    """HMAC-SHA256 of a national ID or phone number, digits only, keyed by the PII key.

    Lets a data subject request find a person's rows without decrypting the table. Digests
    must be recomputed (`pdpa_reindex`) if the first key of MUEANG_PII_KEYS changes.
    """
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits:
        return ""
    key = hashlib.sha256(b"mueang-pii-index:" + settings.MUEANG_PII_KEYS[0].encode()).digest()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def case_personal_write(
    *, case: DengueCase, full_name: str, national_id: str = "", phone: str = "", address: str = ""
) -> DengueCasePersonal:
    """Store (or replace) a case's personal data, encrypted, with its lookup digests."""
    personal, _created = DengueCasePersonal.objects.update_or_create(
        case=case,
        defaults={
            "municipality_id": case.municipality_id,
            "full_name": full_name,
            "national_id": national_id,
            "phone": phone,
            "address": address,
            "national_id_digest": identifier_digest(national_id),
            "phone_digest": identifier_digest(phone),
        },
    )
    return personal


def _person_rows(*, municipality_id: int, national_id: str = "", phone: str = ""):
    digests = [d for d in (identifier_digest(national_id), identifier_digest(phone)) if d]
    if not digests:
        raise ValueError("give a national ID or a phone number")
    return (
        DengueCasePersonal.objects.filter(municipality_id=municipality_id)
        .filter(models.Q(national_id_digest__in=digests) | models.Q(phone_digest__in=digests))
        .select_related("case", "case__subdistrict")
        .order_by("case__onset_date")
    )


@transaction.atomic
def person_export(*, municipality_id: int, user, national_id: str = "", phone: str = "") -> dict:
    """Everything held about a person (PDPA right of access), as JSON-ready data.

    The read is logged like any other read of personal data, with purpose "data subject request".
    """
    rows = list(_person_rows(municipality_id=municipality_id, national_id=national_id, phone=phone))
    records = []
    for personal in rows:
        case = personal.case
        PersonalDataAccess.objects.create(
            municipality_id=municipality_id,
            case_ref=case.pk,
            user_ref=user.pk,
            username=user.get_username(),
            purpose=PersonalDataAccess.Purpose.DATA_SUBJECT_REQUEST,
            fields=",".join(PERSONAL_FIELDS),
        )
        reads = PersonalDataAccess.objects.filter(case_ref=case.pk).order_by("at")
        records.append(
            {
                "case": {
                    "number": case.pk,
                    "onset_date": case.onset_date.isoformat(),
                    "report_date": case.report_date.isoformat(),
                    "diagnosis": case.diagnosis,
                    "status": case.status,
                    "age_group": case.age_group,
                    "sex": case.sex,
                    "subdistrict": case.subdistrict.name_th if case.subdistrict else "",
                    "location_wgs84": [case.geom.x, case.geom.y],
                },
                "personal": {name: getattr(personal, name) for name in PERSONAL_FIELDS},
                "reads": [
                    {"at": r.at.isoformat(), "by": r.username, "purpose": r.purpose} for r in reads
                ],
            }
        )
    return {"municipality_id": municipality_id, "records": records}


@transaction.atomic
def person_erase(
    *, municipality_id: int, user, national_id: str = "", phone: str = "", keep_cases: bool = True
) -> int:
    """Erase a person (PDPA right to erasure); returns the number of cases concerned.

    The personal row goes. With `keep_cases` (anonymise) the case stays for disease statistics,
    moved to its subdistrict's representative point, with sex unknown; without it, the case is
    deleted too. The access log keeps case numbers and readers only, no personal data, and
    records the erasure.
    """
    rows = list(_person_rows(municipality_id=municipality_id, national_id=national_id, phone=phone))
    for personal in rows:
        case = personal.case
        PersonalDataAccess.objects.create(
            municipality_id=municipality_id,
            case_ref=case.pk,
            user_ref=user.pk,
            username=user.get_username(),
            purpose=PersonalDataAccess.Purpose.DATA_SUBJECT_REQUEST,
            fields="erased" if not keep_cases else "anonymised",
        )
        personal.delete()
        if keep_cases:
            area = case.subdistrict.geom if case.subdistrict else case.municipality.boundary
            DengueCase.objects.filter(pk=case.pk).update(
                geom=area.point_on_surface, sex=DengueCase.Sex.UNKNOWN, source_id=""
            )
        else:
            case.delete()
    return len(rows)


@transaction.atomic
def personal_data_purge(*, older_than_years: int, today=None) -> int:
    """Delete personal data of cases reported more than N years ago (retention); returns count."""
    today = today or timezone.localdate()
    cutoff = today.replace(year=today.year - older_than_years)
    stale = DengueCasePersonal.objects.filter(case__report_date__lt=cutoff)
    count = stale.count()
    stale.delete()
    return count
