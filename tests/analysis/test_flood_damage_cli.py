"""`python -m analysis flood-damage` on real files: GeoTIFF, GeoJSON, GeoPackage and CSV."""

import json
import subprocess
import sys

import numpy as np
import pytest
from shapely import Point, box

from analysis.cli import main
from tests.analysis.flood_helpers import frame, write_raster

# Residential at 0.2 m: 0.327 x 0.4; commercial at 1.7 m: 0.659 + 0.104 x 0.4.
HOUSE_AT_RASTER = 0.1308 * 26_500 * 64 * 2  # 443,673.6
SHOP_AT_RASTER = 0.7006 * 29_200 * 80  # 1,636,601.6


@pytest.fixture
def files(tmp_path):
    paths = {
        "depth": tmp_path / "depth.tif",
        "zones": tmp_path / "zones.geojson",
        "classes": tmp_path / "classes.geojson",
        "wetdry": tmp_path / "wetdry.geojson",
        "houses": tmp_path / "houses.gpkg",
        "points": tmp_path / "points.geojson",
        "areas": tmp_path / "areas.geojson",
        "curves": tmp_path / "curves.csv",
        "values": tmp_path / "values.csv",
    }
    # 10 m cells from x = 0: 0.2, 0.9, 1.7, nodata.
    write_raster(paths["depth"], np.array([[0.2, 0.9, 1.7, -9999]]), origin=(0, 5))
    frame([box(0, -10, 20, 10), box(20, -10, 40, 10)], depth=[0.5, 2.0]).to_file(paths["zones"])
    frame([box(0, -10, 40, 10)], hazard_class=["medium"]).to_file(paths["classes"])
    frame([box(0, -10, 40, 10)], status=["wet"]).to_file(paths["wetdry"])
    frame(
        [box(1, -4, 9, 4), box(15, -4, 25, 4), box(31, -4, 39, 4)],
        id=[11, 12, 13],
        building=["house", "retail", "ห้องแถว"],
        levels=[2, None, 1],
    ).to_file(paths["houses"])
    frame([Point(5, 0)]).to_file(paths["points"])
    frame([box(-10, -10, 12, 10), box(12, -10, 60, 10)], name=["ตะวันตก", "east"]).to_file(
        paths["areas"]
    )
    paths["curves"].write_text(
        "type,depth_m,fraction\nresidential,0,0\nresidential,1,0.5\nresidential,2,1\n",
        encoding="utf-8",
    )
    paths["values"].write_text("type,baht_per_m2\nresidential,10000\n", encoding="utf-8")
    return paths


