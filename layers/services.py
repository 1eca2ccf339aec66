"""Writes to layers: upserting features by source id, loading the demo municipalities."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from cryptography.fernet import InvalidToken
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction

from analysis.osm import OSM_ATTRIBUTION, OSM_LICENCE
from fixtures import demo_city
from layers.fields import TOKEN_PREFIX, cipher
from layers.imports.osm import osm_dataset_defaults
from layers.models import (
    WGS84,
    Building,
    Dataset,
    DengueCase,
    DengueCasePersonal,
    FeatureModel,
    FloodZone,
    Landmark,
    Municipality,
    Road,
    Subdistrict,
)
from layers.pdpa import identifier_digest
from layers.tenancy import tenant_scope

MAPTHAI_ATTRIBUTION = (
    "Administrative boundaries: Royal Thai Survey Department / OCHA (HDX COD-AB), "
    "via the mapthai R package (P. Chitchumnong). CC BY 3.0 IGO."
)
# Bump when the loader's mapping changes, so stored datasets are refreshed.
DEMO_LOADER_VERSION = "1"


@dataclass(frozen=True)
class UpsertReport:
    created: int
    updated: int
    deleted: int
    skipped: bool = False


def _missing(value) -> bool:
    """None, NaN, NaT or pandas' NA: a value the database stores as NULL."""
    if isinstance(value, list | tuple | dict):
        return False
    return value is None or bool(pd.isna(value))


def _geos(geometry) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(geometry, output_dimension=2)), srid=WGS84)


def features_upsert(
    *,
    model: type[FeatureModel],
    municipality: Municipality,
    dataset: Dataset,
    frame: gpd.GeoDataFrame,
    fields: list[str],
) -> UpsertReport:
    """Make the dataset's features equal to `frame`, matched by `source_id`.

    New ids are created, known ids updated, ids no longer in the frame deleted. Runs inside the
    caller's transaction.
    """
    existing = dict(
        model.objects.filter(municipality=municipality, dataset=dataset).values_list(
            "source_id", "id"
        )
    )
    to_create, to_update = [], []
    records = frame[["source_id", *fields]].astype(object).to_dict("records")
    for row, geometry in zip(records, frame.geometry, strict=True):
        row = {key: None if _missing(value) else value for key, value in row.items()}
        obj = model(municipality=municipality, dataset=dataset, geom=_geos(geometry), **row)
        if row["source_id"] in existing:
            obj.pk = existing[row["source_id"]]
            to_update.append(obj)
        else:
            to_create.append(obj)
    seen = set(frame["source_id"])
    stale = [pk for source_id, pk in existing.items() if source_id not in seen]
    model.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        model.objects.bulk_update(to_update, [*fields, "geom"], batch_size=500)
    if stale:
        model.objects.filter(pk__in=stale).delete()
    return UpsertReport(created=len(to_create), updated=len(to_update), deleted=len(stale))


def _dataset(municipality: Municipality, slug: str, **defaults) -> Dataset:
    dataset, _created = Dataset.objects.get_or_create(
        municipality=municipality, slug=slug, defaults=defaults
    )
    return dataset


def _load_layer(
    *,
    municipality: Municipality,
    slug: str,
    model: type[FeatureModel],
    frame: gpd.GeoDataFrame,
    fields: list[str],
    dataset_defaults: dict,
) -> UpsertReport:
    checksum = f"{DEMO_LOADER_VERSION}:{demo_city.frame_checksum(frame)}"[:64]
    dataset = _dataset(municipality, slug, **dataset_defaults)
    if dataset.source_checksum == checksum:
        return UpsertReport(0, 0, 0, skipped=True)
    report = features_upsert(
        model=model, municipality=municipality, dataset=dataset, frame=frame, fields=fields
    )
    dataset.source_checksum = checksum
    dataset.save(update_fields=["source_checksum", "updated_at"])
    return report


