"""Figures every staff page shows in its navigation: unread notifications and the queue's counts per kind; and the
navigation itself, rendered.

Building and running the queue's capped counts costs ~15 ms a page, so they are cached per user for
NAV_COUNTS_CACHE_SECONDS (60 by default) under one version number that every change of work bumps after its
commit (regulator/hooks.py: record_event and notify call `work_changed`, so every service does): a change
shows on the next page, the cache only spares the pages in between. The version and the user's counts are
read in one MGET (regulator/cache.py). A request whose own transaction holds an uncommitted change reads
them live.

The navigation (templates/_nav.html: ~20 links and translations, the counts, who is signed in) is the same on
every page of a user until the counts change, so it is rendered once per language and stored in the same cache
entry as the counts it shows: the MGET that reads the counts brings the HTML with it. It holds no CSRF token (the
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


def bump_version() -> None:
    versioned.bump_version(VERSION_KEY)


def _key(user) -> str:
    # Role and department are part of what the counts are of; the day, because kinds may depend on it. (Not
    # "oversight:nav:", where the counts alone were stored before the navigation joined them.)
    return f"oversight:navigation:{user.pk}:{user.department_id}:{user.role}:{timezone.localdate().isoformat()}"


def _timeout() -> int:
    return getattr(settings, "NAV_COUNTS_CACHE_SECONDS", 60)


class _Navigation:
    """One request's navigation: the cache entry read once (at most one MGET), the HTML rendered at most once.

    The entry is {"counts": …, "html": {(language, who): html}}, stored under the nav version."""

    def __init__(self, user):
        self.user = user
        self._entry = None
        self._version = None

    def entry(self) -> dict:
        if self._entry is None:
            if _timeout() <= 0 or hooks.work_pending():
                self._entry = {"counts": queue_nav_counts(self.user), "html": {}}
            else:
                self._version, stored = versioned.read_versioned(_key(self.user), VERSION_KEY)
                if stored is None or "counts" not in stored:
                    stored = {"counts": queue_nav_counts(self.user), "html": {}}
                    versioned.store_versioned(_key(self.user), self._version, stored, _timeout())
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
    # Lazy: pages that never render the navigation (JSON, files) pay nothing; those that do pay one cache read
    # (and one query when the counts are not cached).
    navigation = _Navigation(user)
    return {"nav_counts": SimpleLazyObject(navigation.counts), "nav_html": SimpleLazyObject(navigation.html)}
