"""Where imported rows go: a layer table (upsert by source id) or a dataset's GeoJSON file.

Semantics, the same for both:

- With an id field, a row whose id the dataset already holds updates that feature (or is
  counted unchanged when nothing differs); a new id creates one. Features of the dataset that
  the file does not mention are kept (a partial file loses nothing) unless `delete_missing`.
  An id already used by another dataset of the municipality is an error for that row (ids are
  unique per municipality and layer).
- Without an id field, the file replaces the dataset: its previous features are deleted and
  the file's rows created, so a re-import never duplicates.

Writers plan every batch (counting creates, updates, unchanged) and write it only when told
to apply; a dry run plans without writing.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.contrib.gis.db.models.functions import AsWKB
from django.db import connection
from django.utils import timezone

from layers.models import WGS84, Dataset, FeatureModel, Municipality

GEOMETRY_TOLERANCE = 1e-12
SQL_BATCH = 1000


@dataclass
class Row:
    """One accepted row: its number in the file, id (or ''), values and WGS 84 geometry."""

    number: int
    source_id: str
    values: dict[str, object]
    geometry: shapely.Geometry


@dataclass
class Planned:
    """What a batch did (or would do), and the rows refused because another dataset has the id."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[tuple[Row, str]] | None = None


def _csv_value(value: object) -> str:
    if value is None:
        return ""  # unquoted: NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return '"' + text.replace('"', '""') + '"'  # quoted: an empty string stays a string


def _csv_line(values: list[object]) -> str:
    """One row for COPY ... (FORMAT csv)."""
    return ",".join(_csv_value(value) for value in values) + "\n"


