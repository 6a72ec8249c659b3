"""Callbacks of the floors above: the ground floor and the apps call them without importing those floors.

An app that changes something the oversight floor keeps a copy of (the nightly summary counts each
institution's rows under its region) calls the hook here, in the transaction of the change; the oversight
floor connects its callback in its AppConfig.ready(). Plain function lists rather than signals: the callbacks
run in order, their results come back, and an error rolls the change back with them.
"""

from collections.abc import Callable

from django.db import connection, transaction

# (institution_id, old_region_code, new_region_code) -> rows rewritten
on_institution_moved: list[Callable[[int, str, str], int]] = []
# () -> None: regions were added, renamed or removed (what an app caches of the region list is stale)
on_regions_changed: list[Callable[[], None]] = []
# () -> None, after the commit of a change that may move a navigation count (queue rows, notifications)
on_work_changed: list[Callable[[], None]] = []


def connect(hook: list, callback: Callable) -> None:
    """Add `callback` to `hook` once (a second ready(), as in some test runners, adds nothing)."""
    if callback not in hook:
        hook.append(callback)


def institution_moved(institution_id: int, old_region: str, new_region: str) -> int:
    """An institution changed region: every callback rewrites what it keeps of it; returns the rows rewritten."""
    return sum(callback(institution_id, old_region, new_region) or 0 for callback in on_institution_moved)


def regions_changed() -> None:
    """Regions were added, renamed or removed: every callback drops what it caches of them (call on commit)."""
    for callback in on_regions_changed:
        callback()


def _work_committed() -> None:
    for callback in on_work_changed:
        callback()


def work_changed() -> None:
    """Call in the transaction of a change that may move someone's navigation counts (record_event and notify do).

    The callbacks run once, after the outermost transaction commits (at once outside one); until then
    `work_pending()` tells readers on this connection that what they would read from a cache is stale.
    """
    if not connection.in_atomic_block:
        _work_committed()
    elif not work_pending():
        transaction.on_commit(_work_committed)


def work_pending() -> bool:
    """Whether this connection's open transaction holds a change of work not yet committed (and announced)."""
    return connection.in_atomic_block and any(entry[1] is _work_committed for entry in connection.run_on_commit)
