"""Reading user files in a forked child that sees only the upload's folder and has no network.

The GDAL guard (`analysis.gdal_guard`) keeps every reference-following driver out of the
process; this is the second wall, for whatever the guard did not think of. Where the platform
allows it, the child process that runs GDAL over an upload:

- leaves the network: a new, empty network namespace (as root directly; otherwise inside a new
  user namespace, which Linux lets an unprivileged process create), so not even loopback answers;
- gives up gaining privileges (`PR_SET_NO_NEW_PRIVS`), then restricts itself with Landlock
  (Linux 5.13 and newer): it may read the upload's folder, the Python installation and the
  system's libraries and nothing else (not the project's `.env`, not `media/`, not other
  uploads, not `/etc`), write nowhere, and (Landlock ABI 4, Linux 6.7) connect to no TCP port.

Each step that the kernel refuses is skipped and recorded (`Confinement`), and the work goes on
behind the guard alone: a kernel without Landlock or user namespaces is not a reason to stop
importing. Forking is only done where it is safe (`layers.imports.sources.fork_safe`); elsewhere
the work runs in this process. Hand-written with ctypes: Python 3.11 has neither `os.unshare`
nor Landlock, and no maintained package wraps both for a forked child (see
docs/decisions/0002-gdal-guard-and-reader-sandbox.md).
"""

from __future__ import annotations

import ctypes
import errno
import os
import pickle
import sys
import traceback
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Pipe
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_NO_NEW_PRIVS = 38
_SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
# Filesystem rights by the Landlock ABI that introduced them.
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_READ = _FS_READ_FILE | _FS_READ_DIR
_READ_EXECUTE = _READ | _FS_EXECUTE
# System folders a reader needs (shared libraries, time zones); not /etc, /home, /root, /tmp.
SYSTEM_READABLE = ("/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/etc/localtime")
PROJECT_PACKAGES = ("analysis", "layers", "geoapp")


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


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


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _network_leave(libc: ctypes.CDLL) -> bool:
    flags = _CLONE_NEWNET if os.geteuid() == 0 else _CLONE_NEWUSER | _CLONE_NEWNET
    return libc.unshare(flags) == 0


def _landlock_abi(libc: ctypes.CDLL) -> int:
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(
        _SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), _LANDLOCK_CREATE_RULESET_VERSION
    )
    return max(int(abi), 0)


def _fs_rights(abi: int) -> int:
    return max(rights for since, rights in _FS_RIGHTS_BY_ABI.items() if since <= abi)


def readable_roots(readable: Iterable[Path | str]) -> list[Path]:
    """What a confined reader may read: `readable`, Python's installation, system libraries."""
    project = Path(__file__).resolve().parents[2]
    roots = [Path(p) for p in readable]
    roots += [Path(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    roots += [project / package for package in PROJECT_PACKAGES]
    roots += [Path(p) for p in SYSTEM_READABLE]
    return [root for root in roots if root.exists()]


def _landlock_restrict(libc: ctypes.CDLL, abi: int, readable: Iterable[Path | str]) -> None:
    attr = _RulesetAttr(handled_access_fs=_fs_rights(abi))
    size = 8
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP  # and no rule allows any port
        size = 16
    ruleset = libc.syscall(
        _SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0
    )
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        allowed = [(Path(p), _READ) for p in readable] + [
            (root, _READ_EXECUTE) for root in readable_roots(())
        ]
        for path, rights in allowed:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                directory = os.path.isdir(path)
                rule = _PathBeneathAttr(
                    allowed_access=rights if directory else rights & ~_FS_READ_DIR, parent_fd=fd
                )
                added = libc.syscall(
                    _SYS_LANDLOCK_ADD_RULE,
                    ruleset,
                    _LANDLOCK_RULE_PATH_BENEATH,
                    ctypes.byref(rule),
                    0,
                )
                if added:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0):
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def confine(readable: Iterable[Path | str]) -> Confinement:
    """Confine this process (a single-threaded child) to reading `readable`, with no network.

    Irreversible: call it only in a child that exists to do the confined work.
    """
    libc = _libc()
    readable = [Path(p).resolve() for p in readable]
    network = _network_leave(libc)
    abi = _landlock_abi(libc)
    if abi:
        try:
            _landlock_restrict(libc, abi, readable)
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise
            abi = 0
    return Confinement(network_namespace=network, landlock_abi=abi)


def run_confined(
    function: Callable[..., T],
    *args: object,
    readable: Iterable[Path | str],
    in_child: bool,
    **kwargs: object,
) -> T:
    """`function(*args, **kwargs)` in a confined forked child when `in_child`, else here.

    The result (or the exception) comes back pickled; an exception that cannot be rebuilt
    arrives as a RuntimeError with its traceback. `function` must not use the database.
    """
    if not in_child or not hasattr(os, "fork"):
        return function(*args, **kwargs)
    readable = list(readable)
    receiver, sender = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: it only computes and sends
        code = 1
        try:
            receiver.close()
            try:
                confine(readable)
                outcome = ("ok", function(*args, **kwargs))
            except BaseException as error:
                outcome = ("error", error)
            sender.send_bytes(_pickled(outcome))
            code = 0
        finally:
            os._exit(code)
    sender.close()
    try:
        what, value = pickle.loads(receiver.recv_bytes())
    except EOFError:
        raise RuntimeError("the confined reader ended without a word (killed?)") from None
    finally:
        receiver.close()
        with suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if what == "error":
        raise value
    return value


def _pickled(outcome: tuple[str, object]) -> bytes:
    try:
        payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(payload)
        return payload
    except Exception:
        _what, value = outcome
        text = (
            "".join(traceback.format_exception(value))
            if isinstance(value, BaseException)
            else repr(value)
        )
        return pickle.dumps(("error", RuntimeError(f"confined reader failed:\n{text}")))
