"""One transaction: a failing import leaves every layer table exactly as it was (row counts and
an md5 of every row), even when earlier batches had already been written."""

from __future__ import annotations

import pytest

from layers.imports import ImportCancelled, ImportLimits, ImportRefused, layer_import
from layers.models import DengueCase
from tests.layers.import_data import cli, database_state, dengue_rows


def cases_csv(tmp_path, n=80, **kwargs):
    path = tmp_path / "cases.csv"
    path.write_text(dengue_rows(n, **kwargs), encoding="utf-8")
    return path


def test_an_unparseable_date_in_row_57_leaves_the_database_as_it_was(nst, tmp_path):
    path = cases_csv(tmp_path, bad_row=57)
    before = database_state()

    # batches of 10: rows 1-50 are written before row 57 is read, and must be rolled back
    code, output = cli(
        "nakhon-si-thammarat", "dengue_cases", path, "--id-field", "รหัสผู้ป่วย", "--batch-size", 10
    )

    assert code == 1
    assert (
        "cases.csv: แถว 57 คอลัมน์ วันเริ่มป่วย (onset_date): วันที่ '2026-13-45' ไม่ถูกต้อง / "
        "row 57, field วันเริ่มป่วย (onset_date): invalid date '2026-13-45'"
    ) in output
    assert database_state() == before


def test_a_failing_reimport_leaves_the_previous_import_untouched(nst, tmp_path):
    limits = ImportLimits(batch_size=10)
    good = cases_csv(tmp_path)
    layer_import(
        municipality=nst, kind="dengue_cases", path=good, id_field="รหัสผู้ป่วย", limits=limits
    )
    before = database_state()
    # the new export changes every row's report date (so rows 1-56 would be updated) ...
    text = good.read_text(encoding="utf-8").replace("/02/2569", "/03/2569")
    # ... and has an empty geometry in row 57
    lines = text.splitlines()
    fields = lines[57].split(",")
    fields[-2:] = ["", ""]
    lines[57] = ",".join(fields)
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(ImportRefused) as refused:
        layer_import(
            municipality=nst,
            kind="dengue_cases",
            path=good,
            id_field="รหัสผู้ป่วย",
            limits=limits,
        )

    assert "row 57: no geometry" in str(refused.value)
    assert refused.value.report.updated == 79
    assert database_state() == before


def test_report_date_before_onset_is_a_row_error_not_a_database_error(nst, tmp_path):
    path = cases_csv(tmp_path, n=3)
    text = path.read_text(encoding="utf-8").replace("02/02/2569", "01/12/2568")
    path.write_text(text, encoding="utf-8")
    before = database_state()

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="dengue_cases", path=path)

    assert "row 2: report date 2025-12-01 is before onset date 2026-01-02" in str(refused.value)
    assert database_state() == before


def test_a_cancelled_import_is_rolled_back_including_the_rows_already_written(nst, tmp_path):
    path = cases_csv(tmp_path, n=40)
    before = database_state()
    written_before_cancel = []

    def cancel_after_two_batches(done: int, total: int) -> None:
        if done >= 20:
            written_before_cancel.append(
                DengueCase.objects.filter(municipality=nst, dataset__slug="cases").count()
            )
            raise ImportCancelled

    with pytest.raises(ImportRefused) as refused:
        layer_import(
            municipality=nst,
            kind="dengue_cases",
            path=path,
            limits=ImportLimits(batch_size=10, write_rows=10),  # each batch written at once
            progress=cancel_after_two_batches,
        )

    assert written_before_cancel == [20]
    assert "the import was cancelled" in str(refused.value)
    assert database_state() == before
