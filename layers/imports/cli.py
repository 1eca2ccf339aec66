"""What the import commands share: a progress bar on stderr and refusals as command errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from layers.imports.messages import ImportRefused, Issue

MAX_ERRORS_SHOWN = 20
USAGE_ERROR = 2
NOTHING_IMPORTED = "ไม่ได้นำเข้าข้อมูลใดเลย / nothing was imported"


def refusal_text(refused: ImportRefused) -> str:
    """The first issues of a refusal, one per line, with a count of the rest."""
    shown = [str(issue) for issue in refused.issues[:MAX_ERRORS_SHOWN]]
    hidden = len(refused.issues) - len(shown)
    if hidden > 0:
        shown.append(str(Issue("issues_truncated", params={"count": hidden})))
    return "\n".join(shown)


class _Bar(tqdm):
    monitor_interval = 0  # no monitor thread: an import forks its reader only without threads


class RowProgress:
    """`progress(done, total)` for the import service, drawn as a bar on stderr (on a terminal).

    A count that starts again (the next layer of a multi-layer import) starts a new bar; a
    total that grows (an estimate corrected) stretches the bar.
    """

    def __init__(self) -> None:
        self.bar: _Bar | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None and done < self.bar.n:
            self.close()
        if self.bar is None:
            self.bar = _Bar(total=total, unit=" rows", file=sys.stderr, disable=None, leave=False)
        elif total != self.bar.total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextmanager
def import_errors(command: BaseCommand, file: str, *, traceback: bool = False) -> Iterator[None]:
    """Turn a refusal (with what the import saw) or any other failure into a CommandError.

    A file must never show a stack trace: an unexpected error says what broke and that nothing
    changed (`--traceback` shows it for developers).
    """
    try:
        yield
    except ImportRefused as refused:
        if refused.report is not None:
            for line in refused.report.lines():
                command.stdout.write(line)
        raise CommandError(refusal_text(refused) + "\n" + NOTHING_IMPORTED) from None
    except Exception as error:
        if traceback:
            raise
        raise CommandError(
            f"{file}: เกิดข้อผิดพลาดที่ไม่คาดคิด ไม่ได้นำเข้าข้อมูลใดเลย / "
            f"unexpected error ({type(error).__name__}: {error}); nothing was imported"
        ) from None
