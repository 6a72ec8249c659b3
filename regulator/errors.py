"""The one vocabulary in which services refuse a change: every refusal is a ServiceError with a message for the
user, and nothing was written. Views turn it into a form error, a message or a 403 (regulator.views_helpers).

- ServiceError: bad input or a rule of the domain (e.g. a deadline out of range), optionally on one form field;
- TransitionNotAllowed: the object is not in a status from which this step may be taken (require_status);
- ActionForbidden: the actor may not take this step, whatever the input (views answer 403).

An app may define a subclass where it carries real meaning (IncompleteChecklistError lists the missing items),
never a base of its own.
"""

from django.utils.translation import gettext as _


class ServiceError(Exception):
    """A change refused, with a message for the user; nothing was written.

    `field` names the form field the message is about (None: the whole form); `errors` maps several fields to
    their messages at once, as a model's full_clean() reports them.
    """

    def __init__(self, message, field: str | None = None, *, errors: dict | None = None):
        self.message = str(message)
        super().__init__(self.message)
        self.field = field
        self.errors = errors or {}


class TransitionNotAllowed(ServiceError):
    """The object is not in a status from which this step may be taken."""


class ActionForbidden(ServiceError):
    """The actor may not take this step (views answer 403)."""

    def __init__(self, message=None, field: str | None = None, **kwargs):
        super().__init__(_("您无权进行此操作。") if message is None else message, field, **kwargs)


def require_status(obj, allowed, action=None, *, message=None) -> None:
    """Raise TransitionNotAllowed unless `obj.status` is one of `allowed`.

    The message names the current status label: "当前状态为“…”，不能<action>。", or `message` when the step
    needs its own wording (it may use %(status)s).
    """
    if obj.status in allowed:
        return
    if message is None and action:
        message = _("当前状态为“%(status)s”，不能%(action)s。")
    elif message is None:
        message = _("当前状态为“%(status)s”，不能进行此操作。")
    raise TransitionNotAllowed(message % {"status": obj.get_status_display(), "action": action})
