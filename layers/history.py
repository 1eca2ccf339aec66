"""Feature history: read a feature's versions, restore one, roll back a whole import.

The history itself is written by database triggers on the layer tables (migration
`0009_feature_history`), so every path that changes a feature is recorded. This module reads it
and writes through the same tables, so a restore or a rollback is itself recorded (with
`mueang.change` saying what it was) and bumps the layer versions that caches key on.

A feature's versions are its history entries in order, numbered from 1. Version N is the state
right after entry N: the old row of entry N + 1, or the current row if N is the last entry (a
deleted feature has no state after its delete). Rows are compared and restored as PostgreSQL
reads them (`jsonb_populate_record` over the stored jsonb, the geometry from its EWKB), so a
restore gives back every column exactly, geometry included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from layers.models import DengueCase, FeatureHistory, FeatureModel, ImportRun, Municipality
from layers.registry import LayerMap, layers_with
from layers.tenancy import tenant_scope

#: History layer names (as in LayerVersion, the registry's `tracked_as`) and their models.
LAYERS: LayerMap[type[FeatureModel]] = LayerMap(
    lambda: {layer.tracked_as: layer.model for layer in layers_with(history=True)}
)
#: Other names the command line accepts for a layer (import kinds, dataset kinds).
LAYER_ALIASES: LayerMap[str] = LayerMap(
    lambda: {
        name: layer.tracked_as
        for layer in layers_with(history=True)
        for name in layer.names
        if name != layer.tracked_as
    }
)
#: Dataset (and import) kind -> history layer.
KIND_LAYERS: LayerMap[str] = LayerMap(
    lambda: {layer.name: layer.tracked_as for layer in layers_with(history=True)}
)
#: Columns left out of "what changed" summaries: they change with every save.
NOISE_COLUMNS = frozenset({"updated_at"})
CONFLICTS_LISTED = 10

IMPORT_SETTING = "mueang.import_id"
CHANGE_SETTING = "mueang.change"


class HistoryError(Exception):
    """A history request that cannot be done, with the reason in Thai and English."""

    def __init__(self, thai: str, english: str, *, code: str = "refused"):
        super().__init__(f"{thai} / {english}")
        self.thai = thai
        self.english = english
        self.code = code


@dataclass
class Version:
    """One change of a feature and the state it left."""

    number: int
    entry_id: int
    op: str
    changed_at: datetime
    user_ref: int | None
    username: str
    import_run_id: int | None
    context: str
    changed: list[str]
    before: dict | None  # the row before this change (None for an insert)
    after: dict | None  # the row after it (None for a delete)
    after_entry_id: int | None  # the history entry holding `after` (None: the current row)

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(column, before, after) for each column this change touched (noise aside)."""
        if self.op != FeatureHistory.Op.UPDATE or self.before is None:
            return []
        after = self.after or {}
        return [
            (name, self.before.get(name), after.get(name))
            for name in self.changed
            if name not in NOISE_COLUMNS
        ]


@dataclass
class RestoreResult:
    """What `restore_feature` did."""

    layer: str
    feature_id: int
    version: int
    action: str  # "recreated" (was deleted) or "reverted" (existed)


@dataclass
class RollbackResult:
    """What `rollback_import` did (or, in a dry run, would do)."""

    import_id: int
    layer: str
    removed: int = 0  # features the import created, deleted again
    restored: int = 0  # features it changed, put back as they were
    recreated: int = 0  # features it deleted, put back
    conflicts: list[int] = field(default_factory=list)  # features changed again after it
    dry_run: bool = False


def layer_name(name: str) -> str:
    """The history layer for a name the user typed (`roads`, `dengue_cases`, ...)."""
    layer = LAYER_ALIASES.get(name, name)
    if layer not in LAYERS:
        raise HistoryError(
            f"ไม่รู้จักชั้นข้อมูล {name!r} ใช้ได้: {', '.join(LAYERS)}",
            f"unknown layer {name!r}; one of: {', '.join(LAYERS)}",
            code="layer_unknown",
        )
    return layer


def _table(layer: str) -> str:
    return LAYERS[layer]._meta.db_table


def _setting_swap(name: str, value: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting(%s, true), ''), set_config(%s, %s, true)",
            [name, name, value],
        )
        return cursor.fetchone()[0]


