"""Login throttling on top of django-axes: what the settings cannot say (settings/base.py has the limits).

A username is locked after AXES_FAILURE_LIMIT failures from any mix of addresses, and an address after as many
failures across any usernames (AXES_LOCKOUT_PARAMETERS); both for AXES_COOLOFF_TIME, and an administrator unlocks
earlier by deleting the attempts in the admin (访问尝试) or with ``manage.py axes_reset_username NAME`` /
``axes_reset_ip ADDRESS``.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.shortcuts import render


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler, except that a successful login forgets only that account's own failures.

    Axes' own reset deletes every attempt matching any lockout parameter, the address included: anyone with a
    valid account could then wipe, by logging in, the failures they had just run up against other usernames from
    the same address, and guess on for ever.
    """

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_response(request, original_response=None, credentials=None):
    """The Chinese lockout page (429) with the cool-off in minutes (AXES_LOCKOUT_CALLABLE)."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response
