"""Bounded parsing of integers taken from URLs and query strings: an id is 1 to 19 ASCII digits and at most
2**63 - 1 (a PostgreSQL bigint), a page number a small positive integer. Anything else is "absent" (None), which
the views answer with a 404 or a Chinese 400 — never an OverflowError, a ValueError from "²".isdigit() or a
4,300-digit int() conversion deep inside a query."""

import re

MAX_ID = 2**63 - 1
MAX_PAGE = 100_000
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value) -> int | None:
    """A positive database id from a URL or query parameter, or None."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values) -> list[int]:
    """The valid ids of a list of parameters (checkboxes), the others dropped."""
    return [number for number in (parse_id(value) for value in values) if number is not None]


def parse_page(value, *, maximum: int = MAX_PAGE) -> int | None:
    """A page number 1…maximum, or None."""
    number = parse_id(value)
    return number if number is not None and number <= maximum else None


class IdConverter:
    """`<id:pk>` in every route: matches 1–19 ASCII digits, and a value above 2**63 - 1 matches nothing (404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # the resolver treats it as no match
        return number

    def to_url(self, value) -> str:
        return str(int(value))
