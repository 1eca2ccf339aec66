"""A throwaway PostgreSQL cluster for fault tests: the shared server on :5432 is never touched.

Built from scripts/db_setup.py (the same initdb options, role, databases and PostGIS as `make
db`); as root the cluster runs as the `postgres` system user, because PostgreSQL refuses root.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import db_setup  # noqa: E402


def binaries_missing() -> str | None:
    """Why no cluster can be started here, or None when initdb and pg_ctl are at hand."""
    for name in ("initdb", "pg_ctl", "postgres"):
        if shutil.which(name) or any(Path("/usr/lib/postgresql").glob(f"*/bin/{name}")):
            continue
        return f"{name} not found on PATH nor in /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0 and subprocess.run(["id", "postgres"], capture_output=True).returncode:
        return "running as root and there is no `postgres` system user to own the cluster"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """initdb + pg_ctl in a temporary folder, on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.owner = "postgres" if os.geteuid() == 0 else None
        self.folder = Path(tempfile.mkdtemp(prefix="mueang-faults-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.password = secrets.token_urlsafe(12)
        self.log = self.folder / "server.log"
        if self.owner:
            shutil.chown(self.folder, self.owner, self.owner)
        self.folder.chmod(0o700)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # -l on every start: without it the server would inherit (and hold open) our pipes.
        command = [db_setup.pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args]
        return db_setup.run(command, user=self.owner, check=check, timeout=60)

    def start(self) -> None:
        db_setup.run(
            [
                db_setup.pg_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync",
            ],
            user=self.owner,
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._pg_ctl("-o", options, "-w", "start")
        self.admin = db_setup.Admin(
            ["-h", str(self.folder), "-p", str(self.port), "-U", "postgres"], self.owner
        )
        db_setup.provision(self.admin, self.password)

    @property
    def url(self) -> str:
        return (
            f"postgis://{db_setup.APP_ROLE}:{quote(self.password)}@127.0.0.1:{self.port}/"
            f"{db_setup.APP_DB}"
        )

    def restart(self) -> None:
        """Fast restart: open sessions are terminated, their transactions rolled back."""
        self._pg_ctl("-m", "fast", "-w", "restart")

    def sql(self, statement: str) -> str:
        return self.admin.sql(statement, db=db_setup.APP_DB)

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


class Standby:
    """A streaming replica of `primary` (pg_basebackup -R) in its own folder, on a free port."""

    def __init__(self, primary: Cluster) -> None:
        self.primary = primary
        self.owner = primary.owner
        self.folder = Path(tempfile.mkdtemp(prefix="mueang-standby-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.log = self.folder / "server.log"
        if self.owner:
            shutil.chown(self.folder, self.owner, self.owner)
        self.folder.chmod(0o700)

    def start(self) -> None:
        db_setup.run(
            [
                db_setup.pg_bin("pg_basebackup"), "-D", str(self.data), "-R", "-X", "stream",
                "-h", str(self.primary.folder), "-p", str(self.primary.port), "-U", "postgres",
                "--checkpoint=fast",
                "--no-sync",
            ],
            user=self.owner,
            timeout=120,
        )  # fmt: skip
        self._pg_ctl(
            "-o",
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {self.folder} -c fsync=off",
            "-w",
            "start",
        )
        self.admin = db_setup.Admin(
            ["-h", str(self.folder), "-p", str(self.port), "-U", "postgres"], self.owner
        )

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [db_setup.pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args]
        return db_setup.run(command, user=self.owner, check=check, timeout=60)

    @property
    def url(self) -> str:
        """The application's connection to the replica (same role and password: replicated)."""
        return self.primary.url.replace(f":{self.primary.port}/", f":{self.port}/")

    def sql(self, statement: str) -> str:
        return self.admin.sql(statement, db=db_setup.APP_DB)

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