@contextmanager
def change_context(*, import_run_id: int | None = None, note: str = "") -> Iterator[None]:
    """Tag the history rows the block writes with an import run and/or a note.

    Needs a transaction (the settings are transaction-local); the previous values come back
    afterwards, so a caller's own later changes are not mistaken for the import's.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("change_context needs a transaction")
    previous_import = _setting_swap(IMPORT_SETTING, str(import_run_id or ""))
    previous_note = _setting_swap(CHANGE_SETTING, note[:200])
    try:
        yield
    finally:
        if not connection.needs_rollback:
            _setting_swap(IMPORT_SETTING, previous_import)
            _setting_swap(CHANGE_SETTING, previous_note)


@contextmanager
def import_run_recorded(
    *,
    municipality: Municipality,
    kind: str,
    file_name: str,
    user: object | None,
    report,
    enabled: bool = True,
) -> Iterator[ImportRun | None]:
    """Record an import (inside its transaction) and tag the history rows it writes.

    On success the run gets the report's counts and dataset, and the report its id.
    """
    if not enabled:
        yield None
        return
    run = ImportRun.objects.create(
        municipality=municipality,
        kind=kind,
        file_name=file_name[:255],
        user=user if getattr(user, "pk", None) else None,
    )
    with change_context(import_run_id=run.pk):
        yield run
    run.dataset_id = (
        municipality.dataset_set.filter(slug=report.dataset).values_list("pk", flat=True).first()
    )
    run.created, run.updated = report.created, report.updated
    run.deleted, run.unchanged = report.deleted, report.unchanged
    run.finished_at = timezone.now()
    run.save(update_fields=["dataset", "created", "updated", "deleted", "unchanged", "finished_at"])
    report.import_run = run.pk


def usernames(user_ids: set[int]) -> dict[int, str]:
    """Names to show for user numbers (full name, else login name); unknown numbers are left out."""
    users = get_user_model().objects.filter(pk__in=[pk for pk in user_ids if pk])
    return {user.pk: user.get_full_name() or user.get_username() for user in users}


def _current_row(layer: str, municipality_id: int, feature_id: int) -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (to_jsonb(t) - 'geom') || jsonb_build_object('geom', t.geom::text) "
            f"FROM {_table(layer)} t WHERE t.id = %s AND t.municipality_id = %s",
            [feature_id, municipality_id],
        )
        found = cursor.fetchone()
    return _loaded(found[0]) if found else None


def _loaded(value) -> dict:
    import json

    return json.loads(value) if isinstance(value, str) else value


def _entries(municipality_id: int, layer: str, feature_id: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, op, changed_at, user_ref, import_run_id, context, changed_columns, "
            "CASE WHEN old_row IS NULL THEN NULL "
            "ELSE old_row || jsonb_build_object('geom', old_geom::text) END "
            "FROM layers_featurehistory "
            "WHERE municipality_id = %s AND layer = %s "
            "AND (feature_id = %s OR inserted_ids @> %s::bigint) ORDER BY id",
            [municipality_id, layer, feature_id, feature_id],
        )
        return cursor.fetchall()


def feature_history(*, municipality: Municipality, layer: str, feature_id: int) -> list[Version]:
    """Every recorded change of one feature, oldest first, with the state each one left."""
    layer = layer_name(layer)
    entries = _entries(municipality.pk, layer, feature_id)
    if not entries:
        return []
    current = _current_row(layer, municipality.pk, feature_id)
    names = usernames({entry[3] for entry in entries if entry[3]})
    versions = []
    for index, (entry_id, op, at, user_ref, run_id, context, changed, old) in enumerate(entries):
        following = entries[index + 1] if index + 1 < len(entries) else None
        if op == FeatureHistory.Op.DELETE:
            after, after_entry = None, None
        elif following is not None:
            after, after_entry = _loaded(following[7]), following[0]
        else:
            after, after_entry = current, None
        versions.append(
            Version(
                number=index + 1,
                entry_id=entry_id,
                op=op,
                changed_at=at,
                user_ref=user_ref,
                username=names.get(user_ref, f"#{user_ref}" if user_ref else ""),
                import_run_id=run_id,
                context=context,
                changed=list(_loaded(changed) or []) if changed is not None else [],
                before=_loaded(old) if old is not None else None,
                after=after,
                after_entry_id=after_entry,
            )
        )
    return versions


def _columns(layer: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [_table(layer)],
        )
        return [name for (name,) in cursor.fetchall()]


def _image_sql(table: str) -> str:
    """The row a history entry holds, typed as the table's row (`%s`: the entry id)."""
    return (
        f"SELECT (jsonb_populate_record(NULL::{table}, "
        "h.old_row || jsonb_build_object('geom', h.old_geom::text))).* "
        "FROM layers_featurehistory h WHERE h.id = %s"
    )


