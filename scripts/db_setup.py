"""Find or start PostgreSQL, then create Mueang's role, databases and PostGIS; write `.env`.

Order (issue #2): `DATABASE_URL` if set; else a PostgreSQL answering on 127.0.0.1:5432; else a
cluster created and started under the project folder (`.pgdata/`, port 54329). PostgreSQL refuses
to run as root, so as root the cluster runs as the `postgres` system user.

Idempotent: a second run finds everything in place and changes nothing. Standard library only, so
it runs before or without the virtual environment.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".env"
LOCAL_DATA = ROOT / ".pgdata"
LOCAL_PORT = 54329
APP_ROLE = "mueang"
APP_DB = "mueang"
TEMPLATE_DB = "mueang_template"


def log(message: str) -> None:
    print(f"[db] {message}", flush=True)


def run(cmd: list[str], *, check: bool = True, user: str | None = None, **kw):
    if user and os.geteuid() == 0:
        cmd = ["runuser", "-u", user, "--", *cmd]
    elif user and user != _current_user():
        cmd = ["sudo", "-u", user, *cmd]
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)


def _current_user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in versions:
        if (directory / name).exists():
            return str(directory / name)
    sys.exit(f"[db] {name} not found: install PostgreSQL (make sysdeps)")


def read_env() -> dict[str, str]:
    values: dict[str, str] = {}
    if ENV_FILE.exists():
        for line in ENV_FILE.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


def write_env(values: dict[str, str]) -> None:
    if read_env() == values:
        return
    lines = ["# Written by scripts/db_setup.py (make db); local settings, never commit."]
    lines += [f"{key}={value}" for key, value in values.items()]
    ENV_FILE.write_text("\n".join(lines) + "\n")
    ENV_FILE.chmod(0o600)
    log(f"wrote {ENV_FILE.name}")


class Admin:
    """A way to run PostgreSQL client programs as a superuser: connection options + OS user."""

    def __init__(self, options: list[str], user: str | None, url: str | None = None):
        self.options, self.user, self.url = options, user, url

    def database(self, name: str) -> list[str]:
        """The arguments that select database `name` (within the admin URL, if one is given)."""
        if self.url:
            return ["-d", urlparse(self.url)._replace(path=f"/{name}").geturl()]
        return ["-d", name]

    def command(self, program: str, *args: str) -> list[str]:
        """The full command line of a client program (psql, pg_dump, ...) as this superuser."""
        cmd = [pg_bin(program), *self.options, *args]
        if self.user and os.geteuid() == 0:
            return ["runuser", "-u", self.user, "--", *cmd]
        if self.user and self.user != _current_user():
            return ["sudo", "-u", self.user, *cmd]
        return cmd

    def sql(self, statement: str, *, db: str = "postgres", check: bool = True) -> str:
        cmd = self.command("psql", *self.database(db), "-v", "ON_ERROR_STOP=1", "-tAc", statement)
        result = subprocess.run(cmd, check=False, text=True, capture_output=True)
        if check and result.returncode != 0:
            sys.exit(f"[db] SQL failed ({statement[:60]}...): {result.stderr.strip()}")
        return result.stdout.strip()

    def works(self) -> bool:
        try:
            return self.sql("select 1", check=False) == "1"
        except (OSError, subprocess.SubprocessError):
            return False


def answers(host: str, port: int) -> bool:
    result = subprocess.run(
        [pg_bin("pg_isready"), "-h", host, "-p", str(port), "-t", "3"],
        capture_output=True,
        check=False,
    )
    # 0 = accepting, 1 = rejecting (starting up); both mean a server is there.
    return result.returncode in (0, 1)


def admin_for_system_server() -> Admin | None:
    candidates = [
        Admin(["-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-w"], None),
        Admin(["-p", "5432"], "postgres"),  # local socket, peer authentication
    ]
    for admin in candidates:
        if admin.works():
            return admin
    return None


def start_local_cluster() -> Admin:
    """Create (once) and start a cluster in `.pgdata`, owned by a non-root user."""
    owner = "postgres" if os.geteuid() == 0 else None
    if owner:
        probe = run(["test", "-x", str(ROOT)], user=owner, check=False)
        if probe.returncode != 0:
            sys.exit(
                f"[db] the postgres user cannot reach {ROOT}; move the project to a readable "
                "folder or set DATABASE_URL"
            )
    if not (LOCAL_DATA / "PG_VERSION").exists():
        log(f"creating a local PostgreSQL cluster in {LOCAL_DATA}")
        LOCAL_DATA.mkdir(mode=0o700, exist_ok=True)
        if owner:
            shutil.chown(LOCAL_DATA, owner, owner)
        run(
            [
                pg_bin("initdb"),
                "-D",
                str(LOCAL_DATA),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            user=owner,
        )
    if run([pg_bin("pg_ctl"), "-D", str(LOCAL_DATA), "status"], user=owner, check=False).returncode:
        log(f"starting the local cluster on 127.0.0.1:{LOCAL_PORT}")
        options = f"-c listen_addresses=127.0.0.1 -c port={LOCAL_PORT} -k {LOCAL_DATA}"
        run(
            [
                pg_bin("pg_ctl"),
                "-D",
                str(LOCAL_DATA),
                "-l",
                str(LOCAL_DATA / "server.log"),
                "-o",
                options,
                "-w",
                "start",
            ],
            user=owner,
        )
    return local_cluster_admin()


def local_cluster_admin() -> Admin:
    owner = "postgres" if os.geteuid() == 0 else None
    return Admin(["-h", str(LOCAL_DATA), "-p", str(LOCAL_PORT), "-U", "postgres"], owner)


def admin_for_configured_database() -> Admin:
    """A superuser for the server that `.env` (or DATABASE_URL) points at, for backups."""
    if os.environ.get("MUEANG_ADMIN_DATABASE_URL"):
        return Admin([], None, url=os.environ["MUEANG_ADMIN_DATABASE_URL"])
    url = urlparse(os.environ.get("DATABASE_URL") or read_env().get("DATABASE_URL", ""))
    if url.port == LOCAL_PORT:
        return local_cluster_admin()
    if url.hostname in ("127.0.0.1", "localhost") and (url.port or 5432) == 5432:
        admin = admin_for_system_server()
        if admin:
            return admin
    sys.exit(
        "[db] no superuser access to the database server: set MUEANG_ADMIN_DATABASE_URL "
        "(backups must read every municipality, past row-level security)"
    )


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def provision(admin: Admin, password: str) -> None:
    """Create the application role, its database and a PostGIS template for test databases."""
    exists = admin.sql(f"select 1 from pg_roles where rolname = {literal(APP_ROLE)}")
    verb = "alter" if exists else "create"
    # Not a superuser and no BYPASSRLS: row-level security must apply to the application.
    # CREATEDB lets the test runner create its own database from the template.
    admin.sql(
        f"{verb} role {APP_ROLE} login password {literal(password)} "
        "nosuperuser nobypassrls createdb nocreaterole"
    )
    for db, is_template in ((APP_DB, False), (TEMPLATE_DB, True)):
        if not admin.sql(f"select 1 from pg_database where datname = {literal(db)}"):
            log(f"creating database {db}")
            admin.sql(f"create database {db} owner {APP_ROLE} encoding 'UTF8' template template0")
        # PostGIS is not a trusted extension: a superuser creates it, once per database.
        admin.sql("create extension if not exists postgis", db=db)
        # Under row-level security PostgreSQL only pushes LEAKPROOF operators into index
        # scans; `&&` (bounding boxes overlap) raises no data-dependent errors, so declaring it
        # leakproof lets spatial filters use the GiST indexes again.
        admin.sql("alter function geometry_overlaps(geometry, geometry) leakproof", db=db)
        if is_template:
            admin.sql(f"alter database {db} is_template true")


def _local_secrets(values: dict[str, str]) -> dict[str, str]:
    """Keep existing secrets; generate the missing ones."""
    return {
        "SECRET_KEY": values.get("SECRET_KEY") or secrets.token_urlsafe(48),
        # A Fernet key (32 random bytes, URL-safe base64) for personal data at rest.
        "MUEANG_PII_KEYS": values.get("MUEANG_PII_KEYS")
        or base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }


def main() -> None:
    values = read_env()
    if os.environ.get("DATABASE_URL"):
        url = urlparse(os.environ["DATABASE_URL"])
        log(f"using DATABASE_URL ({url.hostname}:{url.port or 5432}/{url.path.lstrip('/')})")
        write_env({**values, **_local_secrets(values)})
        return
    password = values.get("MUEANG_DB_PASSWORD") or secrets.token_urlsafe(18)
    force_local = os.environ.get("MUEANG_LOCAL_CLUSTER") == "1"
    if not force_local and answers("127.0.0.1", 5432):
        admin = admin_for_system_server()
        if admin is None:
            sys.exit(
                "[db] PostgreSQL answers on 127.0.0.1:5432 but neither trust nor the postgres "
                "account gives superuser access; set DATABASE_URL to a database with PostGIS"
            )
        host, port = "127.0.0.1", 5432
        log("using the PostgreSQL server on 127.0.0.1:5432")
    else:
        admin = start_local_cluster()
        host, port = "127.0.0.1", LOCAL_PORT
    provision(admin, password)
    values.update(
        {
            "DATABASE_URL": f"postgis://{APP_ROLE}:{quote(password)}@{host}:{port}/{APP_DB}",
            "MUEANG_DB_PASSWORD": password,
            "MUEANG_DB_TEMPLATE": TEMPLATE_DB,
            **_local_secrets(values),
        }
    )
    write_env(values)
    log(f"ready: {APP_DB} on {host}:{port} as role {APP_ROLE}")


if __name__ == "__main__":
    main()
