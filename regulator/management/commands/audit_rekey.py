"""Rotate the audit trail's HMAC key: verify everything with the old key, then re-link it with the new one."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from regulator.audit_checkpoints import rekey


class Command(BaseCommand):
    help = ("Re-link every audit row and re-sign every checkpoint with AUDIT_HMAC_KEY, after verifying them with "
            "the key named by --old-key-env (default AUDIT_HMAC_OLD_KEY). Run with the application stopped and, on "
            "PostgreSQL, as a superuser (docs/audit.md).")

    def add_arguments(self, parser):
        parser.add_argument("--old-key-env", default="AUDIT_HMAC_OLD_KEY",
                            help="environment variable holding the key the trail is linked with now")

    def handle(self, *args, **options):
        old_key = os.environ.get(options["old_key_env"], "")
        if not old_key:
            raise CommandError(f"set {options['old_key_env']} to the key the trail is linked with now")
        if old_key == settings.AUDIT_HMAC_KEY:
            raise CommandError("the old and the new key are the same")
        try:
            result = rekey(old_key=old_key, new_key=settings.AUDIT_HMAC_KEY)
        except ValueError as error:
            raise CommandError(f"nothing changed: {error}") from error
        self.stdout.write(self.style.SUCCESS(
            f"re-linked {result['rows']} audit rows and re-signed {result['checkpoints']} checkpoints with the new "
            f"key; export a new checkpoint file now (audit_checkpoint --export FILE)"))
