"""Figures every staff page shows in its navigation: unread notifications and the queue's counts per kind."""

from django.utils.functional import SimpleLazyObject


def _counts(user) -> dict:
    from .queue import nav_counts as queue_nav_counts

    return queue_nav_counts(user)


def nav_counts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never render the navigation (JSON, files) pay nothing; those that do pay one query.
    return {"nav_counts": SimpleLazyObject(lambda: _counts(user))}
