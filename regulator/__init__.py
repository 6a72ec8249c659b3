"""The project package and the organisation: regions, departments, staff, roles, audit."""

from .celery import app as celery_app

__all__ = ("celery_app",)
