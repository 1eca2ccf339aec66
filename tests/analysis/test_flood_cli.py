import json

import numpy as np
import pytest
from shapely import LineString, Point, box

from analysis.cli import main
from tests.analysis.flood_helpers import frame, write_raster


@pytest.fixture
def files(tmp_path):
    paths = {
        "zones": tmp_path / "zones.geojson",
        "wetdry": tmp_path / "wetdry.geojson",
        "roads": tmp_path / "roads.geojson",
        "temples": tmp_path / "temples.geojson",
        "houses": tmp_path / "houses.gpkg",
        "areas": tmp_path / "areas.geojson",
        "depth": tmp_path / "depth.tif",
    }
    frame(
        [box(0, -10, 40, 10), box(40, -10, 50, 10)],
        hazard_class=["low", "high"],
        flooded=["yes", "yes"],
    ).to_file(paths["zones"])
    frame([box(0, -10, 50, 10), box(50, -10, 90, 10)], status=["W", "D"]).to_file(paths["wetdry"])
    frame(
        [LineString([(-30, 0), (70, 0)]), LineString([(100, 0), (120, 0)])],
        road_class=["primary", "residential"],
    ).to_file(paths["roads"])
    frame(
        [Point(45, 0), Point(10, 0), Point(200, 0)], category=["temple", "school", "temple"]
    ).to_file(paths["temples"])
    frame([box(38, -2, 42, 2)], population=[5]).to_file(paths["houses"])
    frame([box(-100, -100, 25, 100), box(25, -100, 300, 100)], name=["west", "east"]).to_file(
        paths["areas"]
    )
    # 10 m cells from x = 0: 0.2, 0.9, 1.7, nodata.
    write_raster(paths["depth"], np.array([[0.2, 0.9, 1.7, -9999]]), origin=(0, 5))
    return paths


