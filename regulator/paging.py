"""Keyset ("next page") pagination for every list: newest first by id, never a COUNT(*).

A page is the `size` rows below the id in the `after` query parameter; one row more is read to know whether
there is a next page. The cost is one indexed range read whatever the table's size, where a Paginator's
COUNT(*) grows with it (figures in docs/pitfalls.md).
"""

import re
from collections.abc import Callable
from operator import attrgetter

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .errors import ServiceError

DEFAULT_PAGE_SIZE = 50
# Ids are bigint: 18 digits always fit; anything longer is not an id of ours.
_AFTER = re.compile(r"[0-9]{1,18}")


class BadPageParameter(ServiceError):
    """The `after` parameter is present but is not an id; `message` is for the user."""

    def __init__(self, message=None):
        super().__init__(_("页码参数无效。") if message is None else message, "after")


def parse_after(value: str | None) -> int | None:
    """The id of an `after` parameter; None when it is empty. Raises BadPageParameter for anything but
    1–18 ASCII digits (a digit test like str.isdigit would let '²' through to int() and a 500)."""
    if value is None or value == "":
        return None
    if not _AFTER.fullmatch(value):
        raise BadPageParameter
    return int(value)


def after_param(params, *, strict: bool = False) -> int | None:
    """`after` from a QueryDict (request.GET). An unusable value means the first page, as a stale or
    edited link should; with strict=True it raises BadPageParameter instead, for pages that say so."""
    try:
        return parse_after(params.get("after"))
    except BadPageParameter:
        if strict:
            raise
        return None


def keyset_page(queryset: QuerySet, *, after: int | None, size: int = DEFAULT_PAGE_SIZE,
                key: Callable = attrgetter("pk")) -> tuple[list, int | None]:
    """One page newest first, below the id `after` (None or 0: the first page): (rows, next_after).

    `key` reads a row's id, for querysets of values_list rows (e.g. `operator.itemgetter(0)`)."""
    if after:
        queryset = queryset.filter(pk__lt=after)
    rows = list(queryset.order_by("-pk")[: size + 1])
    next_after = key(rows[size - 1]) if len(rows) > size else None
    return rows[:size], next_after
