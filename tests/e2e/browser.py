"""How Mueang starts Debian's chromium headless (shared by the browser tests and benchmarks)."""

from __future__ import annotations

import os
import shutil

# Without the background-networking flags chromium calls Google's hosts at start-up; the
# no-third-party-request checks must see only what the page itself asks for.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Return Debian's chromium, which `make test` installs (Playwright downloads no browser)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        raise FileNotFoundError("Debian's chromium is missing: run `make test`, which installs it")
    return path
