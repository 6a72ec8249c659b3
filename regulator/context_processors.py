"""Figures every staff page shows in its navigation."""

from django.utils.functional import SimpleLazyObject


def _counts(user) -> dict:
    from .models import Notification

    return {"unread": Notification.objects.filter(recipient=user, read_at__isnull=True)[:100].count()}


def nav_counts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never render the navigation (JSON, files) pay nothing.
    return {"nav_counts": SimpleLazyObject(lambda: _counts(user))}
