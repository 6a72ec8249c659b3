"""Django admin through the services: an administrator's save or delete calls the same service a page would, so
it is validated and audited like any other change (issue 10), and a refusal becomes a message, not a 500."""

from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect

from .errors import ServiceError


class ServiceRefused(Exception):
    """A service refused an admin save; the admin's transaction is rolled back and the message shown."""


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    return str(getattr(error, "message", None) or error)


@contextmanager
def admin_service_call():
    """Around a service call in save_model/save_formset/delete_model: its refusals become ServiceRefused."""
    try:
        yield
    except (ServiceError, PermissionDenied, ValidationError) as error:
        raise ServiceRefused(_message(error)) from error


def form_data(form, *, change: bool, exclude=()) -> dict:
    """A model form's cleaned values as a service's `data`: every field of a new row, the changed ones otherwise."""
    names = form.changed_data if change else list(form.fields)
    skip = {"id", "DELETE", *exclude}
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data and name not in skip}


def adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's instance the row the service saved, without a query (the admin goes on using it)."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding, target._state.db = False, saved._state.db


class ServiceAdminMixin:
    """For ModelAdmins whose saves call services: a ServiceRefused shows as an error on the same page."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_queryset(self, request, queryset):
        """The changelist's "delete selected" action: one service call per row, all or none."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ServiceRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
