"""Larval surveys in PostGIS: the same indices as the pure function, and one tenant per row."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import translation

from analysis.larval import (
    DDC_CONTAINER_TYPES,
    LOCATIONS,
    PLACE_TYPES,
    STATUSES,
    RiskThresholds,
    container_type_lookup,
    larval_indices,
)
from analysis.larval.containers import normalise_label
from analysis.larval_cli import read_survey_csv
from layers.field.selectors import (
    container_type_list,
    larval_indices_for,
    larval_risk_bands,
    larval_survey_table,
)
from layers.field.services import container_types_seed, larval_risk_bands_save
from layers.field.sql import larval_indices_sql
from layers.models import (
    Building,
    HouseSurvey,
    LarvalContainerCount,
    LarvalContainerType,
    LarvalRiskBands,
    SurveyPlace,
)
from layers.tenancy import tenant_scope_set

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "data" / "larval" / "survey_sample.csv"
BANGKOK = dt.timezone(dt.timedelta(hours=7))


def load_sample(municipality) -> None:
    """The sample CSV as places, house surveys and container counts of ``municipality``."""
    container_types_seed(municipality=municipality)
    numbers = container_type_lookup(DDC_CONTAINER_TYPES)
    types = {t.number: t for t in LarvalContainerType.objects.filter(municipality=municipality)}
    table = read_survey_csv(SAMPLE)
    for (house, place_kind, place_name, round_, date, status), rows in table.groupby(
        ["house_id", "place_type", "community", "round", "survey_date", "status"], sort=False
    ):
        place, _ = SurveyPlace.objects.get_or_create(
            municipality=municipality, kind=place_kind, name=place_name
        )
        survey = HouseSurvey.objects.create(
            municipality=municipality,
            client_uuid=uuid.uuid4(),
            place=place,
            house_number=house,
            round_number=int(round_),
            surveyed_at=dt.datetime.fromisoformat(date).replace(hour=9, tzinfo=BANGKOK),
            status=status or "surveyed",
        )
        for row in rows.itertuples():
            if row.container_type:
                LarvalContainerCount.objects.create(
                    municipality=municipality,
                    survey=survey,
                    container_type=types[numbers[normalise_label(row.container_type)]],
                    location=row.location,
                    containers=int(row.containers),
                    positive=int(row.positive),
                )


def surveys_clear(municipality) -> None:
    """Remove the municipality's survey rows (the demo's generated surveys) in this test only."""
    LarvalContainerCount.objects.filter(municipality=municipality).delete()
    HouseSurvey.objects.filter(municipality=municipality).delete()
    SurveyPlace.objects.filter(municipality=municipality).delete()
    LarvalContainerType.objects.filter(municipality=municipality).delete()
    LarvalRiskBands.objects.filter(municipality=municipality).delete()


@pytest.fixture(autouse=True)
def no_demo_surveys(db):
    """These tests count from empty survey tables; the demo loader surveys both towns."""
    from layers.models import Municipality

    for municipality in Municipality.objects.all():
        surveys_clear(municipality)


@pytest.fixture
def sample_in_nst(nst):
    load_sample(nst)
    return nst


def counts(indices) -> tuple:
    names = ["houses_surveyed", "houses_positive", "containers", "containers_positive"]
    names += ["houses_vacant", "houses_refused", "houses_closed", "houses_without_containers"]
    return tuple(getattr(indices, name) for name in names)


@pytest.mark.parametrize(
    ("by_database", "by_csv"),
    [(None, None), ("round", "round"), ("place", "community"), ("place_type", "place_type")],
)
def test_the_database_gives_the_indices_of_the_csv(sample_in_nst, by_database, by_csv):
    stored = larval_indices_for(municipality=sample_in_nst, by=by_database)
    from_csv = larval_indices(read_survey_csv(SAMPLE), by=by_csv)
    assert counts(stored.total) == counts(from_csv.total)
    assert (stored.total.hi, stored.total.ci, stored.total.bi) == (
        from_csv.total.hi,
        from_csv.total.ci,
        from_csv.total.bi,
    )
    assert [(v, counts(g)) for v, g in stored.groups] == [
        (v, counts(g)) for v, g in from_csv.groups
    ]
    assert len(stored.repeat_visits) == len(from_csv.repeat_visits) == 2


def test_one_round_only(sample_in_nst):
    second = larval_indices_for(municipality=sample_in_nst, round_number=2).total
    assert counts(second)[:4] == (2, 1, 9, 1)


def test_an_unknown_grouping_is_refused(sample_in_nst):
    with pytest.raises(ValueError, match="by must be one of"):
        larval_indices_for(municipality=sample_in_nst, by="surveyor")


def test_a_visit_without_containers_is_one_row_with_empty_counts(sample_in_nst):
    table = larval_survey_table(municipality=sample_in_nst)
    vacant = table[table["status"] == "vacant"]
    assert len(vacant) == 1
    assert vacant[["container_type", "containers", "positive"]].isna().all(axis=None)


def test_seeding_adds_the_ddc_list_once_and_keeps_local_edits(nst):
    assert container_types_seed(municipality=nst) == len(DDC_CONTAINER_TYPES)
    vase = LarvalContainerType.objects.get(municipality=nst, number=3)
    vase.name_th, vase.active = "แจกันพระ", False
    vase.save()
    assert container_types_seed(municipality=nst) == 0
    assert [t.name_th for t in container_type_list(municipality=nst) if t.number == 3] == [
        "แจกันพระ"
    ]


def test_the_model_vocabularies_are_the_analysis_vocabularies():
    assert list(SurveyPlace.Kind.values) == list(PLACE_TYPES)
    assert list(HouseSurvey.Status.values) == list(STATUSES)
    assert set(LarvalContainerCount.Location.values) == {k for k in LOCATIONS if k.isascii()}


# --- what the database refuses ---------------------------------------------------------------


def a_survey(municipality, place, **fields) -> HouseSurvey:
    values = {
        "municipality": municipality,
        "client_uuid": uuid.uuid4(),
        "place": place,
        "house_number": "99/1",
        "surveyed_at": dt.datetime(2025, 6, 2, 9, tzinfo=BANGKOK),
        **fields,
    }
    return HouseSurvey.objects.create(**values)


def refused(create, reason: str) -> None:
    with pytest.raises((IntegrityError, DatabaseError), match=reason), transaction.atomic():
        create()


def test_a_visit_sent_twice_is_stored_once(sample_in_nst):
    place = SurveyPlace.objects.filter(municipality=sample_in_nst).first()
    first = a_survey(sample_in_nst, place)
    refused(
        lambda: a_survey(sample_in_nst, place, client_uuid=first.client_uuid),
        "housesurvey_unique_client",
    )


def test_more_positive_than_containers_or_no_house_is_refused(sample_in_nst):
    place = SurveyPlace.objects.filter(municipality=sample_in_nst).first()
    survey = a_survey(sample_in_nst, place)
    kind = LarvalContainerType.objects.filter(municipality=sample_in_nst).first()
    refused(
        lambda: LarvalContainerCount.objects.create(
            municipality=sample_in_nst,
            survey=survey,
            container_type=kind,
            location="indoor",
            containers=2,
            positive=3,
        ),
        "larvalcontainercount_positive_within_containers",
    )
    refused(lambda: a_survey(sample_in_nst, place, house_number=""), "housesurvey_names_its_house")


# --- tenancy: the attacker is another municipality -------------------------------------------


def test_another_municipality_sees_none_of_the_surveys(sample_in_nst, chon):
    tenant_scope_set(municipality_ids=[chon.pk])
    assert SurveyPlace.objects.count() == 0
    assert HouseSurvey.objects.count() == 0
    assert LarvalContainerCount.objects.count() == 0
    assert LarvalContainerType.objects.filter(municipality=sample_in_nst).count() == 0
    assert larval_indices_for(municipality=sample_in_nst).total.houses_surveyed == 0


def test_another_municipality_cannot_write_into_the_surveys(sample_in_nst, chon):
    place = SurveyPlace.objects.filter(municipality=sample_in_nst).first()
    tenant_scope_set(municipality_ids=[chon.pk])
    refused(lambda: a_survey(sample_in_nst, place), "row-level security")
    assert HouseSurvey.objects.filter(municipality=sample_in_nst).update(status="closed") == 0


def test_a_survey_cannot_point_at_another_municipalitys_place_type_or_building(sample_in_nst, chon):
    """Even with both municipalities in scope (an administrator's job), keys stay in one tenant."""
    nst_place = SurveyPlace.objects.filter(municipality=sample_in_nst).first()
    nst_type = LarvalContainerType.objects.filter(municipality=sample_in_nst).first()
    chon_place = SurveyPlace.objects.create(municipality=chon, kind="community", name="ชุมชนหนึ่ง")
    nst_building = Building.objects.filter(municipality=sample_in_nst).first()

    refused(lambda: a_survey(chon, nst_place), "layers_housesurvey_place_id_same_tenant")
    refused(
        lambda: a_survey(chon, chon_place, building=nst_building),
        f"building {nst_building.pk} is not a building of municipality {chon.pk}",
    )
    chon_survey = a_survey(chon, chon_place)
    refused(
        lambda: LarvalContainerCount.objects.create(
            municipality=chon,
            survey=chon_survey,
            container_type=nst_type,
            location="indoor",
            containers=1,
            positive=0,
        ),
        "layers_larvalcontainercount_container_type_id_same_tenant",
    )
    assert a_survey(sample_in_nst, nst_place, building=nst_building).building == nst_building


def test_every_larval_model_string_has_a_thai_translation():
    def strings() -> list[str]:
        models = [
            SurveyPlace,
            LarvalContainerType,
            HouseSurvey,
            LarvalContainerCount,
            LarvalRiskBands,
        ]
        texts = [str(m._meta.verbose_name) for m in models]
        texts += [str(m._meta.verbose_name_plural) for m in models]
        texts += [str(f.verbose_name) for m in models for f in m._meta.fields if f.name != "id"]
        enums = [SurveyPlace.Kind, HouseSurvey.Status, LarvalContainerCount.Location]
        return texts + [str(label) for enum in enums for label in enum.labels]

    with translation.override("en"):
        english = strings()
    with translation.override("th"):
        thai = strings()
    assert [e for e, t in zip(english, thai, strict=True) if e == t] == []


# --- risk bands per municipality -------------------------------------------------------------


def test_tanrabads_bands_apply_until_the_municipality_saves_its_own(sample_in_nst, chon):
    assert larval_risk_bands(municipality=sample_in_nst) == RiskThresholds()
    market = dict(larval_indices_for(municipality=sample_in_nst, by="place").groups)["ชุมชนตลาด"]
    assert market.risk(larval_risk_bands(municipality=sample_in_nst))["level"] == "high"  # 57.14

    larval_risk_bands_save(
        municipality=sample_in_nst,
        user=None,
        hi_low_max=20,
        hi_moderate_max=60,
        ci_low_max=1,
        ci_moderate_max=10,
        source="ประกาศเทศบาล (ทดสอบ)",
    )
    bands = larval_risk_bands(municipality=sample_in_nst)
    assert bands == RiskThresholds(20, 60, 1, 10)
    stored = larval_indices_for(municipality=sample_in_nst, by="place")
    assert stored.thresholds == bands
    assert dict(stored.groups)["ชุมชนตลาด"].risk(bands)["level"] == "moderate"
    assert larval_risk_bands(municipality=chon) == RiskThresholds()


@pytest.mark.parametrize(
    "bands",
    [(60, 50, 0, 5), (10, 50, -1, 5), (10, 150, 0, 5), (float("nan"), 50, 0, 5), ("ten", 50, 0, 5)],
)
def test_bad_bands_save_nothing(nst, bands):
    names = ["hi_low_max", "hi_moderate_max", "ci_low_max", "ci_moderate_max"]
    with pytest.raises(ValidationError), translation.override("th"):
        larval_risk_bands_save(municipality=nst, user=None, **dict(zip(names, bands, strict=True)))
    assert LarvalRiskBands.objects.count() == 0
    refused(
        lambda: LarvalRiskBands.objects.create(
            municipality=nst, hi_low_max=60, hi_moderate_max=50, ci_low_max=0, ci_moderate_max=5
        ),
        "larvalriskbands_hi_ordered",
    )


def test_the_bands_refusal_is_in_thai(nst):
    with pytest.raises(ValidationError) as caught, translation.override("th"):
        larval_risk_bands_save(
            municipality=nst, user=None, hi_low_max=60, hi_moderate_max=50, ci_low_max=0,
            ci_moderate_max=5,
        )  # fmt: skip
    assert "ต้องเป็นตัวเลข 0 ถึง 100" in caught.value.messages[0]


# --- the PostGIS path agrees with the pure path ----------------------------------------------


def random_surveys(municipality, *, seed: int, n_houses: int = 60) -> None:
    """Houses in three places, one to three visits each over two rounds, every status."""
    rng = np.random.default_rng(seed)
    container_types_seed(municipality=municipality)
    types = list(LarvalContainerType.objects.filter(municipality=municipality))
    places = [
        SurveyPlace.objects.create(municipality=municipality, kind=kind, name=name)
        for kind, name in [
            ("community", "ชุมชนเหนือ"),
            ("community", "ชุมชนใต้"),
            ("school", "โรงเรียน"),
        ]
    ]
    statuses = ["surveyed"] * 6 + ["vacant", "refused", "closed"]
    for house in range(n_houses):
        place = places[house % 3]
        for day in rng.choice(np.arange(1, 15), size=rng.integers(1, 4), replace=False):
            survey = a_survey(
                municipality,
                place,
                house_number=f"{house}/1",
                round_number=int(rng.integers(1, 3)),
                surveyed_at=dt.datetime(2025, 6, int(day), 9, tzinfo=BANGKOK),
                status=str(rng.choice(statuses)),
            )
            if survey.status != "surveyed":
                continue
            for index in rng.choice(len(types), size=rng.integers(0, 5), replace=False):
                containers = int(rng.integers(0, 7))
                LarvalContainerCount.objects.create(
                    municipality=municipality,
                    survey=survey,
                    container_type=types[index],
                    location=str(rng.choice(["indoor", "outdoor"])),
                    containers=containers,
                    positive=int(rng.binomial(containers, 0.3)),
                )


@pytest.mark.parametrize("by", [None, "round", "place", "place_type", "subdistrict", "house_id"])
def test_postgis_and_pure_paths_agree_on_the_sample(sample_in_nst, by):
    pure = larval_indices_for(municipality=sample_in_nst, by=by)
    total, groups = larval_indices_sql(municipality=sample_in_nst, by=by)
    assert total == pure.total
    assert groups == pure.groups


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_postgis_and_pure_paths_agree_on_random_surveys(nst, seed):
    random_surveys(nst, seed=seed)
    for by in (None, "round", "place", "house_id"):
        for round_number in (None, 2):
            pure = larval_indices_for(municipality=nst, by=by, round_number=round_number)
            sql = larval_indices_sql(municipality=nst, by=by, round_number=round_number)
            assert sql == (pure.total, pure.groups)
    assert larval_indices_for(municipality=nst).repeat_visits != ()


def test_the_postgis_path_sees_nothing_of_another_municipality(sample_in_nst, chon):
    tenant_scope_set(municipality_ids=[chon.pk])
    total, groups = larval_indices_sql(municipality=sample_in_nst, by="place")
    assert (total.houses_surveyed, total.containers, groups) == (0, 0, ())
    with pytest.raises(ValueError, match="by must be one of"):
        larval_indices_sql(municipality=chon, by="status; DROP TABLE layers_housesurvey")


def test_a_municipality_without_a_list_reads_with_the_ddc_list(chon):
    assert LarvalContainerType.objects.filter(municipality=chon).count() == 0
    assert container_type_list(municipality=chon) == list(DDC_CONTAINER_TYPES)
