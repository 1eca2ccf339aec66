"""Read the Thai gettext catalogue in tests (msgid -> msgstr)."""

from __future__ import annotations

import json
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[1] / "geoapp/locale/th/LC_MESSAGES/django.po"


def thai_catalogue() -> dict[str, str]:
    """Msgid -> first msgstr of the Thai .po file (multi-line strings joined)."""
    entries = {}
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        msgid: list[str] = []
        msgstr: list[str] = []
        current = None
        for line in block.splitlines():
            if line.startswith("msgid "):
                current, line = msgid, line[6:]
            elif line.startswith(("msgstr ", "msgstr[0] ")):
                current, line = msgstr, line.split(" ", 1)[1]
            elif line.startswith(("msgid_plural", "msgstr[")):
                current = None
                continue
            elif not line.startswith('"'):
                continue
            if current is not None:
                current.append(json.loads(line))
        entries["".join(msgid)] = "".join(msgstr)
    return entries
