"""Settings of the real Celery workers that tests/ops/test_two_workers.py starts: the test settings with a broker
(no eager tasks) and the default storage on the S3 server (TEST_STORAGE=s3), which every worker shares."""

from regulator.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
