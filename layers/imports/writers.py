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
import shutil
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import shapely
from django.contrib.gis.db.models.functions import AsWKB
from django.db import connection
from django.utils import timezone

from layers.imports.values import by_distinct_value, objects
from layers.models import WGS84, Dataset, FeatureModel, Municipality
from layers.storage import dataset_file_before_path

GEOMETRY_TOLERANCE = 1e-12
SQL_BATCH = 1000
COPY_CHUNK = 16 * 1024 * 1024  # bytes handed to COPY at a time: one write in one piece
# PostgreSQL's binary COPY format: signature, flags, header extension length; the trailer.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)
COPY_NULL = struct.pack("!i", -1)


@dataclass
class Row:
    """One accepted row: its number in the file, id (or ''), values and WGS 84 geometry."""

    number: int
    source_id: str
    values: dict[str, object]
    geometry: shapely.Geometry


@dataclass
class RowBatch:
    """Accepted rows of one batch as columns: numbers in the file, ids, values and geometries.

    `values` holds one object array per model field (the converted values); `geometries` are
    in WGS 84. `rows()` gives the same rows one at a time.
    """

    numbers: np.ndarray
    source_ids: np.ndarray
    values: dict[str, np.ndarray]
    geometries: np.ndarray

    def __len__(self) -> int:
        return len(self.numbers)

    def take(self, indices: np.ndarray) -> RowBatch:
        """The rows at `indices`, in that order."""
        return RowBatch(
            numbers=self.numbers[indices],
            source_ids=self.source_ids[indices],
            values={name: column[indices] for name, column in self.values.items()},
            geometries=self.geometries[indices],
        )

    def rows(self) -> Iterator[Row]:
        """One `Row` per row."""
        names = list(self.values)
        columns = [column.tolist() for column in self.values.values()]
        for index, (number, source_id, geometry) in enumerate(
            zip(self.numbers.tolist(), self.source_ids.tolist(), self.geometries, strict=True)
        ):
            values = {name: column[index] for name, column in zip(names, columns, strict=True)}
            yield Row(number, source_id, values, geometry)

    @classmethod
    def of_rows(cls, rows: list[Row], fields: list[str]) -> RowBatch:
        """The columns of `rows` (the inverse of `rows()`)."""
        return cls(
            numbers=np.array([row.number for row in rows], dtype=np.int64),
            source_ids=objects([row.source_id for row in rows]),
            values={name: objects([row.values[name] for row in rows]) for name in fields},
            geometries=objects([row.geometry for row in rows]),
        )


@dataclass
class Planned:
    """What a batch did (or would do), and the rows refused because another dataset has the id."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[tuple[Row, str]] | None = None


def _copy_field(data: bytes) -> bytes:
    """One field of a binary COPY row: its length, then its bytes."""
    return struct.pack("!i", len(data)) + data


def _copy_text(value: object) -> bytes:
    """A value as a binary COPY field of type text (the INSERT casts it to the column's type)."""
    if value is None:
        return COPY_NULL
    if isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, datetime.date):  # dates and datetimes
        text = value.isoformat()
    else:
        text = str(value)
    return _copy_field(text.encode())


def _copy_id(pk: int | None) -> bytes:
    return COPY_NULL if pk is None else _copy_field(struct.pack("!q", pk))