def run_json(capsys, *args):
    status = main(["flood-damage", *map(str, args), "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


def test_raster_hazard_damage_per_building_and_totals(capsys, files):
    report = run_json(
        capsys,
        "--hazard",
        files["depth"],
        "--exposure",
        files["houses"],
        "--type-field",
        "building",
    )
    assert report["buildings"] == [
        {
            "id": 11,
            "type": "residential",
            "max_depth_m": 0.2,
            "damage_fraction": 0.1308,
            "damage_baht": pytest.approx(HOUSE_AT_RASTER),
        },
        {
            "id": 12,
            "type": "commercial",
            "max_depth_m": 1.7,
            "damage_fraction": 0.7006,
            "damage_baht": pytest.approx(SHOP_AT_RASTER),
        },
        {
            "id": 13,
            "type": "residential",
            "max_depth_m": None,
            "damage_fraction": 0.0,
            "damage_baht": 0.0,
        },
    ]
    assert report["floors_field"] == "levels"
    assert report["total_damage_baht"] == pytest.approx(HOUSE_AT_RASTER + SHOP_AT_RASTER)
    assert report["buildings_damaged"] == 2
    assert report["buildings_total"] == 3
    assert report["by_type"]["commercial"] == {
        "buildings": 1,
        "buildings_damaged": 1,
        "damage_baht": pytest.approx(SHOP_AT_RASTER),
    }
    assert report["by_type"]["public"] == {
        "buildings": 0,
        "buildings_damaged": 0,
        "damage_baht": 0.0,
    }
    assert "JRC105688" in report["curves"]


def test_without_a_type_field_every_building_is_residential(capsys, files):
    report = run_json(capsys, "--hazard", files["depth"], "--exposure", files["houses"])
    assert {b["type"] for b in report["buildings"]} == {"residential"}
    assert report["buildings"][1]["damage_baht"] == pytest.approx(0.6586 * 26_500 * 80)


def test_polygons_with_a_depth_field(capsys, files):
    report = run_json(
        capsys,
        "--hazard",
        files["zones"],
        "--hazard-field",
        "depth",
        "--exposure",
        files["houses"],
        "--type-field",
        "building",
        "--aggregation",
        files["areas"],
    )
    baht = [0.327 * 26_500 * 64 * 2, 0.763 * 29_200 * 80, 0.721 * 26_500 * 64]
    assert [b["max_depth_m"] for b in report["buildings"]] == [0.5, 2.0, 2.0]
    assert [b["damage_baht"] for b in report["buildings"]] == pytest.approx(baht)
    assert report["by_area"]["ตะวันตก"]["total_damage_baht"] == pytest.approx(baht[0])
    assert report["by_area"]["east"]["buildings_damaged"] == 2


def test_polygons_with_classes_take_the_class_depth(capsys, files):
    report = run_json(capsys, "--hazard", files["classes"], "--exposure", files["houses"])
    assert [b["max_depth_m"] for b in report["buildings"]] == [1.1, 1.1, 1.1]
    fraction = 0.494 + (0.617 - 0.494) * 0.2
    assert report["buildings"][2]["damage_fraction"] == pytest.approx(fraction, abs=1e-4)


def test_own_curves_and_values_from_csv(capsys, files):
    report = run_json(
        capsys,
        "--hazard",
        files["depth"],
        "--exposure",
        files["houses"],
        "--curves",
        files["curves"],
        "--values",
        files["values"],
    )
    first = report["buildings"][0]
    assert first["damage_fraction"] == pytest.approx(0.1)
    assert first["damage_baht"] == pytest.approx(0.1 * 10_000 * 64 * 2)
    assert report["curves"] == str(files["curves"])


def test_table_output_names_the_total(capsys, files):
    status = main(
        ["flood-damage", "--hazard", str(files["depth"]), "--exposure", str(files["houses"])]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "2 of 3 buildings damaged" in out
    assert "residential" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hazard", "missing.tif"], "hazard file not found"),
        (["--hazard-field", "depth"], "drop --hazard-field"),
        (["--hazard", "wetdry"], "give --class-field F, or --hazard-field"),
        (["--type-field", "colour"], "no type field 'colour'"),
        (["--floors-field", "storeys"], "no floors field 'storeys'"),
        (["--exposure", "points"], "buildings must be polygons"),
        (["--curves", "bad_type"], "type must be one of"),
        (["--curves", "falling"], "must not fall"),
        (["--values", "not_number"], "baht_per_m2 is not a number"),
        (["--values", "no_columns"], "needs the columns type, baht_per_m2"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_status_2(capsys, files, tmp_path, args, message):
    extra = {
        "bad_type": "type,depth_m,fraction\nhouseboat,0,0\nhouseboat,1,1\n",
        "falling": "type,depth_m,fraction\nresidential,0,0.5\nresidential,1,0.2\n",
        "not_number": "type,baht_per_m2\nresidential,lots\n",
        "no_columns": "kind,value\nresidential,1\n",
    }
    for name, text in extra.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    resolved = [
        str(files[a])
        if a in files
        else str(tmp_path / f"{a}.csv")
        if a in extra
        else str(tmp_path / a)
        if "." in a
        else a
        for a in args
    ]
    base = {"--hazard": str(files["depth"]), "--exposure": str(files["houses"])}
    argv = ["flood-damage"]
    for key, value in base.items():
        if key not in args:
            argv += [key, value]
    status = main([*argv, *resolved, "--json"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert message in captured.err
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("flood-damage: error: ")


def test_runs_as_a_module(files):
    """The command as analysts type it: a fresh interpreter, Thai kept in the JSON."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "flood-damage",
            "--hazard",
            str(files["zones"]),
            "--hazard-field",
            "depth",
            "--exposure",
            str(files["houses"]),
            "--aggregation",
            str(files["areas"]),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "ตะวันตก" in report["by_area"]
    assert report["buildings_damaged"] == 3
