"""Sign-ins, sign-outs and failed sign-ins, audited (issue 11).

Django's auth framework owns these events and announces them only by signal, so these receivers are the one place
where a signal leads to an audit row; each calls a service (regulator.services) that writes it.
"""

from axes.helpers import get_client_ip_address
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import services


def _address(request) -> str | None:
    # The same address axes throttles on, so a trusted-proxy setting for axes applies to the audit trail too.
    return get_client_ip_address(request) if request is not None else None


@receiver(user_logged_in, dispatch_uid="regulator.audit.logged_in")
def _logged_in(sender, request, user, **kwargs):
    services.login_record(user=user, ip_address=_address(request))


@receiver(user_logged_out, dispatch_uid="regulator.audit.logged_out")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        services.logout_record(user=user, ip_address=_address(request))


@receiver(user_login_failed, dispatch_uid="regulator.audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    services.login_failure_record(username=str(credentials.get("username") or ""), ip_address=_address(request))
