"""Figures every staff page shows in its navigation: unread notifications and the queue's counts per kind.

Building and running the queue's capped counts costs ~15 ms a page, so they are cached per user for
NAV_COUNTS_CACHE_SECONDS (60 by default) under one version number that every change of work bumps after its
commit (regulator/hooks.py: record_event and notify call `work_changed`, so every service does): a change
shows on the next page, the cache only spares the pages in between. The version and the user's counts are
read in one MGET (regulator/cache.py). A request whose own transaction holds an uncommitted change reads
them live.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from regulator import cache as versioned
from regulator import hooks

VERSION_KEY = "oversight:nav-version"


def bump_version() -> None:
    versioned.bump_version(VERSION_KEY)


def _key(user) -> str:
    # Role and department are part of what the counts are of; the day, because kinds may depend on it.
    return f"oversight:nav:{user.pk}:{user.department_id}:{user.role}:{timezone.localdate().isoformat()}"


def cached_counts(user) -> dict:
    from .queue import nav_counts as queue_nav_counts

    timeout = getattr(settings, "NAV_COUNTS_CACHE_SECONDS", 60)
    if timeout <= 0 or hooks.work_pending():
        return queue_nav_counts(user)
    key = _key(user)
    version, counts = versioned.read_versioned(key, VERSION_KEY)
    if counts is None:
        counts = queue_nav_counts(user)
        versioned.store_versioned(key, version, counts, timeout)
    return counts


def nav_counts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never render the navigation (JSON, files) pay nothing; those that do pay one cache read
    # (and one query when the counts are not cached).
    return {"nav_counts": SimpleLazyObject(lambda: cached_counts(user))}
