"""Feature history, the writes: restore a feature's version, roll back a whole import.

Both write through the layer tables, so a restore or a rollback is itself recorded by the history
triggers (with `mueang.change` saying what it was) and bumps the layer versions that caches key
on. A restore gives back every column exactly, geometry included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from layers.history.selectors import (
    KIND_LAYERS,
    LAYERS,
    HistoryError,
    Version,
    feature_history,
    layer_name,
    layer_table,
)
from layers.models import (
    Dataset,
    DatasetEvent,
    DengueCase,
    FeatureHistory,
    ImportRun,
    Municipality,
)
from layers.storage import dataset_file_before_path, dataset_file_path
from layers.tenancy import tenant_scope

CONFLICTS_LISTED = 10


IMPORT_SETTING = "mueang.import_id"


CHANGE_SETTING = "mueang.change"


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
    dataset_removed: bool = False  # the import made the dataset, which goes with it


def dataset_event_record(
    *, dataset: Dataset, features: int, user, import_run_id: int | None = None
) -> DatasetEvent:
    """The catalogue's line for a dataset about to go (written in the caller's transaction).

    With `import_run_id` it went with the rollback of that import; without, it was deleted.
    """
    action = DatasetEvent.Action.ROLLED_BACK if import_run_id else DatasetEvent.Action.DELETED
    return DatasetEvent.objects.create(
        municipality_id=dataset.municipality_id,
        dataset_ref=dataset.pk,
        slug=dataset.slug,
        title=dataset.title,
        kind=dataset.kind,
        action=action,
        features=features,
        import_ref=import_run_id,
        user=user if getattr(user, "pk", None) else None,
    )


def _made_by(run: ImportRun) -> bool:
    """Whether the import created its dataset: no earlier import of it, made during this run."""
    dataset = run.dataset
    if dataset is None or dataset.created_at < run.started_at:
        return False
    return not ImportRun.objects.filter(dataset=dataset, pk__lt=run.pk).exists()


def _dataset_remove_with(run: ImportRun, result: RollbackResult, user) -> None:
    """Remove the dataset the rolled-back import made, if nothing of it is left; record it."""
    dataset = run.dataset
    if dataset is None or not _made_by(run):
        return
    model = LAYERS.get(result.layer)
    left = model.objects.filter(dataset=dataset).count() if model is not None else 0
    if left - (result.removed if result.dry_run else 0) > 0:
        return  # features added since (on the map, by hand) keep it
    result.dataset_removed = True
    if result.dry_run:
        return
    dataset_event_record(
        dataset=dataset,
        features=result.removed,
        user=user,
        import_run_id=run.pk,
    )
    dataset.delete()
    run.dataset = None


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


def _columns(layer: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [layer_table(layer)],
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
    table = layer_table(layer)
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
                    [layer_table(layer), feature_id],
                )
                cursor.execute(
                    f"SELECT 1 FROM {layer_table(layer)} WHERE id = %s FOR UPDATE", [feature_id]
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
                result = _rollback_dataset_file(run, force=force, dry_run=dry_run, user=user)
                if not dry_run:
                    run.rolled_back_at = timezone.now()
                    run.rolled_back_by_id = user_id
                    run.save(update_fields=["rolled_back_at", "rolled_back_by", "dataset"])
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
                        f"SELECT 1 FROM {layer_table(layer)} t WHERE t.id IN (SELECT feature_id "
                        "FROM layers_featurehistory WHERE import_run_id = %s) FOR UPDATE OF t",
                        [run.pk],
                    )
            with transaction.atomic():
                _rollback_layer(run, layer, result, apply=force, dry_run=dry_run)
                if result.conflicts and not force and not dry_run:
                    raise _conflict(run, result)
                _dataset_remove_with(run, result, user)
                if not dry_run:
                    run.rolled_back_at = timezone.now()
                    run.rolled_back_by_id = user_id
                    run.save(update_fields=["rolled_back_at", "rolled_back_by", "dataset"])
    except DatabaseError as error:
        raise _refused_by_database(error) from None
    return result


def _rollback_dataset_file(
    run: ImportRun, *, force: bool, dry_run: bool, user=None
) -> RollbackResult:
    """Put a `dataset` file back as it was before the import (or remove what it created).

    The import kept the file it replaced (`dataset_file_before_path`); a later import of the
    same dataset not rolled back is a conflict, as a later edit is for layers.
    """
    import json
    import shutil

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
    result.dataset_removed = not before.is_file()
    if dry_run:
        return result
    if before.is_file():
        dataset.save(update_fields=["updated_at"])
        transaction.on_commit(lambda: shutil.copy2(before, path))
    else:  # the import created the dataset: it goes, with its file, and the catalogue says so
        dataset_event_record(
            dataset=dataset,
            features=result.removed,
            user=user,
            import_run_id=run.pk,
        )
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
    table = layer_table(layer)
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