def _write_image(layer: str, entry_id: int, *, exists: bool) -> None:
    """Make the feature the row held by a history entry (update it, or insert it again)."""
    table = _table(layer)
    columns = _columns(layer)
    quoted = [connection.ops.quote_name(c) for c in columns]
    with connection.cursor() as cursor:
        if exists:
            rest = [q for q in quoted if q != '"id"']
            cursor.execute(
                f"UPDATE {table} AS t SET ({', '.join(rest)}) = "
                f"({', '.join('r.' + q for q in rest)}) "
                f"FROM ({_image_sql(table)}) AS r WHERE t.id = r.id",
                [entry_id],
            )
        else:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quoted)}) "
                f"SELECT {', '.join('r.' + q for q in quoted)} FROM ({_image_sql(table)}) AS r",
                [entry_id],
            )


def _refused_by_database(error: DatabaseError) -> HistoryError:
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    return HistoryError(
        f"ฐานข้อมูลไม่ยอมรับการกู้คืน ({detail}) เช่น รหัสในแหล่งข้อมูลซ้ำกับรายการอื่น "
        "หรือชุดข้อมูลถูกลบไปแล้ว ไม่มีการเปลี่ยนแปลงใด",
        f"the database refused the restore ({detail}), e.g. another feature now has the same "
        "source id or the dataset was deleted; nothing was changed",
        code="database_refused",
    )


def restore_feature(
    *,
    municipality: Municipality,
    layer: str,
    feature_id: int,
    version: int | None = None,
    user=None,
    expected_last: int | None = None,
) -> RestoreResult:
    """Put a feature back as it was at `version` (default: before its last change).

    A deleted feature comes back as it was when deleted; an existing one loses its last change.
    The restore is a change like any other: recorded in the history, undoable in turn.
    `expected_last` is the newest history entry the user saw: if the feature changed since,
    the restore is refused rather than undoing a change nobody looked at.
    """
    layer = layer_name(layer)
    user_id = getattr(user, "pk", None)
    try:
        with tenant_scope(municipality_ids=[municipality.pk], user_id=user_id):
            # Edits of this feature wait (row lock), other restores of it too (advisory lock,
            # which also covers a deleted feature): the history read next is the last word.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, %s))",
                    [_table(layer), feature_id],
                )
                cursor.execute(
                    f"SELECT 1 FROM {_table(layer)} WHERE id = %s FOR UPDATE", [feature_id]
                )
            versions = feature_history(
                municipality=municipality, layer=layer, feature_id=feature_id
            )
            if expected_last is not None and versions and versions[-1].entry_id != expected_last:
                raise HistoryError(
                    f"รายการ {feature_id} ถูกแก้ไขอีกหลังจากที่คุณเปิดดูประวัติ กรุณาเปิดประวัติใหม่แล้วเลือกอีกครั้ง",
                    f"feature {feature_id} changed again after you opened its history; "
                    "open it again and choose once more",
                    code="changed_since",
                )
            if not versions:
                raise HistoryError(
                    f"ไม่มีประวัติของรายการ {feature_id} ในชั้นข้อมูล {layer}",
                    f"no history for feature {feature_id} of {layer}",
                    code="no_history",
                )
            exists = versions[-1].op != FeatureHistory.Op.DELETE
            number, entry = _restore_source(versions, version, exists=exists)
            note = f"restore v{number}"
            with change_context(note=note), transaction.atomic():
                _write_image(layer, entry, exists=exists)
    except DatabaseError as error:
        raise _refused_by_database(error) from None
    return RestoreResult(
        layer=layer,
        feature_id=feature_id,
        version=number,
        action="reverted" if exists else "recreated",
    )


