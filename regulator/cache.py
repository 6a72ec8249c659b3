"""Django's Redis cache backend with one connection pool and one client object per process, and versioned values.

Django's RedisCacheClient builds a new `redis.Redis` object on every call (about as costly as the GET itself,
measured with redis-py 8), and each thread's backend instance its own pool. Here both are made once per
server and options and shared by every backend instance of the process; redis-py's pool is thread-safe and
resets its connections in a forked child, and the client object keeps no state of its own beyond the pool.
"""

import threading
import time

from django.core.cache import cache
from django.core.cache.backends import redis as django_redis


class SharedRedisCacheClient(django_redis.RedisCacheClient):
    _shared: dict = {}  # (server, options) -> (pool, client), for the whole process
    _lock = threading.Lock()

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._options_key = repr(sorted(options.items()))

    def _shared_pair(self, write: bool):
        server = self._servers[self._get_connection_pool_index(write)]
        key = (server, self._options_key)
        pair = self._shared.get(key)
        if pair is None:
            with self._lock:
                pair = self._shared.get(key)
                if pair is None:
                    pool = self._pool_class.from_url(server, **self._pool_options)
                    pair = self._shared[key] = (pool, self._client(connection_pool=pool))
        return pair

    def _get_connection_pool(self, write):
        return self._shared_pair(write)[0]

    def get_client(self, key=None, *, write=False):
        return self._shared_pair(write)[1]


class RedisCache(django_redis.RedisCache):
    """`CACHES["default"]["BACKEND"] = "regulator.cache.RedisCache"`: Django's, with the shared pool and client."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedRedisCacheClient


# ---- versioned values --------------------------------------------------------------------------------------
# A family of cached values (the public pages, the navigation counts) is invalidated at once by bumping one
# version number. The values are stored under version-free keys as (version, value), and read together with
# the version in one MGET: a value stored under another version is a miss. A lost version restarts from the
# clock, above every number handed out before, so it never brings back values stored under an older one.


def _start_version(version_key: str) -> int:
    version = int(time.time() * 1000)
    cache.add(version_key, version, timeout=None)
    return cache.get(version_key, version)


def current_version(version_key: str) -> int:
    version = cache.get(version_key)
    return _start_version(version_key) if version is None else version


def bump_version(version_key: str) -> None:
    _local_bumps[version_key] = _local_bumps.get(version_key, 0) + 1
    try:
        cache.incr(version_key)
    except ValueError:
        cache.set(version_key, int(time.time() * 1000), timeout=None)


def read_versioned(key: str, version_key: str) -> tuple[int, object | None]:
    """(current version, the value stored under `key` if it was stored under that version, else None): one MGET."""
    found = cache.get_many([version_key, key])
    version = found.get(version_key)
    if version is None:
        return _start_version(version_key), None
    return version, _value_under(found.get(key), version)


def _value_under(stored, version: int) -> object | None:
    """The value of a (version, value) pair from store_versioned if it was stored under `version`, else None."""
    return stored[1] if stored is not None and stored[0] == version else None


def store_versioned(key: str, version: int, value, timeout: int) -> None:
    cache.set(key, (version, value), timeout)


# ---- versions read with the session -----------------------------------------------------------------------
# A version every staff page reads after the session (the navigation's) is read in the session's own MGET
# (regulator/sessions.py): one Redis round trip a page instead of two. The value read is the version as it was
# when the session loaded, a few milliseconds before the page uses it; a bump by this process since then (a
# service the request itself ran) makes it untrusted, and the reader asks Redis again.
READ_WITH_SESSION: list[str] = []
_local_bumps: dict[str, int] = {}  # version key -> bumps made by this process


def read_with_session(version_key: str) -> None:
    """Have the session store read `version_key` along with every session it loads."""
    if version_key not in READ_WITH_SESSION:
        READ_WITH_SESSION.append(version_key)


def read_along(found: dict) -> dict:
    """What a session load read of READ_WITH_SESSION (the MGET's result `found`), for `version_read_along`."""
    return {key: (found.get(key), _local_bumps.get(key, 0)) for key in READ_WITH_SESSION}


def version_read_along(read: dict | None, version_key: str) -> int | None:
    """The version of `version_key` a session load read (`read_along`), or None: not read, missing from Redis (the
    reader starts it), or bumped by this process since."""
    if not read:
        return None
    version, bumps = read.get(version_key, (None, None))
    if version is None or bumps != _local_bumps.get(version_key, 0):
        return None
    return version


def stored_under(key: str, version: int) -> object | None:
    """The value stored under `key` (store_versioned) if it was stored under `version`, else None: one GET."""
    return _value_under(cache.get(key), version)
