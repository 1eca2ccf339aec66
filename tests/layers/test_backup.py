"""`make backup` / `make restore`: a backup restores into a fresh database, every row intact."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "backup.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.fixture
def restored_name(db):
    name = f"{connection.settings_dict['NAME']}_restored"
    yield name
    subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, 'scripts'); "
         f"from db_setup import admin_for_configured_database as a; "
         f"a().sql('DROP DATABASE IF EXISTS \"{name}\"')"],
        cwd=ROOT, check=False,
    )  # fmt: skip


def test_a_backup_restores_into_a_fresh_database_with_equal_counts_and_checksums(
    tmp_path, restored_name
):
    source = connection.settings_dict["NAME"]

    made = run("backup", "--database", source, "--out", str(tmp_path))
    backup = next(tmp_path.glob("*.tar"))
    restored = run("restore", str(backup), "--database", restored_name)

    assert made.returncode == 0, made.stderr
    assert restored.returncode == 0, restored.stderr
    assert "row counts and checksums match" in restored.stdout
    with tarfile.open(backup) as archive:
        assert {"database.dump", "manifest.json"} <= set(archive.getnames())


def test_a_restore_does_not_overwrite_an_existing_database_without_force(tmp_path, db):
    source = connection.settings_dict["NAME"]
    run("backup", "--database", source, "--out", str(tmp_path))

    refused = run("restore", str(next(tmp_path.glob("*.tar"))), "--database", source)

    assert refused.returncode != 0
    assert "--force" in refused.stderr


def test_a_tampered_backup_is_reported(tmp_path, restored_name):
    source = connection.settings_dict["NAME"]
    run("backup", "--database", source, "--out", str(tmp_path))
    original = next(tmp_path.glob("*.tar"))
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(original) as src, tarfile.open(tampered, "w") as dst:
        for member in src.getmembers():
            if not member.isfile():  # media/ folders (datasets, rasters)
                dst.addfile(member)
                continue
            data = src.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"]["layers_road"][0] += 1
                data = json.dumps(manifest).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))

    result = run("restore", str(tampered), "--database", restored_name)

    assert result.returncode != 0
    assert "layers_road" in result.stderr


def test_a_file_that_is_not_a_backup_gets_a_clear_error(tmp_path, restored_name):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file")

    result = run("restore", str(junk), "--database", restored_name)

    assert result.returncode != 0
    assert "not a readable Mueang backup" in result.stderr
    assert "Traceback" not in result.stderr
