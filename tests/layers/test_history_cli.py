"""The history commands: feature_history, restore_feature, rollback_import (exit codes, text)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from layers.models import Landmark, Road
from tests.layers.import_data import cli as import_cli
from tests.layers.import_data import roads_frame, write_geojson
from tests.layers.test_history import row_text, table_state

CODE = "nakhon-si-thammarat"


def run(command: str, *args: object) -> tuple[int, str]:
    """Run a command as the command line would: (exit code, everything it printed)."""
    out = io.StringIO()
    try:
        call_command(command, *[str(a) for a in args], stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_feature_history_lists_each_version_with_what_changed(nst):
    landmark = Landmark.objects.filter(municipality=nst).order_by("id").first()
    Landmark.objects.filter(pk=landmark.pk).update(name_th="วัดทดสอบประวัติ")

    code, output = run("feature_history", CODE, "landmarks", landmark.pk)

    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("v1 ")
    assert " insert" in lines[0]
    assert lines[1].startswith("v2 ")
    assert " update" in lines[1]
    assert f"name_th: {landmark.name_th!r} -> 'วัดทดสอบประวัติ'" in output
    assert "now: exists" in output


def test_restore_feature_brings_back_a_deleted_road_and_exits_0(nst):
    road = Road.objects.filter(municipality=nst).order_by("id")[10]
    original = row_text("layers_road", road.pk)
    Road.objects.filter(pk=road.pk).delete()

    code, output = run("restore_feature", CODE, "roads", road.pk)

    assert code == 0, output
    assert "recreated" in output
    assert row_text("layers_road", road.pk) == original


def test_restore_feature_to_a_given_version(nst):
    road = Road.objects.filter(municipality=nst).order_by("id")[11]
    original = row_text("layers_road", road.pk)
    Road.objects.filter(pk=road.pk).update(name_th="หนึ่ง")
    Road.objects.filter(pk=road.pk).update(name_th="สอง")

    code, output = run("restore_feature", CODE, "roads", road.pk, "--version", 1)

    assert code == 0, output
    assert row_text("layers_road", road.pk) == original


@pytest.mark.parametrize(
    ("args", "returncode", "fragment"),
    [
        (("no-such-town", "roads", 1), 2, "no municipality with code 'no-such-town'"),
        ((CODE, "rivers", 1), 2, "unknown layer 'rivers'"),
        ((CODE, "roads", 10**12), 1, "no history for feature 1000000000000 of roads"),
    ],
)
def test_restore_feature_failures_exit_non_zero_with_a_specific_message(
    nst, args, returncode, fragment
):
    code, output = run("restore_feature", *args)

    assert code == returncode
    assert fragment in output


def test_restore_feature_unknown_version_exits_2(nst):
    road = Road.objects.filter(municipality=nst).first()

    code, output = run("restore_feature", CODE, "roads", road.pk, "--version", 7)

    assert code == 2
    assert "there is no version 7 (1 to 1)" in output
    assert "ไม่มีรุ่นที่ 7" in output


def _import(tmp_path, frame, name):
    path = write_geojson(frame, tmp_path / name)
    code, output = import_cli(CODE, "roads", path, "--id-field", "id", "--dataset", "cli-hist")
    assert code == 0, output
    line = next(line for line in output.splitlines() if "import id:" in line)
    return int(line.split("import id:")[1].split()[0])


def test_rollback_import_dry_run_changes_nothing_then_the_rollback_does(nst, tmp_path):
    before = table_state("layers_road", nst.pk)
    import_id = _import(tmp_path, roads_frame(4), "roads.geojson")
    imported = table_state("layers_road", nst.pk)

    dry_code, dry = run("rollback_import", CODE, import_id, "--dry-run")
    assert dry_code == 0, dry
    assert "removed: 4" in dry
    assert "dry run" in dry
    assert table_state("layers_road", nst.pk) == imported

    code, output = run("rollback_import", CODE, import_id)

    assert code == 0, output
    assert "removed: 4" in output
    assert table_state("layers_road", nst.pk) == before


def test_rollback_import_refuses_after_a_later_edit_and_exits_1(nst, tmp_path):
    import_id = _import(tmp_path, roads_frame(2), "roads.geojson")
    road = Road.objects.get(municipality=nst, source_id="r1", dataset__slug="cli-hist")
    Road.objects.filter(pk=road.pk).update(lanes=4)

    code, output = run("rollback_import", CODE, import_id)
    dry_code, dry = run("rollback_import", CODE, import_id, "--dry-run")

    assert code == 1
    assert f"were changed again afterwards ({road.pk})" in output
    assert dry_code == 1
    assert f"changed again afterwards: {road.pk}" in dry
    assert Road.objects.filter(pk=road.pk, lanes=4).exists()


@pytest.mark.parametrize(
    ("args", "returncode", "fragment"),
    [
        (("no-such-town", 1), 2, "no municipality with code 'no-such-town'"),
        ((CODE, 10**9), 2, "no import 1000000000 in nakhon-si-thammarat"),
    ],
)
def test_rollback_import_unknown_things_exit_2(nst, args, returncode, fragment):
    code, output = run("rollback_import", *args)

    assert code == returncode
    assert fragment in output