@transaction.atomic
def demo_city_load(city: demo_city.DemoCity) -> dict[str, UpsertReport]:
    """Store one demo municipality; running it again with the same input changes nothing."""
    municipality, created = Municipality.objects.get_or_create(
        code=city.code,
        defaults={
            "name_th": city.name_th,
            "name_en": city.name_en,
            "province_th": city.province_th,
            "province_en": city.province_en,
            "tambon_code": city.tambon_code,
            "metric_srid": city.metric_epsg,
            "boundary": _geos(city.boundary),
            "is_demo": True,
        },
    )
    if not created and not municipality.boundary.equals_exact(_geos(city.boundary), 1e-9):
        municipality.boundary = _geos(city.boundary)
        municipality.save(update_fields=["boundary"])
    with tenant_scope(municipality_ids=[municipality.pk]):
        return _city_layers_load(municipality, city)


def _city_layers_load(
    municipality: Municipality, city: demo_city.DemoCity
) -> dict[str, UpsertReport]:

    osm = {
        "source": city.sources.get("osm", ""),
        "licence": OSM_LICENCE,
        "attribution": OSM_ATTRIBUTION,
    }
    osm_source = city.sources.get("osm", "")
    reports: dict[str, UpsertReport] = {}
    reports["subdistricts"] = _subdistricts_load(municipality, city.subdistricts)
    reports["roads"] = _load_layer(
        municipality=municipality,
        slug="roads-osm",
        model=Road,
        frame=city.roads,
        fields=["name_th", "name_en", "road_class", "surface", "lanes", "ref"],
        dataset_defaults={
            **osm_dataset_defaults("roads", osm_source),
            "kind": Dataset.Kind.ROADS,
        },
    )
    reports["landmarks"] = _load_layer(
        municipality=municipality,
        slug="landmarks-osm",
        model=Landmark,
        frame=city.landmarks,
        fields=["name_th", "name_en", "category", "source_kind"],
        dataset_defaults={
            **osm_dataset_defaults("landmarks", osm_source),
            "kind": Dataset.Kind.LANDMARKS,
        },
    )
    if len(city.buildings):
        buildings = city.buildings.assign(population_is_estimate=True)
        reports["buildings"] = _load_layer(
            municipality=municipality,
            slug="buildings-osm",
            model=Building,
            frame=buildings,
            fields=[
                "name_th",
                "name_en",
                "building_type",
                "levels",
                "population",
                "population_is_estimate",
                "elderly",
                "infants",
                "disabled",
                "bedridden",
            ],
            dataset_defaults={
                "title": "อาคาร (OpenStreetMap, จำนวนผู้อยู่อาศัยเป็นค่าประมาณ)",
                "kind": Dataset.Kind.BUILDINGS,
                "division": "กองช่าง",
                "visibility": Dataset.Visibility.INTERNAL,
                "description": (
                    "Footprints from OpenStreetMap. Residents and vulnerable members are "
                    "generated estimates (fixtures/demo_city.py), not a census."
                ),
                **osm,
            },
        )
    if city.flood_zones is not None:
        reports["flood_zones"] = _load_layer(
            municipality=municipality,
            slug="flood-scenario-east",
            model=FloodZone,
            frame=city.flood_zones.assign(is_forecast=True, source="fixtures/demo_city.py"),
            fields=["event", "hazard_class", "depth_min_m", "depth_max_m", "is_forecast", "source"],
            dataset_defaults={
                "title": "พื้นที่น้ำท่วม: สถานการณ์จำลอง (ข้อมูลสร้างขึ้น)",
                "kind": Dataset.Kind.FLOOD_ZONES,
                "division": "งานป้องกันและบรรเทาสาธารณภัย",
                "visibility": Dataset.Visibility.INTERNAL,
                "is_generated": True,
                "description": "A generated scenario for the demo, not an observed flood.",
            },
        )
    if city.flood_rasters is not None:
        reports |= _flood_rasters_load(municipality, city.flood_rasters)
    if city.dengue_cases is not None:
        reports["dengue_cases"] = _cases_load(municipality, city.dengue_cases)
    return reports