class LayerWriter:
    """Upserts rows of one dataset into a layer model (Road, Landmark, ...).

    Rows are written a batch at a time: binary COPY of the values that differ between rows (WKB,
    mapped fields as text, ids) into a temporary table, then one INSERT ... SELECT (new ids,
    constant columns as parameters, text cast to each column's type) and one UPDATE ... FROM
    (known ids). PostgreSQL refuses COPY straight into a table with row-level security; INSERT
    and UPDATE are checked by its policies like any write. Batches that only create rows are
    collected up to `write_rows` rows (`ImportLimits.write_rows`) before they are written;
    `finish` writes the rest.
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
        write_rows: int = 1,
    ):
        self.model = model
        self.municipality = municipality
        self.dataset = dataset
        self.fields = fields
        self.id_mode = id_mode
        self.delete_missing = delete_missing
        self._dataset_slugs: dict[int | None, str] = {}
        self._staging: str | None = None
        self._pending: list[bytes] = []  # encoded rows of create-only batches not yet written
        self._pending_rows = 0
        self.write_rows = write_rows
        # Every column an INSERT must fill (Django, not the database, holds the defaults).
        self._columns = [
            f for f in model._meta.concrete_fields if not f.primary_key and f.name != "geom"
        ]
        self._column_of = {f.name: f.column for f in self._columns}

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

    @property
    def encodes_all(self) -> bool:
        """Whether every batch can be written from its `encode` alone (`add_encoded`)."""
        return not self.id_mode

    def encode(self, batch: RowBatch) -> bytes | None:
        """The binary COPY rows of a batch that can only create rows (no ids to match), else None.

        Needs no database (a worker builds it while the previous batch is written); hand it to
        `add` or `add_encoded`.
        """
        if self.id_mode:
            return None
        return self._copy_rows(np.full(len(batch), None, dtype=object), batch, self._varying())

    def add_encoded(self, count: int, encoded: bytes | None, *, apply: bool) -> Planned:
        """Plan (and with `apply`, write) `count` new rows given only as `encode(rows)`."""
        if self.id_mode:
            raise ValueError("rows matched by id cannot be written from their encoding alone")
        if apply and count:
            if encoded is None:
                raise ValueError("no encoded rows to write")
            self._pending.append(encoded)
            self._pending_rows += count
            if self._pending_rows >= self.write_rows:
                self.flush()
        return Planned(created=count, conflicts=[])

    def add(self, batch: RowBatch, *, apply: bool, encoded: bytes | None = None) -> Planned:
        """Plan (and with `apply`, write) one batch of rows; `encoded` is `encode(batch)`."""
        if encoded is not None and not self.id_mode:
            return self.add_encoded(len(batch), encoded, apply=apply)
        planned = Planned(conflicts=[])
        create = np.ones(len(batch), dtype=bool)
        to_update: list[tuple[int, Row]] = []
        if self.id_mode and len(batch):
            found = (
                self.model.objects.filter(
                    municipality=self.municipality, source_id__in=batch.source_ids.tolist()
                )
                .annotate(_wkb=AsWKB("geom"))
                .values("pk", "source_id", "dataset_id", "_wkb", *self.fields)
            )
            existing = {item["source_id"]: item for item in found}
            dataset_id = self.dataset.pk if self.dataset else None
            known = np.flatnonzero(np.isin(batch.source_ids, list(existing)))
            create[known] = False
            for row in batch.take(known).rows():
                match = existing[row.source_id]
                if dataset_id is None or match["dataset_id"] != dataset_id:
                    planned.conflicts.append((row, self._slug(match["dataset_id"])))
                elif self._same(match, row):
                    planned.unchanged += 1
                else:
                    to_update.append((match["pk"], row))
        to_create = batch.take(np.flatnonzero(create))
        planned.created, planned.updated = len(to_create), len(to_update)
        if not apply or not (len(to_create) or to_update):
            return planned
        self.flush()
        self._write(to_create, to_update)
        return planned

    def flush(self) -> None:
        """Write the collected create-only rows now (`add` writes them `write_rows` at a time)."""
        if not self._pending:
            return
        rows, self._pending = b"".join(self._pending), []
        self._pending_rows = 0
        self._copy_and_apply(rows, creates=True, updates=False)

    def _same(self, existing: dict, row: Row) -> bool:
        if any(existing[name] != row.values[name] for name in self.fields):
            return False
        stored = shapely.from_wkb(bytes(existing["_wkb"]))
        return bool(shapely.equals_exact(stored, row.geometry, tolerance=GEOMETRY_TOLERANCE))

    def _write(self, to_create: RowBatch, to_update: list[tuple[int, Row]]) -> None:
        """COPY the rows into the staging table, then one INSERT and one UPDATE from it."""
        ids = np.full(len(to_create), None, dtype=object)
        rows = to_create
        if to_update:
            updates = RowBatch.of_rows([row for _pk, row in to_update], list(to_create.values))
            ids = np.concatenate([ids, objects([pk for pk, _row in to_update])])
            rows = RowBatch(
                numbers=np.concatenate([to_create.numbers, updates.numbers]),
                source_ids=np.concatenate([to_create.source_ids, updates.source_ids]),
                values={
                    name: np.concatenate([column, updates.values[name]])
                    for name, column in to_create.values.items()
                },
                geometries=np.concatenate([to_create.geometries, updates.geometries]),
            )
        self._copy_and_apply(
            self._copy_rows(ids, rows, self._varying()),
            creates=bool(len(to_create)),
            updates=bool(to_update),
        )

    def _copy_and_apply(self, rows: bytes, *, creates: bool, updates: bool) -> None:
        """COPY binary `rows` to the staging table; INSERT those without an id, UPDATE the rest."""
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = [quote(f.column) for f in self._columns]
        varying = self._varying()
        # Constant columns (the municipality, the dataset, the time, defaults) are parameters
        # of the INSERT; only what differs between rows goes through COPY.
        constants = {
            "municipality": self.municipality.pk,
            "dataset": self.dataset.pk if self.dataset else None,
            "updated_at": timezone.now(),
            "source_id": "",
        }
        selected, parameters = [], []
        for model_field in self._columns:
            if model_field.name in varying:
                selected.append(self._staged(model_field))
            else:
                selected.append("%s")
                parameters.append(constants.get(model_field.name, model_field.get_default()))
        geometry = f"ST_GeomFromWKB(s.wkb, {WGS84})"
        with connection.cursor() as cursor:
            staging = self._staging_table(cursor, varying)
            copied = ", ".join(["id", "wkb", *(quote(self._column_of[n]) for n in varying)])
            cursor.copy_expert(
                f"COPY {staging} ({copied}) FROM STDIN WITH (FORMAT binary)",
                io.BytesIO(COPY_HEADER + rows + COPY_TRAILER),
                COPY_CHUNK,
            )
            # One round trip for the writes and the emptying of the staging table (each call
            # costs the main thread a wait for the GIL while the read-ahead worker runs).
            statements, arguments = [], []
            if creates:
                statements.append(
                    f"INSERT INTO {table} (geom, {', '.join(columns)}) "
                    f"SELECT {geometry}, {', '.join(selected)} "
                    f"FROM {staging} AS s WHERE s.id IS NULL"
                )
                arguments += parameters
            if updates:
                # A file may map no attribute at all (an id and a geometry): just the geometry.
                assignments = ", ".join(
                    [
                        f"geom = {geometry}",
                        *(
                            f"{quote(self._column_of[name])} = "
                            f"{self._staged(self.model._meta.get_field(name))}"
                            for name in self.fields
                        ),
                        "updated_at = %s",
                    ]
                )
                statements.append(
                    f"UPDATE {table} AS t SET {assignments} "
                    f"FROM {staging} AS s WHERE s.id IS NOT NULL AND t.id = s.id"
                )
                arguments.append(constants["updated_at"])
            statements.append(f"TRUNCATE {staging}")
            cursor.execute("; ".join(statements), arguments)

    @staticmethod
    def _staged(model_field) -> str:
        """The staging table's text of `model_field` as the column's type.

        Character columns take the text as it is: storing it checks the length (an explicit
        cast to varchar(n) would cut it silently). Others are cast (text to a number, a date
        or a boolean is explicit only).
        """
        column = "s." + connection.ops.quote_name(model_field.column)
        db_type = model_field.db_type(connection)
        if db_type == "text" or db_type.startswith("varchar"):
            return column
        return f"CAST({column} AS {db_type})"

    def _varying(self) -> list[str]:
        """Fields whose values differ between rows: the written ones, and ids if matched by."""
        return [
            f.name
            for f in self._columns
            if f.name in self.fields or (f.name == "source_id" and self.id_mode)
        ]

    def _copy_rows(self, ids: np.ndarray, rows: RowBatch, varying: list[str]) -> bytes:
        """The batch as binary COPY rows: a column at a time, each distinct value encoded once.

        Every row is the field count, the id (NULL for a new feature), the WKB, then each
        varying field as text.
        """
        count = struct.pack("!h", 2 + len(varying))
        if any(pk is not None for pk in ids):
            first: Iterator[bytes] | list[bytes] = [count + _copy_id(pk) for pk in ids]
        else:
            first = repeat(count + COPY_NULL)  # ends with the listed columns (zip below)
        cells = [first, [_copy_field(item) for item in shapely.to_wkb(rows.geometries)]]
        for name in varying:
            column = rows.source_ids if name == "source_id" else rows.values[name]
            cells.append(by_distinct_value(column, _copy_text).tolist())
        return b"".join(chain.from_iterable(zip(*cells, strict=False)))

    def _staging_table(self, cursor, varying: list[str]) -> str:
        if self._staging is None:
            quote = connection.ops.quote_name
            self._staging = quote(f"import_staging_{uuid.uuid4().hex[:12]}")
            columns = ["id bigint", "wkb bytea"]
            columns += [f"{quote(self._column_of[name])} text" for name in varying]
            # Text columns, cast by the INSERT; no indexes, no WAL (temporary); dropped with
            # the transaction at the latest.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self._staging} ({', '.join(columns)}) ON COMMIT DROP"
            )
        return self._staging

    def finish(self, *, seen_ids: list[str], apply: bool) -> tuple[int, int]:
        """With ids: count (and with `delete_missing`, delete) features absent from the file.

        Returns (deleted, kept).
        """
        if apply:
            self.flush()
        self._pending, self._pending_rows = [], 0
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


class DatasetFileWriter:
    """Writes a `dataset` import's features as one GeoJSON file, swapped in on commit.

    With `import_run_id` set (the import was recorded), the file it replaces is kept first
    (`dataset_file_before_path`), so `layers.history.services.rollback_import` can put it back.
    """

    import_run_id: int | None = None

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

    encodes_all = False  # its rows are written as GeoJSON features (see `LayerWriter`)

    def encode(self, batch: RowBatch) -> None:
        """Nothing to prepare ahead (see `LayerWriter.encode`)."""
        return None

    def flush(self) -> None:
        """Nothing is collected: `add` writes each feature."""

    def add(self, batch: RowBatch, *, apply: bool, encoded: None = None) -> Planned:
        """Plan (and with `apply`, write) one batch of rows."""
        planned = Planned(conflicts=[])
        for row in batch.rows():
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
            if self.import_run_id is not None:
                before = dataset_file_before_path(self.path, self.import_run_id)
                before.parent.mkdir(parents=True, exist_ok=True)
                if self.path.is_file():
                    shutil.copy2(self.path, before)
                else:
                    before.with_suffix(".absent").touch()
            os.replace(self.temporary, self.path)

    def discard(self) -> None:
        """Remove the temporary file of an import that did not commit."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
