"""Settings of the real Celery workers that tests/regulator/test_task_reliability.py starts: the test settings with a
broker (no eager tasks), a visibility timeout of seconds (so a killed worker's task is delivered again quickly) and
a mail backend that records and can block."""

from regulator.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3, "unacked_restore_throttle": 1}
MAILERS = {"default": {"BACKEND": "tests.regulator.recording_mail.RecordingBackend"}}