GENERATED_RASTER_NOTE = (
    "GENERATED for the demo (fixtures/demo_city.py flood_rasters), consistent with the generated "
    "flood scenario: not a survey, not a model run."
)
DEMO_RASTERS = {
    "depth": (
        "flood-depth-scenario-east",
        "ความลึกน้ำท่วม: สถานการณ์จำลอง (ข้อมูลสร้างขึ้น)",
        "Water depth in metres of the generated scenario, 10 m cells (EPSG:32647): 2.0 m on "
        "the hypothetical drain, 1.5 m at 40 m, 0.7 m at 120 m, 0.1 m at 250 m, dry beyond. ",
    ),
    "dem": (
        "dem-scenario-east",
        "ความสูงภูมิประเทศ (DEM): สถานการณ์จำลอง (ข้อมูลสร้างขึ้น)",
        "Ground elevation in metres of the generated scenario, 10 m cells (EPSG:32647): a "
        "valley along the hypothetical drain (floor 2.0 m) and a closed hollow among houses "
        "(floor 3.0 m). A water level of 4.0 m seeded on the drain gives back the depth raster; "
        "the hollow stays dry because it is not connected. ",
    ),
}
DRAIN_SLUG = "drain-scenario-east"


def _flood_rasters_load(
    municipality: Municipality, rasters: demo_city.FloodRasters
) -> dict[str, UpsertReport]:
    """The GENERATED depth raster, DEM and drainage line, through the import service."""
    import tempfile

    from layers.imports import layer_import
    from layers.imports.raster import METADATA_VERSION, raster_dataset_path, raster_import
    from layers.imports.sources import file_checksum

    reports = {}
    common = {
        "division": "งานป้องกันและบรรเทาสาธารณภัย",
        "visibility": Dataset.Visibility.INTERNAL,
        "is_generated": True,
        "source": "fixtures/demo_city.py (generated)",
    }
    with tempfile.TemporaryDirectory(prefix="mueang-demo-rasters-") as directory:
        paths = rasters.write(Path(directory))
        for name, (slug, title, description) in DEMO_RASTERS.items():
            checksum = file_checksum(paths[name])
            dataset = Dataset.objects.filter(municipality=municipality, slug=slug).first()
            stored = raster_dataset_path(municipality_code=municipality.code, slug=slug)
            if (
                dataset is not None
                and dataset.source_checksum == checksum
                and dataset.raster_metadata.get("version") == METADATA_VERSION
                and stored.is_file()
            ):
                reports[f"raster_{name}"] = UpsertReport(0, 0, 0, skipped=True)
                continue
            report = raster_import(
                municipality=municipality,
                path=paths[name],
                slug=slug,
                title=title,
                dataset_defaults={
                    **common,
                    "description": description + GENERATED_RASTER_NOTE,
                },
            )
            # The catalogue text follows the generator (import defaults only fill new entries).
            Dataset.objects.filter(municipality=municipality, slug=slug).update(
                **common, title=title, description=description + GENERATED_RASTER_NOTE
            )
            reports[f"raster_{name}"] = UpsertReport(report.created, report.updated, 0)
        drain = Path(directory) / "drain.geojson"
        demo_city.drain_frame(rasters).to_file(drain, driver="GeoJSON")
        dataset = Dataset.objects.filter(municipality=municipality, slug=DRAIN_SLUG).first()
        if dataset is not None and dataset.source_checksum == file_checksum(drain):
            reports["drain"] = UpsertReport(0, 0, 0, skipped=True)
        else:
            report = layer_import(
                municipality=municipality,
                kind="dataset",
                path=drain,
                dataset_slug=DRAIN_SLUG,
                dataset_title="ทางระบายน้ำสมมติฝั่งตะวันออก (ข้อมูลสร้างขึ้น)",
            )
            Dataset.objects.filter(municipality=municipality, slug=DRAIN_SLUG).update(
                **common,
                description=(
                    "The hypothetical drainage line of the generated flood scenario: the seed "
                    "of the connected bathtub. " + GENERATED_RASTER_NOTE
                ),
            )
            reports["drain"] = UpsertReport(report.created, report.updated, report.deleted)
    return reports


