"""Locks so that a periodic job never runs twice at once: a session-level advisory lock on PostgreSQL, an exclusive
lock on a file beside the database on SQLite (the demo: every process that writes to it runs on the same
machine), so a second chaser skips cleanly on both."""

import hashlib
import os
import tempfile
import zlib
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

try:
    import fcntl
except ImportError:  # Windows: msvcrt's byte-range lock instead
    fcntl = None
    import msvcrt


@contextmanager
def advisory_lock(name: str, *, wait: bool = False):
    """Yield True if this process holds the lock named `name`; False if another one does. With wait=True, wait for
    the other one to let go instead (and yield True): for work that must run after the other's, not be skipped."""
    if connection.vendor != "postgresql":
        with file_lock(name, wait=wait) as acquired:
            yield acquired
        return
    key = zlib.crc32(name.encode())
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            acquired = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def lock_path(name: str) -> Path:
    """The lock file of `name` for the current database: beside the SQLite file (in a `.locks` folder), or in the
    temporary directory for an in-memory database. The operating system releases it when the process dies."""
    database = str(connection.settings_dict.get("NAME") or "")
    if database and os.path.isabs(database) and "mode=memory" not in database:
        folder = Path(f"{database}.locks")
    else:
        digest = hashlib.sha256(f"{settings.BASE_DIR}|{database}".encode()).hexdigest()[:16]
        folder = Path(tempfile.gettempdir()) / f"regulator-locks-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (hashlib.sha256(name.encode()).hexdigest()[:24] + ".lock")


@contextmanager
def file_lock(name: str, *, wait: bool = False):
    """Yield True while this process holds an exclusive lock on the file of `name`, else False (non-blocking; with
    wait=True it waits for the lock)."""
    handle = open(lock_path(name), "a+b")  # noqa: SIM115 - closed in finally
    acquired = False
    try:
        try:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
            acquired = True
        except OSError:
            acquired = False
        yield acquired
    finally:
        if acquired:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            else:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        handle.close()