def _restore_source(
    versions: list[Version], version: int | None, *, exists: bool
) -> tuple[int, int]:
    """(version restored, history entry holding that state) for a restore request.

    The state after version N is the old row of entry N + 1; version 0 is the state before
    the first recorded change, when that change kept it (features older than the history).
    """
    count = len(versions)
    if version is None:
        if versions[-1].before is None:
            raise HistoryError(
                "ไม่มีรุ่นก่อนหน้าให้กู้คืน (รายการนี้เพิ่งถูกสร้าง)",
                "there is no earlier version to restore (the feature was only created)",
                code="no_earlier_version",
            )
        return count - 1, versions[-1].entry_id
    lowest = 0 if versions[0].before is not None else 1
    if not lowest <= version <= count:
        raise HistoryError(
            f"ไม่มีรุ่นที่ {version} (มี {lowest} ถึง {count})",
            f"there is no version {version} ({lowest} to {count})",
            code="version_unknown",
        )
    if version >= 1 and versions[version - 1].op == FeatureHistory.Op.DELETE:
        raise HistoryError(
            f"รุ่นที่ {version} คือการลบ เลือกรุ่นก่อนหน้า",
            f"version {version} is the deletion; choose an earlier version",
            code="version_deleted",
        )
    if version == count:
        raise HistoryError(
            f"รายการนี้เป็นแบบรุ่นที่ {version} อยู่แล้ว",
            f"the feature is already as at version {version}",
            code="unchanged",
        )
    return version, versions[version].entry_id


def rollback_import(
    *,
    municipality: Municipality,
    import_id: int,
    user=None,
    force: bool = False,
    dry_run: bool = False,
) -> RollbackResult:
    """Undo an import: delete what it created, put back what it changed or deleted.

    Refuses (`HistoryError`, code "conflict") when a feature it touched was changed again
    afterwards, unless `force`, which puts such features back as they were before the import
    too. A dry run says what would happen (conflicts listed, counts as with `force`) and
    changes nothing.
    """
    user_id = getattr(user, "pk", None)
    try:
        with tenant_scope(municipality_ids=[municipality.pk], user_id=user_id):
            run = (
                ImportRun.objects.select_for_update()
                .filter(municipality=municipality, pk=import_id)
                .first()
            )
            if run is None:
                raise HistoryError(
                    f"ไม่พบการนำเข้าหมายเลข {import_id} ของ{municipality.name_th}",
                    f"no import {import_id} in {municipality.code}",
                    code="import_unknown",
                )
            if run.rolled_back_at is not None:
                raise HistoryError(
                    f"การนำเข้าหมายเลข {import_id} ถูกย้อนกลับไปแล้ว",
                    f"import {import_id} was already rolled back",
                    code="already_rolled_back",
                )
            layer = KIND_LAYERS.get(run.kind)
            if layer is None and run.kind == "dataset":
                result = _rollback_dataset_file(run, force=force, dry_run=dry_run)
                if not dry_run:
                    run.rolled_back_at = timezone.now()
                    run.rolled_back_by_id = user_id
                    run.save(update_fields=["rolled_back_at", "rolled_back_by"])
                return result
            if layer is None:
                raise HistoryError(
                    f"การนำเข้าหมายเลข {import_id} เป็นชุดข้อมูลแบบไฟล์ ({run.kind}) "
                    "ซึ่งไม่มีประวัติรายการให้ย้อนกลับ",
                    f"import {import_id} wrote a file dataset ({run.kind}), which keeps no "
                    "feature history to roll back",
                    code="not_a_layer",
                )
            result = RollbackResult(import_id=run.pk, layer=layer, dry_run=dry_run)
            if not dry_run:
                # Lock what the import touched first: an edit or import of those features in
                # flight finishes before the conflict check reads the history, not after.
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT 1 FROM {_table(layer)} t WHERE t.id IN (SELECT feature_id "
                        "FROM layers_featurehistory WHERE import_run_id = %s) FOR UPDATE OF t",
                        [run.pk],
                    )
            with transaction.atomic():
                _rollback_layer(run, layer, result, apply=force, dry_run=dry_run)
                if result.conflicts and not force and not dry_run:
                    raise _conflict(run, result)
                if not dry_run:
                    run.rolled_back_at = timezone.now()
                    run.rolled_back_by_id = user_id
                    run.save(update_fields=["rolled_back_at", "rolled_back_by"])
    except DatabaseError as error:
        raise _refused_by_database(error) from None
    return result