def _subdistricts_load(municipality: Municipality, frame: gpd.GeoDataFrame) -> UpsertReport:
    created = updated = 0
    for row, geometry in zip(frame.to_dict("records"), frame.geometry, strict=True):
        _obj, was_created = Subdistrict.objects.update_or_create(
            municipality=municipality,
            code=row["code"],
            defaults={
                "name_th": row["name_th"],
                "name_en": row["name_en"],
                "geom": _geos(geometry),
            },
        )
        created += was_created
        updated += not was_created
    stale = Subdistrict.objects.filter(municipality=municipality).exclude(
        code__in=list(frame["code"])
    )
    deleted, _ = stale.delete()
    return UpsertReport(created=created, updated=updated, deleted=deleted)


def _cases_load(municipality: Municipality, frame: gpd.GeoDataFrame) -> UpsertReport:
    subdistrict_ids = dict(
        Subdistrict.objects.filter(municipality=municipality).values_list("code", "id")
    )
    cases = frame.assign(
        subdistrict_id=[subdistrict_ids.get(code) for code in frame["subdistrict_code"]],
        is_generated=True,
        status=DengueCase.Status.CONFIRMED,
    ).drop(columns="subdistrict_code")
    report = _load_layer(
        municipality=municipality,
        slug="dengue-cases-generated",
        model=DengueCase,
        frame=cases,
        fields=[
            "onset_date",
            "report_date",
            "investigated_at",
            "diagnosis",
            "age_group",
            "sex",
            "status",
            "subdistrict_id",
            "is_generated",
        ],
        dataset_defaults={
            "title": "ผู้ป่วยไข้เลือดออก (ข้อมูลสร้างขึ้น ไม่ใช่ผู้ป่วยจริง)",
            "kind": Dataset.Kind.DENGUE_CASES,
            "division": "กองสาธารณสุขและสิ่งแวดล้อม",
            "visibility": Dataset.Visibility.PRIVATE,
            "is_generated": True,
            "purpose": "Disease control demonstration (PDPA: generated data, no data subject).",
            "description": (
                "One year of cases generated by a seeded transmission simulation "
                "(fixtures/dengue_sim.py) at real building locations. No real patient data."
            ),
        },
    )
    _fictitious_people_create(municipality)
    return report


def _fictitious_people_create(municipality: Municipality) -> int:
    """Give generated cases obviously fictitious personal data, so the PDPA features can be tried.

    No national ID is invented; names, phones and addresses say they are made up. Rows written
    under another MUEANG_PII_KEYS (a new checkout, a rotated key) are written again: they are
    fictitious, and unreadable rows would break the pages.
    """
    unreadable = _unreadable_personal_ids(municipality)
    if unreadable:
        DengueCasePersonal.objects.filter(pk__in=unreadable, is_generated=True).delete()
    missing = DengueCase.objects.filter(
        municipality=municipality, is_generated=True, personal__isnull=True
    ).order_by("source_id")
    people = [
        DengueCasePersonal(
            municipality=municipality,
            case=case,
            full_name=f"ผู้ป่วยสมมติ รายที่ {case.pk} (ข้อมูลสร้างขึ้น)",
            phone=f"000-000-{case.pk % 10000:04d}",
            phone_digest=identifier_digest(f"000-000-{case.pk % 10000:04d}"),
            address=f"บ้านสมมติ เลขที่ {case.pk} (ไม่มีอยู่จริง)",
            is_generated=True,
        )
        for case in missing
    ]
    DengueCasePersonal.objects.bulk_create(people)
    return len(people)


def _unreadable_personal_ids(municipality: Municipality) -> list[int]:
    """Ids of personal rows whose tokens the configured keys cannot decrypt."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, full_name FROM layers_denguecasepersonal WHERE municipality_id = %s",
            [municipality.pk],
        )
        rows = cursor.fetchall()
    unreadable = []
    for pk, token in rows:
        if not token or not token.startswith(TOKEN_PREFIX):
            continue
        try:
            cipher().decrypt(token[len(TOKEN_PREFIX) :].encode())
        except InvalidToken:
            unreadable.append(pk)
    return unreadable


def demo_load(data_dir: Path) -> dict[str, dict[str, UpsertReport]]:
    """Load both demo municipalities from the shared public data."""
    return {
        city.code: demo_city_load(city)
        for city in (demo_city.nakhon_si_thammarat(data_dir), demo_city.chon_buri(data_dir))
    }
