"""Figures every staff page shows in its navigation: unread notifications and the queue's counts per kind; and the
navigation itself, rendered.

Building and running the queue's capped counts costs ~15 ms a page, so they are cached per user for
NAV_COUNTS_CACHE_SECONDS (60 by default) under one version number that every change of work bumps after its
commit (regulator/hooks.py: record_event and notify call `work_changed`, so every service does): a change
shows on the next page, the cache only spares the pages in between. A request whose own transaction holds an
uncommitted change reads them live.

The version comes with the session: the session store reads it in the same MGET as the session itself
(regulator/sessions.py), and each process keeps the entries it read or built keyed by the version they belong to
(at most _LOCAL_KEPT): a page then makes no cache read of its own for its navigation. A new version misses that
copy, so a change shows as soon as before; a version this process bumped since the session was read is read again.
Without a version from the session (no session loaded, a bump since), the version and the entry are read in one
MGET (regulator/cache.py).

The navigation (templates/_nav.html: ~20 links and translations, the counts, who is signed in) is the same on
every page of a user until the counts change, so it is rendered once per language and stored in the same cache
entry as the counts it shows: what brings the counts brings the HTML with it. It holds no CSRF token (the
sign-out form stays in base.html) and is keyed by what it shows of the user (name, department, role — whose label
follows from the role and the language —, admin).
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from regulator import cache as versioned
from regulator import hooks

from .queue import nav_counts as queue_nav_counts

VERSION_KEY = "oversight:nav-version"
NAV_TEMPLATE = "_nav.html"


versioned.read_with_session(VERSION_KEY)

# (cache key, version) -> the entry: what this process read or built under that version.
_local: dict[tuple[str, int], dict] = {}
_LOCAL_KEPT = 4096


def bump_version() -> None:
    versioned.bump_version(VERSION_KEY)


def clear_local() -> None:
    """Forget this process's entries (the tests, which empty Redis between tests: a version restarted from the clock
    could meet one handed out in an earlier test)."""
    _local.clear()


def _key(user) -> str:
    # Role and department are part of what the counts are of; the day, because kinds may depend on it. (Not
    # "oversight:nav:", where the counts alone were stored before the navigation joined them.)
    return f"oversight:navigation:{user.pk}:{user.department_id}:{user.role}:{timezone.localdate().isoformat()}"


def _timeout() -> int:
    return getattr(settings, "NAV_COUNTS_CACHE_SECONDS", 60)


class _Navigation:
    """One request's navigation: the cache entry read once (at most one MGET), the HTML rendered at most once.

    The entry is {"counts": …, "html": {(language, who): html}}, stored under the nav version."""

    def __init__(self, user, version: int | None = None):
        self.user = user
        self._entry = None
        self._version = version  # the nav version, when the session's read brought it

    def entry(self) -> dict:
        if self._entry is None:
            if _timeout() <= 0 or hooks.work_pending():
                self._entry = {"counts": queue_nav_counts(self.user), "html": {}}
                self._version = None
                return self._entry
            key = _key(self.user)
            if self._version is not None:
                stored = _local.get((key, self._version))
                if stored is None:
                    stored = versioned.stored_under(key, self._version)
            else:  # the version and the entry in one MGET
                self._version, stored = versioned.read_versioned(key, VERSION_KEY)
                stored = _local.get((key, self._version)) or stored
            if stored is None or "counts" not in stored:
                stored = {"counts": queue_nav_counts(self.user), "html": {}}
                versioned.store_versioned(key, self._version, stored, _timeout())
            if (key, self._version) not in _local:
                if len(_local) >= _LOCAL_KEPT:
                    _local.clear()
                _local[(key, self._version)] = stored
            self._entry = stored
        return self._entry

    def counts(self) -> dict:
        return self.entry()["counts"]

    def html(self) -> str:
        user = self.user
        entry = self.entry()
        department = str(user.department) if user.department_id else ""
        who = (get_language(), str(user), department, user.role, user.is_admin_role, user.is_staff)
        html = entry["html"].get(who)
        if html is None:
            html = render_to_string(NAV_TEMPLATE, {"user": user, "nav_counts": entry["counts"]})
            entry["html"][who] = html
            if self._version is not None:  # cached: store the entry with its new HTML (same version)
                versioned.store_versioned(_key(user), self._version, entry, _timeout())
        return mark_safe(html)  # noqa: S308 - rendered by the template engine, autoescaped


def cached_counts(user) -> dict:
    return _Navigation(user).counts()


def nav_counts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never render the navigation (JSON, files) pay nothing; those that do pay no cache read of
    # their own when the session's read brought the version and this process holds that version's entry, at most
    # one otherwise (and one query when the counts are not cached).
    read_along = getattr(getattr(request, "session", None), "read_along", None)
    navigation = _Navigation(user, versioned.version_read_along(read_along, VERSION_KEY))
    return {"nav_counts": SimpleLazyObject(navigation.counts), "nav_html": SimpleLazyObject(navigation.html)}