def _rollback_dataset_file(run: ImportRun, *, force: bool, dry_run: bool) -> RollbackResult:
    """Put a `dataset` file back as it was before the import (or remove what it created).

    The import kept the file it replaced (`dataset_file_before_path`); a later import of the
    same dataset not rolled back is a conflict, as a later edit is for layers.
    """
    import json
    import shutil

    from layers.imports.writers import dataset_file_before_path, dataset_file_path

    result = RollbackResult(import_id=run.pk, layer="dataset", dry_run=dry_run)
    dataset = run.dataset
    if dataset is None:
        raise HistoryError(
            f"ชุดข้อมูลของการนำเข้าหมายเลข {run.pk} ถูกลบไปแล้ว",
            f"the dataset of import {run.pk} no longer exists",
            code="dataset_gone",
        )
    path = dataset_file_path(municipality_code=run.municipality.code, slug=dataset.slug)
    before = dataset_file_before_path(path, run.pk)
    absent = before.with_suffix(".absent")
    if not before.is_file() and not absent.is_file():
        raise HistoryError(
            f"การนำเข้าหมายเลข {run.pk} ไม่ได้เก็บไฟล์ฉบับก่อนหน้าไว้ จึงย้อนกลับไม่ได้",
            f"import {run.pk} kept no earlier version of the file, so it cannot be rolled back",
            code="no_earlier_file",
        )
    later = list(
        ImportRun.objects.filter(dataset=dataset, pk__gt=run.pk, rolled_back_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    result.conflicts = later
    if later and not force and not dry_run:
        listed = ", ".join(str(pk) for pk in later)
        raise HistoryError(
            f"ย้อนกลับการนำเข้าหมายเลข {run.pk} ไม่ได้: ชุดข้อมูลนี้ถูกนำเข้าอีกภายหลัง "
            f"(หมายเลข {listed}) ย้อนกลับการนำเข้าเหล่านั้นก่อน หรือสั่งซ้ำด้วย --force",
            f"cannot roll back import {run.pk}: the dataset was imported again afterwards "
            f"({listed}); roll those back first, or use --force",
            code="conflict",
        )

    def count(file) -> int:
        if not file.is_file():
            return 0
        with open(file, encoding="utf-8") as handle:
            return len(json.load(handle).get("features", []))

    result.removed = count(path)
    result.restored = count(before)
    if dry_run:
        return result
    if before.is_file():
        dataset.save(update_fields=["updated_at"])
        transaction.on_commit(lambda: shutil.copy2(before, path))
    else:  # the import created the dataset: it goes, with its file
        dataset.delete()
        run.dataset = None
        transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return result


def _conflict(run: ImportRun, result: RollbackResult) -> HistoryError:
    listed = ", ".join(str(pk) for pk in result.conflicts[:CONFLICTS_LISTED])
    if len(result.conflicts) > CONFLICTS_LISTED:
        listed += ", …"
    count = len(result.conflicts)
    return HistoryError(
        f"ย้อนกลับการนำเข้าหมายเลข {run.pk} ไม่ได้: มี {count} รายการที่ถูกแก้ไขอีกหลังการนำเข้า "
        f"({listed}) ตรวจดูประวัติของรายการเหล่านั้น หรือสั่งซ้ำด้วย --force "
        "เพื่อย้อนกลับทับการแก้ไขนั้น",
        f"cannot roll back import {run.pk}: {count} of its features were changed again "
        f"afterwards ({listed}); check their history, or use --force to roll back over "
        "those changes",
        code="conflict",
    )


def _rollback_count(cursor, table: str, firsts: str, result: RollbackResult) -> None:
    cursor.execute(
        "SELECT count(*) FILTER (WHERE f.op = 'insert' AND t.id IS NOT NULL), "
        "count(*) FILTER (WHERE f.op <> 'insert' AND t.id IS NOT NULL), "
        "count(*) FILTER (WHERE f.op <> 'insert' AND t.id IS NULL) "
        f"FROM {firsts} f LEFT JOIN {table} t ON t.id = f.feature_id"
    )
    result.removed, result.restored, result.recreated = cursor.fetchone()


def _rollback_layer(
    run: ImportRun, layer: str, result: RollbackResult, *, apply: bool, dry_run: bool = False
) -> None:
    """Find conflicts; unless there are some and not `apply`, put the layer back.

    A dry run only counts what would change (as if forced), writing nothing.
    """
    table = _table(layer)
    columns = [connection.ops.quote_name(c) for c in _columns(layer)]
    rest = [c for c in columns if c != '"id"']
    firsts = connection.ops.quote_name(f"rollback_{run.pk}")
    image = (
        f"SELECT (jsonb_populate_record(NULL::{table}, "
        "h.old_row || jsonb_build_object('geom', h.old_geom::text))).* "
        f"FROM {firsts} f JOIN layers_featurehistory h ON h.id = f.entry_id "
        "WHERE f.op <> 'insert'"
    )
    with connection.cursor() as cursor:
        # The import's first change of each feature says what the feature was before it.
        # Inserts name their keys as ranges (one entry per statement): one row per key here.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {firsts} ON COMMIT DROP AS "
            "SELECT DISTINCT ON (feature_id) entry_id, feature_id, op FROM ("
            " SELECT id AS entry_id, feature_id, op FROM layers_featurehistory"
            " WHERE municipality_id = %s AND import_run_id = %s AND layer = %s"
            " AND feature_id IS NOT NULL"
            " UNION ALL"
            " SELECT h.id, k.id, h.op FROM layers_featurehistory h,"
            " unnest(h.inserted_ids) AS r, generate_series(lower(r), upper(r) - 1) AS k(id)"
            " WHERE h.municipality_id = %s AND h.import_run_id = %s AND h.layer = %s"
            " AND h.inserted_ids IS NOT NULL"
            ") AS e ORDER BY feature_id, entry_id",
            [run.municipality_id, run.pk, layer] * 2,
        )
        cursor.execute(f"ANALYZE {firsts}")
        # Changes after the import's. A later insert of one of its keys (a restore) needs a
        # delete first, which names the feature, so the per-feature entries are enough.
        cursor.execute(
            f"SELECT DISTINCT h.feature_id FROM layers_featurehistory h "
            f"JOIN {firsts} f ON f.feature_id = h.feature_id "
            "WHERE h.municipality_id = %s AND h.layer = %s AND h.id > f.entry_id "
            "AND h.import_run_id IS DISTINCT FROM %s ORDER BY 1",
            [run.municipality_id, layer, run.pk],
        )
        result.conflicts = [pk for (pk,) in cursor.fetchall()]
        if dry_run or (result.conflicts and not apply):
            if dry_run:
                _rollback_count(cursor, table, firsts, result)
            cursor.execute(f"DROP TABLE {firsts}")
            return
        with change_context(note=f"rollback of import {run.pk}"):
            if LAYERS[layer] is DengueCase:
                # Personal rows of created cases go with them, as Django's CASCADE would do.
                cursor.execute(
                    "DELETE FROM layers_denguecasepersonal p USING "
                    f"{firsts} f WHERE f.op = 'insert' AND p.case_id = f.feature_id"
                )
            cursor.execute(
                f"DELETE FROM {table} t USING {firsts} f "
                "WHERE f.op = 'insert' AND t.id = f.feature_id"
            )
            result.removed = cursor.rowcount
            cursor.execute(
                f"UPDATE {table} AS t SET ({', '.join(rest)}) = "
                f"({', '.join('r.' + c for c in rest)}) FROM ({image}) AS r WHERE t.id = r.id"
            )
            result.restored = cursor.rowcount
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"SELECT {', '.join('r.' + c for c in columns)} FROM ({image}) AS r "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = r.id)"
            )
            result.recreated = cursor.rowcount
        cursor.execute(f"DROP TABLE {firsts}")