def run_json(capsys, *args):
    status = main(["flood-exposure", *map(str, args), "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


def test_vector_hazard_json_has_one_entry_per_exposure(capsys, files):
    report = run_json(
        capsys,
        "--hazard",
        files["zones"],
        "--class-field",
        "hazard_class",
        "--exposure",
        files["roads"],
        "--exposure",
        files["temples"],
        "--exposure",
        files["houses"],
    )
    assert report["hazard"]["impassable_classes"] == ["low", "medium", "high"]
    roads, temples, houses = report["exposures"]
    assert [e["name"] for e in report["exposures"]] == ["roads", "temples", "houses"]
    assert [e["geometry"] for e in report["exposures"]] == ["line", "point", "polygon"]
    assert roads["total"] == 2
    assert roads["affected"] == 1
    assert roads["by_class"] == {"dry": 1, "low": 0, "medium": 0, "high": 1}
    assert roads["by_type"] == {"primary": 1}
    assert roads["length_m"]["total"] == pytest.approx(120.0)
    assert roads["length_m"]["affected"] == pytest.approx(50.0)
    assert roads["length_m"]["by_class"] == pytest.approx(
        {"dry": 70.0, "low": 40.0, "medium": 0.0, "high": 10.0}
    )
    assert temples["by_class"] == {"dry": 1, "low": 1, "medium": 0, "high": 1}
    assert temples["by_type"] == {"school": 1, "temple": 1}
    assert houses["by_class"]["high"] == 1


def test_wet_dry_hazard(capsys, files):
    report = run_json(
        capsys,
        "--hazard",
        files["wetdry"],
        "--hazard-field",
        "status",
        "--wet-values",
        "W",
        "--exposure",
        files["temples"],
    )
    assert report["hazard"]["classes"] == ["dry", "wet"]
    assert report["exposures"][0]["by_class"] == {"dry": 1, "wet": 2}


def test_raster_hazard_with_custom_breaks(capsys, files):
    report = run_json(
        capsys,
        "--hazard",
        files["depth"],
        "--depth-breaks",
        "0.1,1.0",
        "--impassable-m",
        "0.5",
        "--exposure",
        files["roads"],
        "--exposure",
        files["temples"],
    )
    roads, temples = report["exposures"]
    assert report["hazard"]["kind"] == "raster"
    assert report["hazard"]["classes"] == ["<0.1 m", "0.1-1 m", ">=1 m"]
    # Cells 0.2 and 0.9 m (0.1-1 m), 1.7 m (>= 1 m); nodata and off the raster count as dry.
    assert roads["length_m"]["by_class"] == pytest.approx(
        {"<0.1 m": 90.0, "0.1-1 m": 20.0, ">=1 m": 10.0}
    )
    assert roads["length_m"]["impassable"] == pytest.approx(20.0)
    # The temple at x = 10 stands on the edge of the 0.2 and 0.9 m cells; the others are off
    # the raster (x 0..40): no data.
    assert temples["by_class"] == {"<0.1 m": 2, "0.1-1 m": 1, ">=1 m": 0}
    assert temples["no_data"] == 2


def test_aggregation_by_centroid(capsys, files):
    report = run_json(
        capsys,
        "--hazard",
        files["zones"],
        "--exposure",
        files["temples"],
        "--exposure",
        files["roads"],
        "--aggregation",
        files["areas"],
    )
    temples, roads = report["exposures"]
    assert temples["by_area"]["west"]["affected"] == 1
    assert temples["by_area"]["east"]["total"] == 2
    # Roads count whole in the area of their centroid (x = 20: west; x = 110: east).
    assert roads["by_area"]["west"]["length_m"] == pytest.approx({"total": 100.0, "affected": 50.0})
    assert roads["by_area"]["east"]["length_m"]["total"] == pytest.approx(20.0)


def test_table_output_without_json(capsys, files):
    assert (
        main(["flood-exposure", "--hazard", str(files["zones"]), "--exposure", str(files["roads"])])
        == 0
    )
    assert "length (m)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hazard", "missing.geojson"], "not found"),
        (["--class-field", "nope"], "no field 'nope'"),
        (["--hazard-field", "hazard_class"], "not numeric"),
        (["--type-field", "colour"], "type field"),
        (["--exposure", "missing.gpkg"], "exposure file not found"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_message(capsys, files, args, message):
    base = {"--hazard": str(files["zones"]), "--exposure": str(files["temples"])}
    argv = ["flood-exposure"]
    for key, value in base.items():
        if key not in args:
            argv += [key, value]
    argv += args
    status = main([*argv, "--json"])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err


def test_bad_breaks_are_an_argparse_error(capsys, files):
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "flood-exposure",
                "--hazard",
                str(files["zones"]),
                "--exposure",
                str(files["roads"]),
                "--depth-breaks",
                "0.1,deep",
            ]
        )
    assert exit_info.value.code == 2


def test_bathtub_command_writes_a_depth_raster(capsys, tmp_path):
    dem = write_raster(tmp_path / "dem.tif", np.array([[0.0, 1.0, 9.0, 0.0]]), origin=(0, 10))
    seed = tmp_path / "canal.geojson"
    frame([Point(5, 5), Point(35, 5)], kind=["canal", "pool"]).to_file(seed)
    out = tmp_path / "depth.tif"
    zones_out = tmp_path / "zones.geojson"
    status = main(
        [
            "flood-bathtub",
            "--dem",
            str(dem),
            "--level-m",
            "2",
            "--seed",
            str(seed),
            "--seed-field",
            "kind",
            "--seed-values",
            "canal",
            "--out",
            str(out),
            "--zones-out",
            str(zones_out),
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert status == 0
    assert out.exists()
    assert zones_out.exists()
    assert summary["flooded_cells"] == 2  # the pool's cell is not a seed and not connected


def test_bathtub_bad_seed_is_an_error(capsys, tmp_path):
    dem = write_raster(tmp_path / "dem.tif", np.zeros((2, 2)), origin=(0, 20))
    seed = tmp_path / "far.geojson"
    frame([Point(500, 500)]).to_file(seed)
    status = main(
        [
            "flood-bathtub",
            "--dem",
            str(dem),
            "--level-m",
            "1",
            "--seed",
            str(seed),
            "--out",
            str(tmp_path / "d.tif"),
        ]
    )
    assert status == 2
    assert "does not touch" in capsys.readouterr().err
