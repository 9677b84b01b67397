"""Raw cell values: how they read as text, when they count as empty, and the numeric
codes (SIRET, postcode, NDA) that spreadsheets damage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FormulaError:
    """A cell whose formula evaluates to an error: #DIV/0!, #N/A, #NOM?…"""

    code: str

    def __str__(self) -> str:
        return self.code


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip().strip("\u200b"))


def as_text(raw: Any) -> str:
    """A cell as text, the way the user sees it (12.0 -> '12', dates as jj/mm/aaaa)."""
    if isinstance(raw, FormulaError):
        return raw.code
    if isinstance(raw, bool):
        return "VRAI" if raw else "FAUX"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return (
            raw.strftime("%d/%m/%Y") if raw.time() == dt.time() else raw.strftime("%d/%m/%Y %H:%M")
        )
    if isinstance(raw, dt.date):
        return raw.strftime("%d/%m/%Y")
    if isinstance(raw, dt.time):
        return raw.strftime("%H:%M")
    return str(raw)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def siret_is_valid(siret: str) -> bool:
    """14 digits and a valid Luhn key (La Poste establishments use a digit sum rule)."""
    if len(siret) != 14 or not (siret.isascii() and siret.isdigit()):
        return False
    if siret.startswith("356000000"):
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


def digits_code(value: Any, length: int) -> str | None:
    """A fixed-length numeric code, repairing the leading zeros a spreadsheet drops.

    ``4400`` (a number) -> ``"04400"``; ``"130 005 119 00032"`` -> 14 digits; None if not
    a code of that length.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    text = "".join(str(value).split()).replace("\u00a0", "").replace("\u202f", "")
    if not (text.isascii() and text.isdigit()) or len(text) > length:
        return None
    if isinstance(value, int) or len(text) < length:
        if isinstance(value, int):
            text = text.zfill(length)
        else:
            return None
    return text if len(text) == length else None