def dataset_history(*, dataset, limit: int = 50) -> list[FeatureHistory]:
    """The latest changes to a dataset's features, newest first, with who made them."""
    entries = list(
        FeatureHistory.objects.filter(
            municipality_id=dataset.municipality_id, dataset_id=dataset.pk
        )
        .defer("old_geom")
        .order_by("-id")[:limit]
    )
    names = usernames({e.user_ref for e in entries if e.user_ref})
    for entry in entries:
        entry.username = names.get(entry.user_ref, f"#{entry.user_ref}" if entry.user_ref else "")
        entry.changed_shown = [c for c in (entry.changed_columns or []) if c not in NOISE_COLUMNS]
        old = entry.old_row or {}
        entry.label = old.get("name_th") or old.get("source_id") or old.get("event") or ""
        # An insert entry names all the features its statement created.
        ranges = entry.inserted_ids.ranges() if entry.inserted_ids else []
        entry.created_count = sum(high - low for low, high in ranges)
        entry.first_feature_id = entry.feature_id or (ranges[0][0] if ranges else None)
        entry.last_feature_id = ranges[-1][1] - 1 if ranges else entry.feature_id
    return entries


def dataset_imports(*, dataset, limit: int = 20) -> list[ImportRun]:
    """The dataset's imports, newest first."""
    return list(
        ImportRun.objects.filter(municipality_id=dataset.municipality_id, dataset=dataset)
        .select_related("user", "rolled_back_by")
        .order_by("-started_at", "-id")[:limit]
    )
