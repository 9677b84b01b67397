"""A1 references without a spreadsheet library: column letters <-> 1-based indexes.

The checks locate every issue by cell; importing openpyxl for these two functions cost
the core a tenth of a second and tied it to a file format.
"""

from __future__ import annotations

import re
from functools import lru_cache

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


@lru_cache(maxsize=20000)
def column_letter(index: int) -> str:
    """1 -> 'A', 27 -> 'AA', 16384 -> 'XFD'."""
    if not 1 <= index <= 18278:
        raise ValueError(f"column index {index} out of range")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@lru_cache(maxsize=20000)
def column_index(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27."""
    index = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not a column: {letters!r}")
        index = index * 26 + ord(ch) - 64
    return index


def split_ref(ref: str) -> tuple[str, int]:
    """'AB12' -> ('AB', 12)."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return m[1].upper(), int(m[2])
