"""Cache of the public pages: version-free keys whose values carry the version they were built under.

One version number, bumped when a batch is published or an entry removed, invalidates every cached public
page and download at once without scanning keys, and is part of each page's ETag. A page is stored under a
key of its own parts only, as (version, value); a request reads the current version and the page in one
MGET and uses the page only if its version is the current one (regulator/cache.py), so a cached request
costs one Redis read. The regions offered in the public filters are cached the same way under their own
version, bumped when a region changes (regulator/hooks.py), so a publication does not throw them away.
"""

import hashlib

from regulator import cache as versioned

VERSION_KEY = "publicity:public-version"
REGIONS_VERSION_KEY = "publicity:regions-version"
PAGE_TTL = 600


def current_version(version_key: str = VERSION_KEY) -> int:
    return versioned.current_version(version_key)


def bump_version(version_key: str = VERSION_KEY) -> None:
    versioned.bump_version(version_key)


def bump_regions_version() -> None:
    versioned.bump_version(REGIONS_VERSION_KEY)


def page_key(name: str, *parts) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"publicity:page:{name}:{digest}"


def read(key: str, version_key: str = VERSION_KEY) -> tuple[int, object | None]:
    """(current version, the value stored under key if it was stored under that version, else None): one MGET."""
    return versioned.read_versioned(key, version_key)


def store(key: str, version: int, value, timeout: int = PAGE_TTL) -> None:
    versioned.store_versioned(key, version, value, timeout)
