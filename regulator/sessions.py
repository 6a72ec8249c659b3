"""The session engine (`SESSION_ENGINE = "regulator.sessions"`): Django's cached_db, whose cache read brings with it
the versions every staff page reads next (regulator/cache.py, READ_WITH_SESSION: the navigation's), in one MGET.

The session itself is read, stored and written through to the database exactly as cached_db does; only the read
from the cache asks for more keys. `read_along` keeps what it read of them for the rest of the request."""

from django.contrib.sessions.backends import cached_db

from regulator import cache as versioned


class SessionStore(cached_db.SessionStore):
    read_along: dict | None = None  # set by load(): {version key: (version, this process's bumps then)}

    def load(self):
        cache_key = self.cache_key
        try:
            found = self._cache.get_many([cache_key, *versioned.READ_WITH_SESSION])
        except Exception:  # as cached_db: a key the cache refuses resets the session (Django #17810)
            found = {}
        self.read_along = versioned.read_along(found)
        data = found.get(cache_key)
        if data is None:
            session = self._get_session_from_db()
            if session:
                data = self.decode(session.session_data)
                self._cache.set(cache_key, data, self.get_expiry_age(expiry=session.expire_date))
            else:
                data = {}
        return data
