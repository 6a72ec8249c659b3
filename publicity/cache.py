"""Cache of the public pages: version-free keys whose values carry the version they were built under.

One version number, bumped when a batch is published or an entry removed, invalidates every cached public
page and download at once without scanning keys, and is part of each page's ETag. A page is stored under a
key of its own parts only, as (version, value); a request reads the current version and the page in one
MGET and uses the page only if its version is the current one (regulator/cache.py), so a cached request
costs one Redis read. The regions offered in the public filters are cached the same way under their own
version, bumped when a region changes (regulator/hooks.py), so a publication does not throw them away.

Each process also keeps the pages it served last (`_Local`), with the public version it last read from Redis (and
likewise the regions list with the regions version):
for settings.PUBLIC_PAGE_LOCAL_SECONDS (1 by default) after that read, a page it holds is served with no Redis
round trip at all — the round trip was most of a cached page's cost (under load, the wait for Redis to be
scheduled). A bump in this process empties its copy at once; a bump in another process (another gunicorn
worker, a Celery task) is seen here within that window, well inside the minute shared caches may keep a public
page anyway (s-maxage=60). 0 turns the copy off (the tests, which clear Redis between tests, do).
"""

import hashlib
import threading
import time

from django.conf import settings

from regulator import cache as versioned

VERSION_KEY = "publicity:public-version"
REGIONS_VERSION_KEY = "publicity:regions-version"
PAGE_TTL = 600
LOCAL_PAGES = 512  # pages a process keeps (~25 KB each for a list page)
LOCAL_MAX_BYTES = 256 * 1024  # bigger values (a whole-list CSV) are read from Redis each time


class _Local:
    """This process's copy of the pages of one public version (thread-safe: one lock, held briefly)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.version = None
        self.read_at = 0.0  # time.monotonic() of the last read of the version from Redis
        self.pages: dict[str, object] = {}

    def get(self, key: str, window: float):
        """(version, value) from the copy, if the version was read less than `window` seconds ago; else None."""
        with self.lock:
            if self.version is None or time.monotonic() - self.read_at >= window:
                return None
            value = self.pages.get(key)
            return None if value is None else (self.version, value)

    def seen(self, version: int, key: str, value) -> None:
        """The version just read from Redis (and the page read with it, if any)."""
        with self.lock:
            if version != self.version:
                self.version, self.pages = version, {}
            self.read_at = time.monotonic()
            if value is not None:
                self._keep(key, value)

    def stored(self, version: int, key: str, value) -> None:
        with self.lock:
            if version == self.version:
                self._keep(key, value)

    def _keep(self, key: str, value) -> None:
        body = value[2] if isinstance(value, tuple) and len(value) == 3 else b""
        if isinstance(body, bytes | str) and len(body) > LOCAL_MAX_BYTES:
            return
        if len(self.pages) >= LOCAL_PAGES and key not in self.pages:
            self.pages.clear()  # simpler than an LRU, and a refill is one Redis read a page
        self.pages[key] = value

    def forget(self) -> None:
        with self.lock:
            self.version, self.pages, self.read_at = None, {}, 0.0


# One copy per version: the public pages', and the regions list's (read by every uncached search page).
_locals = {VERSION_KEY: _Local(), REGIONS_VERSION_KEY: _Local()}
_local = _locals[VERSION_KEY]


def _window() -> float:
    return float(getattr(settings, "PUBLIC_PAGE_LOCAL_SECONDS", 1.0))


def current_version(version_key: str = VERSION_KEY) -> int:
    return versioned.current_version(version_key)


def bump_version(version_key: str = VERSION_KEY) -> None:
    versioned.bump_version(version_key)
    if version_key == VERSION_KEY:
        _local.forget()


def bump_regions_version() -> None:
    versioned.bump_version(REGIONS_VERSION_KEY)
    _locals[REGIONS_VERSION_KEY].forget()


def page_key(name: str, *parts) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"publicity:page:{name}:{digest}"


def read(key: str, version_key: str = VERSION_KEY) -> tuple[int, object | None]:
    """(current version, the value stored under key if it was stored under that version, else None): from this
    process's copy within the window (public pages, the regions list), else one MGET."""
    local = _locals.get(version_key) if _window() > 0 else None
    if local is not None:
        found = local.get(key, _window())
        if found is not None:
            return found
    version, value = versioned.read_versioned(key, version_key)
    if local is not None:
        local.seen(version, key, value)
    return version, value


def store(key: str, version: int, value, timeout: int = PAGE_TTL, version_key: str = VERSION_KEY) -> None:
    versioned.store_versioned(key, version, value, timeout)
    local = _locals.get(version_key) if _window() > 0 else None
    if local is not None:
        local.stored(version, key, value)
