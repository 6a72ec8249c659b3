"""Cache keys of the public pages: one version number, bumped when a batch is published or an entry removed.

Every cached public page and download is keyed by the version, so publishing invalidates them all at
once without scanning keys; the version is also part of each page's ETag.
"""

import hashlib
import time

from django.core.cache import cache

VERSION_KEY = "publicity:public-version"
PAGE_TTL = 600


def current_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A lost key must never bring back pages cached under an older version: start from the clock.
        version = int(time.time() * 1000)
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def bump_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, int(time.time() * 1000), timeout=None)


def page_key(name: str, *parts) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"publicity:{current_version()}:{name}:{digest}"
