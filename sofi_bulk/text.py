"""Text normalisation shared by the reader, the code tables and header matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u200b]+")
_LOOKALIKES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'",
                             "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00ab": '"', "\u00bb": '"'})


def fr_number(value: float) -> str:
    """12345.5 -> '12 345,5': numbers as French readers write them."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if not float(value).is_integer() else f"{int(value):,}"
    return text.replace(",", "\u202f").replace(".", ",").replace("\u202f", " ")


@lru_cache(maxsize=65536)
def clean(value: str) -> str:
    """Trim and collapse every kind of space (non-breaking ones included)."""
    return _SPACES.sub(" ", value).strip()


@lru_cache(maxsize=65536)
def fold(value: str) -> str:
    """Case-, accent- and space-insensitive key: 'Entrées/Sorties ' -> 'entrees/sorties'."""
    decomposed = unicodedata.normalize("NFKD", clean(value).casefold().translate(_LOOKALIKES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
