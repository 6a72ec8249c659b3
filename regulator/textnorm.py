"""Comparing names as people write them: the same institution typed in Traditional script, with full-width
brackets or an extra space is the same name.

`name_key` folds a name to what it says: Unicode NFKC (full-width letters, digits and punctuation to their
half-width forms), Traditional to Simplified Chinese (OpenCC's t2s, the conversion tables the Chinese-language
web uses), case folded, spaces and punctuation dropped. It is for recognising duplicates and matching searches;
what is shown and stored stays as it was typed.
"""

import functools
import re
import unicodedata

_NOISE = re.compile(r"[\W_]+")  # whitespace and punctuation; CJK characters, letters and digits are \w


@functools.cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters (and their phrases) as Simplified ones; other text unchanged."""
    return _converter().convert(text) if text else ""


def name_key(text: str | None) -> str:
    """The folded form of a name: '陽光藝術培訓學校（文化路）' and '阳光艺术培训学校(文化路)' give the same key."""
    folded = unicodedata.normalize("NFKC", text or "")
    return _NOISE.sub("", to_simplified(folded).casefold())


def search_text(text: str | None) -> str:
    """A search term as the register stores names: NFKC and Simplified, spaces at the ends dropped."""
    return to_simplified(unicodedata.normalize("NFKC", text or "")).strip()
