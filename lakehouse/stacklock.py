"""A lock per stack, held by the session that deployed (or attached to) it.

`make destroy` in a second terminal must never take down a stack a running `pytest features/`
is verifying: that stopped the session's emulator mid-apply, and its own teardown then hung in
the provider's retries against a dead endpoint. The lock is an advisory ``flock`` on a file in
the stack's folder: the kernel drops it when the holder exits, however it exits (``kill -9``
included), so a crashed session never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "session.lock"
#: Locks this process holds: path -> (fd, holders). Within one process the lock is shared (a session
#: and the helpers it calls, or a test and the destroy it runs, are one owner).
_HELD: dict[Path, tuple[int, int]] = {}
#: A child the holder runs (``run_demo_queries.sh`` in exit check 2) gets the holder's locked descriptor and its
#: number in this variable: it is inside the holder's hold, which a lock of its own would wait for (``child_env``).
INHERIT_ENV = "LAKEHOUSE_STACK_LOCK_FD"
#: Locks this process holds through a descriptor its parent passed it: never unlocked here (that is the parent's).
_INHERITED: set[Path] = set()


class StackBusy(RuntimeError):
    """Another live process holds the stack's lock."""


class StackLock:
    """``acquire`` once per session; ``release`` (or process exit) lets ``make destroy`` in.

    A session that deploys (and will destroy) holds it exclusively; sessions that only verify a
    deployed stack (``--deployed``, each xdist worker of one) share it. Destroy needs it exclusively,
    so it waits for neither kind: it refuses.
    """

    def __init__(self, stack_dir: Path, shared: bool = False):
        self.path = stack_dir / LOCK_FILE
        self.shared = shared
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        key = self.path.resolve() if self.path.exists() else self.path.absolute()
        if key in _HELD:
            fd, holders = _HELD[key]
            _HELD[key] = (fd, holders + 1)
            self._fd = fd
            return
        if (inherited := _inherited_fd(self.path)) is not None:
            _HELD[key] = (inherited, 1)
            _INHERITED.add(key)
            self._fd = inherited
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StackBusy(f"it is in use by a running session ({holder(self.path)})") from None
        if not self.shared:  # the pid of a deploying session, for the message
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        _HELD[self.path.resolve()] = (fd, 1)

    def release(self) -> None:
        if self._fd is None:
            return
        key = self.path.resolve() if self.path.exists() else self.path.absolute()
        fd, holders = _HELD.pop(key, (self._fd, 1))
        self._fd = None
        if holders > 1:
            _HELD[key] = (fd, holders - 1)
            return
        if key in _INHERITED:  # the parent's hold: the parent releases it
            _INHERITED.discard(key)
            return
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None


def _inherited_fd(path: Path) -> int | None:
    """The descriptor ``INHERIT_ENV`` names when it is open on ``path``'s lock file itself, else ``None``.

    Checked by the file's identity (device, inode): a variable left in the environment of a process that was
    not passed the descriptor, or names another file, is ignored and the process takes a lock of its own.
    """
    named = os.environ.get(INHERIT_ENV, "")
    if not named.isdigit() or not path.exists():
        return None
    try:
        held, file = os.fstat(int(named)), os.stat(path)
    except OSError:
        return None
    return int(named) if (held.st_dev, held.st_ino) == (file.st_dev, file.st_ino) else None


def child_env(stack_dir: Path) -> tuple[dict[str, str], tuple[int, ...]]:
    """Environment and descriptors (``subprocess``'s ``pass_fds``) that let a child share this process's hold on
    ``stack_dir``'s stack: a deploying session holds it exclusively, so a child's own lock would be refused.
    Nothing when this process holds no lock there (the child then takes its own)."""
    path = stack_dir / LOCK_FILE
    if not path.exists() or (found := _HELD.get(path.resolve())) is None:
        return {}, ()
    return {INHERIT_ENV: str(found[0])}, (found[0],)


def holder(path: Path) -> str:
    """Who holds the lock, for the message (the pid the holder wrote)."""
    try:
        pid = path.read_text(encoding="utf-8").strip()
    except OSError:
        return "pid unknown"
    return f"pid {pid}" if pid else "pid unknown"


def busy(stack_dir: Path) -> str | None:
    """``None`` when nobody holds the stack's lock, else who does (a probe: takes and drops it)."""
    lock = StackLock(stack_dir)
    if not lock.path.exists():
        return None
    try:
        lock.acquire()
    except StackBusy:
        return holder(lock.path)
    lock.release()
    return None
