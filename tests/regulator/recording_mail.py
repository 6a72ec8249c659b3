"""A mail backend for the worker test (tests/regulator/test_task_reliability.py): it writes each message to a file in
$TEST_MAIL_DIR and then, when $TEST_MAIL_BLOCK is 1, blocks — so the test can kill the worker after the send."""

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class RecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(os.environ["TEST_MAIL_DIR"])
        for message in email_messages:
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        if os.environ.get("TEST_MAIL_BLOCK") == "1":
            (folder / "blocked").touch()
            time.sleep(3600)  # until the test kills this worker
        return len(email_messages)
