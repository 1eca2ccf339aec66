"""Reading user files in a forked child that sees only the upload's folder and has no network.

The GDAL guard (`analysis.gdal_guard`) keeps every reference-following driver out of the
process; this is the second wall, for whatever the guard did not think of. Where the platform
allows it, the child process that runs GDAL over an upload:

- leaves the network: a new, empty network namespace (as root directly; otherwise inside a new
  user namespace, which Linux lets an unprivileged process create), so not even loopback answers;
- gives up gaining privileges (`PR_SET_NO_NEW_PRIVS`) and restricts itself with Landlock
  (Linux 5.13 and newer, through `landlockpy`): it may read the upload's folder, the Python
  installation and the system's libraries and nothing else (not the project's `.env`, not
  `media/`, not other uploads, not `/etc`), write nowhere, reach no abstract UNIX socket
  (ABI 6), use no TCP port (ABI 4, Linux 6.7) and reach no UNIX socket by path (ABI 9; on
  older kernels a socket file such as PostgreSQL's stays reachable, behind its own
  authentication, and no driver left by the guard speaks to one).

Each step that the kernel refuses is skipped and recorded (`Confinement`), and the work goes on
behind the guard alone: a kernel without Landlock or user namespaces is not a reason to stop
importing. Forking is only done where it is safe (`layers.imports.sources.fork_safe`); elsewhere
the work runs in this process. Leaving the network is one `unshare` through ctypes (Python
3.11 has no `os.unshare`); see docs/decisions/0002-gdal-guard-and-reader-sandbox.md.
"""

from __future__ import annotations

import ctypes
import errno
import io
import logging
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Pipe
from pathlib import Path
from typing import Any, TypeVar

import landlockpy
from landlockpy import AccessFS, Scope

T = TypeVar("T")
log = logging.getLogger(__name__)

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_READ = AccessFS.READ_FILE | AccessFS.READ_DIR
_READ_EXECUTE = _READ | AccessFS.EXECUTE
# System folders a reader needs (shared libraries, time zones); not /etc, /home, /root, /tmp.
SYSTEM_READABLE = ("/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/etc/localtime")
PROJECT_PACKAGES = ("analysis", "layers", "geoapp")
# A spawned reader (where forking is not safe) must answer within this many seconds.
SPAWN_TIMEOUT_S = 600
# What a confined reader's answer may be made of. Its answers are unpickled here, so a reader
# taken over through a GDAL bug must not be able to name any other callable (`os.system`).
_SAFE_BUILTINS = frozenset(
    {"bool", "bytearray", "bytes", "complex", "dict", "float", "frozenset", "int", "list",
     "range", "set", "slice", "str", "tuple", "object", "RuntimeError", "ValueError"}
)  # fmt: skip
_SAFE_CALLABLES = frozenset(
    {
        ("copyreg", "_reconstructor"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
        ("shapely.io", "from_wkb"),
        ("shapely.geometry.base", "_from_wkb"),
    }
)
# Modules whose classes (never their functions) an answer may hold.
_SAFE_CLASS_MODULES = ("layers.imports.", "datetime", "decimal", "pathlib", "collections")
_confined = False  # this process is a confined reader (`confine` ran)
# A spawned reader: Django first (the pickled function's module may import models).
_SPAWN_CODE = (
    "import sys, django; django.setup(); "
    "from layers.imports.sandbox import _main; sys.exit(_main())"
)


@dataclass(frozen=True)
class Confinement:
    """What the kernel granted: a network namespace, and Landlock's ABI (0: none)."""

    network_namespace: bool
    landlock_abi: int

    @property
    def network_closed(self) -> bool:
        return self.network_namespace or self.landlock_abi >= 4

    @property
    def files_confined(self) -> bool:
        return self.landlock_abi >= 1


class _AnswerUnpickler(pickle.Unpickler):
    """Unpickles only the builtins, numpy arrays and `layers.imports` classes answers hold."""

    def find_class(self, module: str, name: str) -> object:
        if module == "builtins" and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if (module, name) in _SAFE_CALLABLES:
            return super().find_class(module, name)
        if module.startswith(_SAFE_CLASS_MODULES) or module.startswith("numpy"):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"a confined reader may not send {module}.{name}")


def answer_loads(data: bytes) -> Any:
    """Unpickle a confined reader's answer, refusing anything but plain data classes."""
    return _AnswerUnpickler(io.BytesIO(data)).load()


def confined() -> bool:
    """Whether this process is a confined reader."""
    return _confined


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _network_leave(libc: ctypes.CDLL) -> bool:
    flags = _CLONE_NEWNET if os.geteuid() == 0 else _CLONE_NEWUSER | _CLONE_NEWNET
    return libc.unshare(flags) == 0


