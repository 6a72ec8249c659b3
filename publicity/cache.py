"""Cache of the public pages: version-free keys whose values carry the version they were built under.

One version number, bumped when a batch is published or an entry removed, invalidates every cached public
page and download at once without scanning keys, and is part of each page's ETag. A page is stored under a
key of its own parts only, as (version, value); a request reads the current version and the page in one
MGET and uses the page only if its version is the current one, so a cached request costs one Redis read.
The regions offered in the public filters are cached the same way under their own version, bumped when a
region changes (regulator/hooks.py), so a publication does not throw them away.
"""

import hashlib
import time

from django.core.cache import cache

VERSION_KEY = "publicity:public-version"
REGIONS_VERSION_KEY = "publicity:regions-version"
PAGE_TTL = 600


def _start_version(version_key: str) -> int:
    # A lost key must never bring back values cached under an older version: start from the clock.
    version = int(time.time() * 1000)
    cache.add(version_key, version, timeout=None)
    return cache.get(version_key, version)


def current_version(version_key: str = VERSION_KEY) -> int:
    version = cache.get(version_key)
    return _start_version(version_key) if version is None else version


def bump_version(version_key: str = VERSION_KEY) -> None:
    try:
        cache.incr(version_key)
    except ValueError:
        cache.set(version_key, int(time.time() * 1000), timeout=None)


def bump_regions_version(*_args) -> None:
    bump_version(REGIONS_VERSION_KEY)


def page_key(name: str, *parts) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"publicity:page:{name}:{digest}"


def read(key: str, version_key: str = VERSION_KEY) -> tuple[int, object | None]:
    """(current version, the value stored under key if it was stored under that version, else None): one MGET."""
    found = cache.get_many([version_key, key])
    version = found.get(version_key)
    if version is None:
        return _start_version(version_key), None
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        return version, stored[1]
    return version, None


def store(key: str, version: int, value, timeout: int = PAGE_TTL) -> None:
    cache.set(key, (version, value), timeout)
