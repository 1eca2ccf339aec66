"""Personal data of dengue cases (PDPA): reads logged with their purpose; export, erase, purge."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, models, transaction
from django.utils import timezone

from layers.models import DengueCase, DengueCasePersonal, PersonalDataAccess
from layers.pdpa.identifiers import identifier_digest, identifier_normalise

PERSONAL_FIELDS = ("full_name", "national_id", "phone", "address")


@dataclass(frozen=True)
class PersonalData:
    full_name: str
    national_id: str
    phone: str
    address: str
    is_generated: bool


#: The transaction-local setting that lets this module (and only it) delete feature history.
HISTORY_ERASE_SETTING = "mueang.history_erase"


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


# `PersonalDataAccess.case_ref` of a read that is not of a case: an upload's preview.
UPLOAD_PREVIEW_CASE_REF = 0


def upload_personal_read_log(
    *, municipality_id: int, user, purpose: str, file: str, columns: list[str]
) -> None:
    """Log that `user` revealed the personal columns of an uploaded file's preview, and why."""
    if purpose not in PersonalDataAccess.Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    PersonalDataAccess.objects.create(
        municipality_id=municipality_id,
        case_ref=UPLOAD_PREVIEW_CASE_REF,
        user_ref=user.pk,
        username=user.get_username(),
        purpose=purpose,
        fields=f"upload {file}: {', '.join(columns)}"[:200],
    )


@transaction.atomic
def personal_identifiers_reindex() -> int:
    """Normalise stored national IDs and phones, recompute their digests; returns rows changed.

    For rows written before normalisation (Thai digits, separators) or under an earlier first
    key of MUEANG_PII_KEYS. The caller opens the tenant scope (`pdpa_reindex` takes all).
    """
    changed = 0
    for personal in DengueCasePersonal.objects.select_for_update().order_by("pk").iterator():
        national_id = identifier_normalise(personal.national_id)
        phone = identifier_normalise(personal.phone)
        values = {
            "national_id": national_id,
            "phone": phone,
            "national_id_digest": identifier_digest(national_id),
            "phone_digest": identifier_digest(phone),
        }
        if any(getattr(personal, name) != value for name, value in values.items()):
            DengueCasePersonal.objects.filter(pk=personal.pk).update(**values)
            changed += 1
    return changed


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
            "national_id": identifier_normalise(national_id),
            "phone": identifier_normalise(phone),
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
    # Earlier versions of the case (and the anonymising change itself) hold the exact house.
    case_ids = [personal.case_id for personal in rows]
    _case_history_erase(
        "feature_id = ANY(%s)",
        [case_ids],
        municipality_id,
        keys="SELECT unnest(%s::bigint[])",
        key_params=[case_ids],
    )
    return len(rows)


def _case_history_erase(
    condition: str,
    params: list,
    municipality_id: int | None = None,
    *,
    keys: str,
    key_params: list,
) -> None:
    """Delete dengue-case history rows matching `condition` (the history guard allows it here).

    Insert entries name the cases a statement created as key ranges: the keys of the erased
    entries and those `keys` selects are taken out of them (an entry left with none goes).
    """
    scope = "" if municipality_id is None else "AND municipality_id = %s"
    scoped = [] if municipality_id is None else [municipality_id]
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'pdpa', true)", [HISTORY_ERASE_SETTING])
        try:
            cursor.execute(
                "WITH gone AS (DELETE FROM layers_featurehistory "
                f"WHERE layer = 'cases' AND ({condition}) {scope} RETURNING feature_id), "
                f"erased AS (SELECT range_agg(int8range(k, k, '[]')) AS keys FROM "
                f"(SELECT feature_id AS k FROM gone UNION {keys}) AS e(k) WHERE k IS NOT NULL) "
                "UPDATE layers_featurehistory h SET inserted_ids = h.inserted_ids - erased.keys "
                f"FROM erased WHERE h.layer = 'cases' AND h.inserted_ids && erased.keys {scope}",
                [*params, *scoped, *key_params, *scoped],
            )
            cursor.execute(
                "DELETE FROM layers_featurehistory "
                f"WHERE layer = 'cases' AND inserted_ids = '{{}}'::int8multirange {scope}",
                scoped,
            )
        finally:
            cursor.execute("SELECT set_config(%s, '', true)", [HISTORY_ERASE_SETTING])


@transaction.atomic
def personal_data_purge(*, older_than_years: int, today=None) -> int:
    """Delete personal data of cases reported more than N years ago (retention); returns count.

    The history of those cases goes too (earlier locations and source ids), and so does the
    history of deleted cases reported before the cutoff.
    """
    today = today or timezone.localdate()
    try:
        cutoff = today.replace(year=today.year - older_than_years)
    except ValueError:  # 29 February, in a year that has none
        cutoff = today.replace(year=today.year - older_than_years, day=28)
    stale = DengueCasePersonal.objects.filter(case__report_date__lt=cutoff)
    count = stale.count()
    stale.delete()
    _case_history_erase(
        "feature_id IN (SELECT id FROM layers_denguecase WHERE report_date < %s) "
        "OR (old_row ->> 'report_date')::date < %s",
        [cutoff, cutoff],
        keys="SELECT id FROM layers_denguecase WHERE report_date < %s",
        key_params=[cutoff],
    )
    return count