def readable_roots(readable: Iterable[Path | str]) -> list[Path]:
    """What a confined reader may read: `readable`, Python's installation, system libraries."""
    project = Path(__file__).resolve().parents[2]
    roots = [Path(p) for p in readable]
    roots += [Path(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    roots += [project / package for package in PROJECT_PACKAGES]
    roots += [Path(p) for p in SYSTEM_READABLE]
    return [root for root in roots if root.exists()]


def _landlock_restrict(readable: Iterable[Path]) -> int:
    """Read `readable` and the installation, write nothing, no TCP/UDP; the ABI (0: none)."""
    if not landlockpy.supported():
        return 0
    # Every filesystem and network right the kernel knows is handled (so denied unless a rule
    # grants it), and the child can neither reach abstract UNIX sockets nor signal outside.
    with landlockpy.Ruleset(scoped=Scope.ABSTRACT_UNIX_SOCKET | Scope.SIGNAL) as ruleset:
        allowed = [(path, _READ) for path in readable]
        allowed += [(root, _READ_EXECUTE) for root in readable_roots(())]
        for path, rights in allowed:
            if path.exists():
                ruleset.allow_path(path, rights if path.is_dir() else rights & ~AccessFS.READ_DIR)
        ruleset.restrict()
        return ruleset.abi_version


def confine(readable: Iterable[Path | str]) -> Confinement:
    """Confine this process (a single-threaded child) to reading `readable`, with no network.

    Irreversible: call it only in a child that exists to do the confined work.
    """
    global _confined
    _confined = True
    roots = [Path(p).resolve() for p in readable]
    network = _network_leave(_libc())
    try:
        abi = _landlock_restrict(roots)
    except landlockpy.LandlockError as error:
        if error.errno not in (errno.EPERM, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
        abi = 0
    return Confinement(network_namespace=network, landlock_abi=abi)


def run_confined(
    function: Callable[..., T],
    *args: object,
    readable: Iterable[Path | str],
    fork_ok: bool,
    **kwargs: object,
) -> T:
    """`function(*args, **kwargs)` in a confined child process; its result or exception here.

    The child is forked when `fork_ok` (`sources.fork_safe`), else a new interpreter is started
    (`_SPAWN_CODE`: Django set up, then `_main`), so that a threaded web server
    confines its readers too. In a confined process already, it runs here. Answers come back
    pickled and are read with `answer_loads`; an exception that cannot be rebuilt arrives as a
    RuntimeError with its traceback. `function` must be importable and must not use the
    database.
    """
    folders = [str(p) for p in readable]
    if _confined or not hasattr(os, "fork"):
        return function(*args, **kwargs)
    if fork_ok:
        payload = _forked(function, args, kwargs, folders)
    else:
        try:
            payload = _spawned(function, args, kwargs, folders)
        except OSError as error:
            # The interpreter cannot be started by this user (a Python under another user's
            # home, say): the GDAL guard alone stands here, and the log says so.
            log.warning("confined reader not started (%s); reading in this process", error)
            return function(*args, **kwargs)
    what, value = answer_loads(payload)
    if what == "error":
        raise value
    return value


def _forked(function: Callable, args: tuple, kwargs: dict, readable: list[str]) -> bytes:
    receiver, sender = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: it only computes and sends
        code = 1
        try:
            receiver.close()
            sender.send_bytes(_outcome(function, args, kwargs, readable))
            code = 0
        finally:
            os._exit(code)
    sender.close()
    try:
        return receiver.recv_bytes()
    except EOFError:
        raise RuntimeError("the confined reader ended without a word (killed?)") from None
    finally:
        receiver.close()
        with suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _spawned(function: Callable, args: tuple, kwargs: dict, readable: list[str]) -> bytes:
    environment = dict(os.environ)
    environment.setdefault("DJANGO_SETTINGS_MODULE", _settings_module())
    completed = subprocess.run(
        [sys.executable, "-c", _SPAWN_CODE],
        input=pickle.dumps((function, args, kwargs, readable), protocol=pickle.HIGHEST_PROTOCOL),
        capture_output=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        timeout=SPAWN_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0 or not completed.stdout:
        detail = completed.stderr.decode("utf-8", "replace")[-3000:]
        raise RuntimeError(f"the confined reader failed ({completed.returncode}):\n{detail}")
    return completed.stdout


def _settings_module() -> str:
    from django.conf import settings

    return settings.SETTINGS_MODULE or "geoapp.settings.local"


def _outcome(function: Callable, args: tuple, kwargs: dict, readable: list[str]) -> bytes:
    try:
        confine(readable)
        outcome = ("ok", function(*args, **kwargs))
    except BaseException as error:
        outcome = ("error", error)
    return answer_dumps(outcome)


def _main() -> int:
    """A spawned confined reader: (function, args, kwargs, readable) pickled on stdin."""
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to stderr, not into the answer
    function, args, kwargs, readable = pickle.loads(sys.stdin.buffer.read())
    answer.write(_outcome(function, args, kwargs, readable))
    answer.flush()
    return 0


def _plain_dumps(value: object) -> bytes:
    """Pickle with Python's own reductions only.

    Other libraries may register reducers for every exception class in `copyreg` (tblib does,
    and dask's distributed installs it on import); answers pickled through those would name
    their functions, which `answer_loads` refuses. A pickler with its own, empty dispatch
    table ignores such registrations.
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {}
    pickler.dump(value)
    return buffer.getvalue()


def answer_dumps(outcome: tuple[str, object]) -> bytes:
    """A reader's answer pickled; an exception that cannot be rebuilt goes as its traceback."""
    try:
        payload = _plain_dumps(outcome)
        answer_loads(payload)  # what the parent will accept, checked before it is sent
        return payload
    except Exception:
        _what, value = outcome
        text = (
            "".join(traceback.format_exception(value))
            if isinstance(value, BaseException)
            else repr(value)
        )
        return _plain_dumps(("error", RuntimeError(f"reader failed:\n{text}")))