class LayerWriter:
    """Upserts rows of one dataset into a layer model (Road, Landmark, ...).

    Rows are written a batch at a time: COPY into a temporary table, then one INSERT ... SELECT
    (new ids) and one UPDATE ... FROM (known ids). PostgreSQL refuses COPY straight into a table
    with row-level security; INSERT and UPDATE are checked by its policies like any write.
    """

    def __init__(
        self,
        *,
        model: type[FeatureModel],
        municipality: Municipality,
        dataset: Dataset | None,
        fields: list[str],
        id_mode: bool,
        delete_missing: bool,
    ):
        self.model = model
        self.municipality = municipality
        self.dataset = dataset
        self.fields = fields
        self.id_mode = id_mode
        self.delete_missing = delete_missing
        self._dataset_slugs: dict[int | None, str] = {}
        self._staging: str | None = None
        # Every column an INSERT must fill (Django, not the database, holds the defaults).
        self._columns = [
            f for f in model._meta.concrete_fields if not f.primary_key and f.name != "geom"
        ]

    def _in_dataset(self):
        return self.model.objects.filter(municipality=self.municipality, dataset=self.dataset)

    def begin(self, *, apply: bool) -> int:
        """Without ids, remove (or count) the dataset's previous features; return how many."""
        if self.id_mode or self.dataset is None:
            return 0
        existing = self._in_dataset()
        count = existing.count()
        if apply and count:
            existing.delete()
        return count

    def _slug(self, dataset_id: int | None) -> str:
        if dataset_id not in self._dataset_slugs:
            slug = (
                Dataset.objects.filter(pk=dataset_id).values_list("slug", flat=True).first()
                if dataset_id
                else None
            )
            self._dataset_slugs[dataset_id] = slug or "-"
        return self._dataset_slugs[dataset_id]

    def add(self, rows: list[Row], *, apply: bool) -> Planned:
        """Plan (and with `apply`, write) one batch of rows."""
        planned = Planned(conflicts=[])
        to_create: list[Row] = []
        to_update: list[tuple[int, Row]] = []
        existing: dict[str, dict] = {}
        if self.id_mode and rows:
            found = (
                self.model.objects.filter(
                    municipality=self.municipality, source_id__in=[row.source_id for row in rows]
                )
                .annotate(_wkb=AsWKB("geom"))
                .values("pk", "source_id", "dataset_id", "_wkb", *self.fields)
            )
            existing = {item["source_id"]: item for item in found}
        dataset_id = self.dataset.pk if self.dataset else None
        for row in rows:
            match = existing.get(row.source_id)
            if match is not None and (dataset_id is None or match["dataset_id"] != dataset_id):
                planned.conflicts.append((row, self._slug(match["dataset_id"])))
            elif match is None:
                to_create.append(row)
            elif self._same(match, row):
                planned.unchanged += 1
            else:
                to_update.append((match["pk"], row))
        planned.created, planned.updated = len(to_create), len(to_update)
        if apply and (to_create or to_update):
            self._write(to_create, to_update)
        return planned

    def _same(self, existing: dict, row: Row) -> bool:
        if any(existing[name] != row.values[name] for name in self.fields):
            return False
        stored = shapely.from_wkb(bytes(existing["_wkb"]))
        return bool(shapely.equals_exact(stored, row.geometry, tolerance=GEOMETRY_TOLERANCE))

    def _row_values(self, row: Row, now: datetime.datetime) -> list[object]:
        values = []
        for model_field in self._columns:
            name = model_field.name
            if name == "municipality":
                values.append(self.municipality.pk)
            elif name == "dataset":
                values.append(self.dataset.pk)
            elif name == "source_id":
                values.append(row.source_id)
            elif name == "updated_at":
                values.append(now)
            elif name in row.values:
                values.append(row.values[name])
            else:
                values.append(model_field.get_default())
        return values

    def _write(self, to_create: list[Row], to_update: list[tuple[int, Row]]) -> None:
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = [connection.ops.quote_name(f.column) for f in self._columns]
        now = timezone.now()
        with connection.cursor() as cursor:
            staging = self._staging_table(cursor, table, columns)
            buffer = io.StringIO()
            for pk, row in [(None, row) for row in to_create] + to_update:
                geometry = shapely.to_wkb(
                    shapely.set_srid(row.geometry, WGS84), hex=True, include_srid=True
                )
                buffer.write(_csv_line([pk, geometry, *self._row_values(row, now)]))
            buffer.seek(0)
            cursor.execute(f"TRUNCATE {staging}")
            cursor.copy_expert(
                f"COPY {staging} (id, geom, {', '.join(columns)}) FROM STDIN WITH (FORMAT csv)",
                buffer,
            )
            if to_create:
                cursor.execute(
                    f"INSERT INTO {table} (geom, {', '.join(columns)}) "
                    f"SELECT geom, {', '.join(columns)} FROM {staging} WHERE id IS NULL"
                )
            if to_update:
                written = [f.column for f in self._columns if f.name in self.fields]
                assignments = ", ".join(
                    f"{connection.ops.quote_name(column)} = s.{connection.ops.quote_name(column)}"
                    for column in [*written, "geom", "updated_at"]
                )
                cursor.execute(
                    f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s "
                    "WHERE s.id IS NOT NULL AND t.id = s.id"
                )

    def _staging_table(self, cursor, table: str, columns: list[str]) -> str:
        if self._staging is None:
            self._staging = connection.ops.quote_name(f"import_staging_{uuid.uuid4().hex[:12]}")
            # Same column types as the layer; dropped with the transaction at the latest.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self._staging} ON COMMIT DROP AS "
                f"SELECT id, geom, {', '.join(columns)} FROM {table} WITH NO DATA"
            )
        return self._staging

    def finish(self, *, seen_ids: list[str], apply: bool) -> tuple[int, int]:
        """With ids: count (and with `delete_missing`, delete) features absent from the file.

        Returns (deleted, kept).
        """
        if self._staging is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self._staging}")
            self._staging = None
        if not self.id_mode or self.dataset is None:
            return 0, 0
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {self.model._meta.db_table} "
                "WHERE municipality_id = %s AND dataset_id = %s AND NOT (source_id = ANY(%s))",
                [self.municipality.pk, self.dataset.pk, seen_ids],
            )
            absent = [pk for (pk,) in cursor.fetchall()]
        if not self.delete_missing:
            return 0, len(absent)
        if apply:
            for start in range(0, len(absent), SQL_BATCH):
                self.model.objects.filter(pk__in=absent[start : start + SQL_BATCH]).delete()
        return len(absent), 0


