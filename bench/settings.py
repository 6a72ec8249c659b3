"""Settings of the bench's gunicorn: the project's own (regulator.settings.base) with bench/urls.py as the URLconf,
so a hello-world view runs through exactly the middleware stack of the real pages."""

from regulator.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
