"""Callbacks of the floors above: the ground floor and the apps call them without importing those floors.

An app that changes something the oversight floor keeps a copy of (the nightly summary counts each
institution's rows under its region) calls the hook here, in the transaction of the change; the oversight
floor connects its callback in its AppConfig.ready(). Plain function lists rather than signals: the callbacks
run in order, their results come back, and an error rolls the change back with them.
"""

from collections.abc import Callable

# (institution_id, old_region_code, new_region_code) -> rows rewritten
on_institution_moved: list[Callable[[int, str, str], int]] = []
# () -> None: regions were added, renamed or removed (what an app caches of the region list is stale)
on_regions_changed: list[Callable[[], None]] = []


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
