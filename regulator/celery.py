"""Celery application: the filesystem broker without REDIS_URL (make demo), Redis with it."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulator.settings.base")

app = Celery("regulator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Beat jobs live apart from the tasks that services queue (so neither module imports the other): periodic.py.
app.autodiscover_tasks(related_name="periodic")


def ensure_broker_folders() -> None:
    """The filesystem transport needs its folders to exist before the first message."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


ensure_broker_folders()