def dataset_file_path(*, municipality_code: str, slug: str) -> Path:
    """Where a `dataset` import keeps its features: MEDIA_ROOT/datasets/<code>/<slug>.geojson."""
    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / "datasets" / municipality_code / f"{slug}.geojson"


class DatasetFileWriter:
    """Writes a `dataset` import's features as one GeoJSON file, swapped in on commit."""

    def __init__(self, *, path: Path, id_mode: bool, delete_missing: bool):
        self.path = path
        self.id_mode = id_mode
        self.delete_missing = delete_missing
        self.old: dict[str, dict] = {}
        self.old_count = 0
        if path.is_file():
            with open(path, encoding="utf-8") as handle:
                features = json.load(handle).get("features", [])
            self.old_count = len(features)
            self.old = {str(f.get("id")): f for f in features if f.get("id") is not None}
        self.temporary: Path | None = None
        self._handle = None
        self._written = 0

    def begin(self, *, apply: bool) -> int:
        """Without ids the file is replaced: return how many features it held."""
        if apply:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
            self._handle = open(self.temporary, "w", encoding="utf-8")  # noqa: SIM115
            self._handle.write('{"type": "FeatureCollection", "features": [\n')
        return 0 if self.id_mode else self.old_count

    def _write(self, feature: dict) -> None:
        if self._handle is None:
            return
        if self._written:
            self._handle.write(",\n")
        self._handle.write(json.dumps(feature, ensure_ascii=False))
        self._written += 1

    @staticmethod
    def feature(row: Row, *, with_id: bool) -> dict:
        """The GeoJSON feature of a row."""
        feature = {"type": "Feature"}
        if with_id:
            feature["id"] = row.source_id
        feature["properties"] = row.values
        feature["geometry"] = json.loads(shapely.to_geojson(row.geometry))
        return feature

    def add(self, rows: list[Row], *, apply: bool) -> Planned:
        """Plan (and with `apply`, write) one batch of rows."""
        planned = Planned(conflicts=[])
        for row in rows:
            feature = self.feature(row, with_id=self.id_mode)
            old = self.old.get(row.source_id) if self.id_mode else None
            if old is None:
                planned.created += 1
            elif json.loads(json.dumps(row.values)) == old.get("properties") and bool(
                shapely.equals_exact(
                    shapely.from_geojson(json.dumps(old["geometry"])),
                    row.geometry,
                    tolerance=GEOMETRY_TOLERANCE,
                )
            ):
                planned.unchanged += 1
            else:
                planned.updated += 1
            if apply:
                self._write(feature)
        return planned

    def finish(self, *, seen_ids: list[str], apply: bool) -> tuple[int, int]:
        """Carry over (or drop) old features absent from the file; close the temporary file."""
        deleted = kept = 0
        if self.id_mode:
            seen = set(seen_ids)
            for source_id, feature in self.old.items():
                if source_id in seen:
                    continue
                if self.delete_missing:
                    deleted += 1
                else:
                    kept += 1
                    if apply:
                        self._write(feature)
        if self._handle is not None:
            self._handle.write("\n]}\n")
            self._handle.close()
            self._handle = None
        return deleted, kept

    def commit(self) -> None:
        """Move the new file into place (run on commit of the import's transaction)."""
        if self.temporary is not None and self.temporary.exists():
            os.replace(self.temporary, self.path)

    def discard(self) -> None:
        """Remove the temporary file of an import that did not commit."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
