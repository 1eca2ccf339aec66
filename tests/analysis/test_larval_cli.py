"""`python -m analysis larval-indices SURVEY [--by COLUMN] --json`, run as a subprocess."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "data" / "larval" / "survey_sample.csv"
HEADER = "house_id,place_type,container_type,location,containers,positive"
INDEX_KEYS = [
    "houses_surveyed", "houses_positive", "hi", "containers", "containers_positive", "ci", "bi",
    "houses_vacant", "houses_refused", "houses_closed", "houses_without_containers", "risk",
]  # fmt: skip
TOP_KEYS = [*INDEX_KEYS, "by", "groups", "repeat_visits", "thresholds"]


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "larval-indices", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def as_json(*args: object) -> dict:
    done = cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def write(tmp_path: Path, text: str | bytes, name: str = "survey.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def test_json_has_exactly_the_documented_keys_and_the_sample_answer():
    out = as_json(SAMPLE, "--by", "zone")
    assert list(out) == TOP_KEYS
    assert [out[key] for key in INDEX_KEYS[:7]] == [11, 6, 54.55, 59, 10, 16.95, 90.91]
    assert out["by"] == "zone"
    assert [list(group) for group in out["groups"]] == [["value", *INDEX_KEYS]] * 2
    z1, z2 = out["groups"]
    assert (z1["value"], z1["houses_surveyed"], z1["hi"], z1["ci"], z1["bi"]) == (
        "Z1", 8, 50.0, 13.64, 75.0
    )  # fmt: skip
    assert (z2["value"], z2["houses_surveyed"], z2["hi"], z2["ci"], z2["bi"]) == (
        "Z2", 3, 66.67, 26.67, 133.33
    )  # fmt: skip
    assert out["repeat_visits"] == [
        {
            "house_id": "H03",
            "round": "1",
            "survey_date": "2025-06-02",
            "counted_date": "2025-06-05",
        },
        {
            "house_id": "H05",
            "round": "1",
            "survey_date": "2025-06-02",
            "counted_date": "2025-06-03",
        },
    ]
    assert out["thresholds"] == {"hi": [10.0, 50.0], "ci": [0.0, 5.0]}


def test_without_by_groups_is_an_empty_list():
    out = as_json(SAMPLE)
    assert (out["by"], out["groups"]) == (None, [])


def test_thai_group_values_and_risk_by_place(tmp_path):
    out = as_json(SAMPLE, "--by", "community")
    by_value = {group["value"]: group for group in out["groups"]}
    market = by_value["ชุมชนตลาด"]  # H01-H05 in round 1, H01 and H02 in round 2: 4 of 7 positive
    assert (market["houses_surveyed"], market["houses_positive"], market["hi"]) == (7, 4, 57.14)
    assert market["risk"] == {"index": "hi", "level": "high"}
    assert by_value["วัดกลาง"]["risk"] == {"index": "ci", "level": "high"}  # CI 20.0
    assert by_value["โรงเรียนเทศบาล 1"]["risk"] == {"index": "ci", "level": "low"}


def test_bands_can_be_overridden():
    out = as_json(SAMPLE, "--by", "place_type", "--hi-bands", "60,80")
    community = next(g for g in out["groups"] if g["value"] == "community")
    assert community["risk"] == {"index": "hi", "level": "low"}  # 55.56 <= 60
    assert out["thresholds"]["hi"] == [60.0, 80.0]


def test_bom_crlf_and_blank_lines_even_at_the_end_give_the_same_answer(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    windows = "\ufeff" + "\r\n".join([*lines[:5], "", *lines[5:], "", ""]) + "\r\n"
    assert as_json(write(tmp_path, windows)) == as_json(SAMPLE)


def test_header_only_gives_zero_houses_and_null_indices(tmp_path):
    out = as_json(write(tmp_path, HEADER + "\n"))
    assert (out["houses_surveyed"], out["hi"], out["ci"], out["bi"]) == (0, None, None, None)


def test_text_output_lists_groups_and_the_total():
    done = cli(SAMPLE, "--by", "round")
    assert done.returncode == 0, done.stderr
    assert "total: 11 houses surveyed, HI 54.55, CI 16.95, BI 90.91" in done.stdout
    assert "2 repeat visit(s) not counted" in done.stdout


# --- refusals: exit status 2, the line, the field and the reason, nothing on stdout ------------


def refused(path: Path, *args: object) -> str:
    done = cli(path, *args, "--json")
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    assert done.stderr.startswith("larval-indices: error: ")
    return done.stderr


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("A,community,1,indoor,2,3", "line 3, field positive: 3 positive containers is more"),
        ("A,community,1,indoor,-1,0", "line 3, field containers: negative number -1"),
        ("A,community,1,indoor,99999999999999999999999,0", "line 3, field containers: 99999"),
        ("A,community,ถังปูน,indoor,2,0", "line 3, field container_type: unknown container type"),
        ("A,mall,1,indoor,2,0", "line 3, field place_type: unknown place_type 'mall'"),
        ("\"=cmd|' /C calc'!A0\",community,1,indoor,1,0", 'line 3, field house_id: "=cmd'),
        ("@SUM(1+1),community,1,indoor,1,0", "line 3, field house_id: '@SUM(1+1)' starts like"),
    ],
)
def test_bad_rows_are_refused_with_their_line(tmp_path, row, expected):
    path = write(tmp_path, f"{HEADER}\nOK,community,2,outdoor,1,0\n{row}\n")
    error = refused(path)
    assert expected in error
    assert "บรรทัด 3 คอลัมน์" in error


def test_line_numbers_count_blank_lines_and_the_bom(tmp_path):
    path = write(
        tmp_path, f"\ufeff{HEADER}\r\nA,community,1,indoor,1,0\r\n\r\nB,community,1,indoor,1,4\r\n"
    )
    assert "line 4, field positive" in refused(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"\xef\xbb\xbf\r\n", "empty file"),
        (b"house_id,place_type\nA,community\n", "missing column(s) container_type"),
        (
            HEADER.encode() + b",house_id\nA,community,1,indoor,1,0,B\n",
            "repeated column(s): house_id",
        ),
        (f"{HEADER}\nA,community,1,indoor,1,0,extra\n".encode(), "more fields than the header"),
        (f"{HEADER}\nA,community,1,indoor,1,0\nB,community,1,indoor,1,0,x\n".encode(), "line 3"),
        (f'{HEADER}\nA,community,1,indoor,1,0\n"B\nC",community,1,indoor,1,0\n'.encode(), "line 3"),
        (f"{HEADER}\nA,ชุมชน,1,indoor,1,0\n".encode("cp874"), "line 2 is not UTF-8"),
        (f"{HEADER}\nA,community,1,indoor,1,0\x00\n".encode(), "NUL"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(tmp_path, content, expected):
    assert expected in refused(write(tmp_path, content))


def test_a_missing_file_and_a_missing_group_column_are_refused(tmp_path):
    assert "no such file" in refused(tmp_path / "nope.csv")
    assert "no column 'zone'" in refused(write(tmp_path, HEADER + "\n"), "--by", "zone")


def test_bad_bands_are_refused(tmp_path):
    assert "HI bands" in refused(SAMPLE, "--hi-bands", "50,10")
    done = cli(SAMPLE, "--ci-bands", "five")
    assert done.returncode == 2
    assert "two numbers like 10,50" in done.stderr


def test_old_mac_line_ends_are_read_too(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8").replace("\n", "\r")
    assert as_json(write(tmp_path, text)) == as_json(SAMPLE)


# --- hostile cells never crash the command (in-process: many examples) ------------------------

HOSTILE_CELLS = [
    "", " ", "-1", "1e400", "NaN", "inf", "None", "=1+1", "+1", "@x", "\t1", "๓", "0x10", "1_000",
    "9" * 400, "ก" * 500, "\u200b", "\ufeff", '"', "a,b", "2568-01-01", "2025-02-30", "1.0",
    " 1 ", "ＩＮＤＯＯＲ", "Indoor", "Vacant", "\r", "\n", "community\u00a0", "9" * 20,
]  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 21), st.integers(0, 10), st.sampled_from(HOSTILE_CELLS)),
        min_size=1,
        max_size=4,
    ),
    by=st.sampled_from([None, "zone", "round", "community", "house_id", "location"]),
)
def test_a_hostile_cell_gives_an_answer_or_a_refusal_never_a_crash(edits, by, tmp_path_factory):
    rows = [line.split(",") for line in SAMPLE.read_text(encoding="utf-8").splitlines()[1:]]
    for row, column, value in edits:
        rows[row][column] = '"' + value.replace('"', '""') + '"'
    header = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path_factory.mktemp("fuzz") / "survey.csv"
    path.write_text("\n".join([header, *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["larval-indices", str(path), "--json", *(["--by", by] if by else [])])
    if code == 0:
        assert list(json.loads(out.getvalue())) == TOP_KEYS
    else:
        assert code == 2
        assert err.getvalue().startswith("larval-indices: error: ")
        assert "line " in err.getvalue() or "column" in err.getvalue()
