"""Back up and restore Mueang: the database (pg_dump custom format) plus uploaded files.

    python scripts/backup.py backup [--database NAME] [--out DIR]      (make backup)
    python scripts/backup.py restore FILE [--database NAME] [--force]  (make restore FILE=...)
    python scripts/backup.py verify FILE --database NAME

A backup is one .tar holding `database.dump`, the `media/` folder and `manifest.json` with the
row count and a checksum of every table, so a restore can be checked. Both run as a PostgreSQL
superuser (found like `make db` does, or MUEANG_ADMIN_DATABASE_URL): row-level security hides
every municipality from the application role, and a backup must hold them all.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

from db_setup import APP_DB, APP_ROLE, ROOT, admin_for_configured_database, literal, log, read_env

MEDIA = ROOT / "media"


def _database_name(name: str | None) -> str:
    if name:
        return name
    url = read_env().get("DATABASE_URL", "")
    return urlparse(url).path.lstrip("/") or APP_DB


def table_fingerprints(admin, database: str) -> dict[str, list]:
    """Row count and an order-independent checksum of every table of the public schema."""
    tables = admin.sql(
        "SELECT string_agg(quote_ident(tablename), ',' ORDER BY tablename) FROM pg_tables "
        "WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'",
        db=database,
    ).split(",")
    result = {}
    for table in filter(None, tables):
        rows = "md5(t::text)"
        count, checksum = admin.sql(
            f"SELECT count(*), coalesce(md5(string_agg({rows}, '' ORDER BY {rows})), '')"
            f" FROM {table} t",
            db=database,
        ).split("|")
        result[table] = [int(count), checksum]
    return result


def backup(database: str, out_dir: Path) -> Path:
    admin = admin_for_configured_database()
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = out_dir / f"mueang-{database}-{stamp}.tar"
    dump = subprocess.run(
        admin.command("pg_dump", "--format=custom", *admin.database(database)),
        capture_output=True,
        check=False,
    )
    if dump.returncode != 0:
        sys.exit(f"[backup] pg_dump failed: {dump.stderr.decode().strip()}")
    manifest = {
        "database": database,
        "created": stamp,
        "tables": table_fingerprints(admin, database),
    }
    with tarfile.open(target, "w") as archive:
        _add_bytes(archive, "database.dump", dump.stdout)
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
        if MEDIA.is_dir():
            archive.add(MEDIA, arcname="media")
    log(f"backup written to {target} ({target.stat().st_size:,} bytes)")
    return target


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _read_backup(path: Path) -> tuple[bytes, dict, tarfile.TarFile]:
    try:
        archive = tarfile.open(path)  # noqa: SIM115 (media files are extracted from it later)
        dump = archive.extractfile("database.dump").read()
        manifest = json.loads(archive.extractfile("manifest.json").read())
        manifest["tables"]
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError, AttributeError) as error:
        sys.exit(f"[restore] {path} is not a readable Mueang backup: {error}")
    return dump, manifest, archive


def restore(path: Path, database: str, *, force: bool) -> None:
    admin = admin_for_configured_database()
    dump, manifest, archive = _read_backup(path)
    exists = admin.sql(f"SELECT 1 FROM pg_database WHERE datname = {literal(database)}")
    if exists and not force:
        sys.exit(f"[restore] database {database} exists; pass --force to replace it")
    if exists:
        admin.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = {literal(database)} AND pid <> pg_backend_pid()"
        )
        admin.sql(f'DROP DATABASE "{database}"')
    admin.sql(f'CREATE DATABASE "{database}" OWNER {APP_ROLE} TEMPLATE template0')
    with tempfile.NamedTemporaryFile(suffix=".dump") as handle:
        handle.write(dump)
        handle.flush()
        Path(handle.name).chmod(0o644)  # pg_restore may run as the postgres system user
        result = subprocess.run(
            admin.command(
                "pg_restore", "--exit-on-error", "--no-acl", *admin.database(database), handle.name
            ),
            capture_output=True,
            check=False,
        )
    if result.returncode != 0:
        sys.exit(f"[restore] pg_restore failed: {result.stderr.decode().strip()}")
    members = [m for m in archive.getmembers() if m.name.startswith("media/")]
    if members:
        archive.extractall(ROOT, members=members, filter="data")
    verify(manifest, admin, database)
    log(f"restored {path.name} into {database}")


def verify(manifest: dict, admin, database: str) -> None:
    restored = table_fingerprints(admin, database)
    if restored != manifest["tables"]:
        differ = sorted(t for t in manifest["tables"] if restored.get(t) != manifest["tables"][t])
        sys.exit(f"[restore] restored data differs from the backup in: {', '.join(differ)}")
    log(f"verified {len(restored)} tables: row counts and checksums match the backup")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("backup")
    make.add_argument("--database")
    make.add_argument("--out", type=Path, default=ROOT / "backups")
    back = sub.add_parser("restore")
    back.add_argument("file", type=Path)
    back.add_argument("--database")
    back.add_argument("--force", action="store_true")
    check = sub.add_parser("verify")
    check.add_argument("file", type=Path)
    check.add_argument("--database", required=True)
    args = parser.parse_args(argv)
    if args.command == "backup":
        backup(_database_name(args.database), args.out)
    elif args.command == "restore":
        restore(args.file, _database_name(args.database), force=args.force)
    else:
        _dump, manifest, _archive = _read_backup(args.file)
        verify(manifest, admin_for_configured_database(), args.database)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
