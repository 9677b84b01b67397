"""Turn what users really type into typed values, or say precisely why not.

Input is a raw cell value as a reader returns it (str, int, float, bool, date,
datetime, time or None) from Excel or LibreOffice, typed in French. Each parser returns
the clean value or raises ``CellError`` with an issue code and its message parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from sofi_bulk.core.codes import TABLES, table_of
from sofi_bulk.core.fields import Field, Kind
from sofi_bulk.core.identity import FasCode
from sofi_bulk.core.text import clean, fold, fr_number
from sofi_bulk.core.values import FormulaError, as_text


class CellError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def detached(self) -> CellError:
        """The error without its traceback and context, to be kept: in a memo, those would
        hold the frames that hold the memo, a cycle only the garbage collector frees."""
        self.__traceback__ = self.__context__ = self.__cause__ = None
        return self


MONTHS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
_NUMERIC_DATE = re.compile(
    r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$",
    re.ASCII,
)
_ISO_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$", re.ASCII
)
_PARTIAL_DATE = re.compile(r"^\d{1,2}\s*[/.\-]\s*\d{1,2}$", re.ASCII)
_PARTIAL_TEXT_DATE = re.compile(r"^(?:\w+\.?\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?$", re.ASCII)
_TEXT_DATE = re.compile(r"^(?:\w+\.?\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})$", re.ASCII)
_TIME = re.compile(r"^(\d{1,2})\s*(?:h|:|H)\s*(\d{2})?(?:\s*(?:min|mn))?(?::\d{2})?$", re.ASCII)
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$"
)
EXCEL_EPOCH = dt.date(1899, 12, 30)
MULTI_SPLIT = re.compile(r"\s*[;\n]\s*")
_C0_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2060\ufeff]")


# --- numbers ---------------------------------------------------------------------------
def parse_number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise CellError("nombre-invalide")
    if isinstance(raw, int | float):
        return float(raw)
    if not isinstance(raw, str):
        raise CellError("nombre-invalide")
    text = clean(raw).replace(" ", "").replace("€", "").replace("EUR", "").replace("%", "")
    if re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+", text):  # 3.200: thousands or 3,2?
        raise CellError(
            "nombre-ambigu", thousands=text.replace(".", ""), decimal=text.replace(".", ",", 1)
        )
    text = re.sub(r"(?i)(heures?|h)$", "", text)
    if "," in text and "." in text:  # 1.234,50 or 1,234.50: the last mark is the decimal one
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    else:
        text = text.replace(",", ".")
    text = text.replace("'", "")
    if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text):
        raise CellError("nombre-invalide")
    return float(text)


def parse_int(raw: Any) -> int:
    number = parse_number(raw)
    if not number.is_integer():
        raise CellError("entier-attendu")
    return int(number)


# --- dates and times -----------------------------------------------------------------
def parse_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool):
        raise CellError("date-invalide")
    if isinstance(raw, int | float):
        if (
            36526 <= raw <= 73051 and float(raw).is_integer()
        ):  # an Excel serial between 2000 and 2100
            return EXCEL_EPOCH + dt.timedelta(days=int(raw))
        raise CellError("date-invalide")
    text = fold(str(raw))
    if m := _NUMERIC_DATE.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if year < 100:
            year += 2000
        if month > 12 and day <= 12:
            raise CellError(
                "date-impossible",
                hint=" Date au format américain (mois/jour) ? En France : jour/mois/année.",
            )
        return _make_date(year, month, day)
    if m := _ISO_DATE.match(text):
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _TEXT_DATE.match(text):
        named = MONTHS.get(m[2].rstrip("."))
        if named is None:
            raise CellError("date-invalide")
        return _make_date(int(m[3]), named, int(m[1]))
    if _PARTIAL_DATE.match(text):
        raise CellError("date-incomplete")
    if (m := _PARTIAL_TEXT_DATE.match(text)) and m[2].rstrip(".") in MONTHS:
        raise CellError("date-incomplete")
    raise CellError("date-invalide")


def _make_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError("date-impossible", hint="") from None


def parse_time(raw: Any) -> dt.time:
    if isinstance(raw, dt.datetime):
        return raw.time().replace(second=0, microsecond=0)
    if isinstance(raw, dt.time):
        return raw.replace(second=0, microsecond=0)
    if isinstance(raw, float) and 0 <= raw < 1:  # a fraction of a day
        minutes = min(round(raw * 24 * 60), 23 * 60 + 59)  # 23:59:40 must not round to 24:00
        return dt.time(minutes // 60, minutes % 60)
    if (
        isinstance(raw, int | float)
        and not isinstance(raw, bool)
        and 0 <= raw <= 23
        and float(raw).is_integer()
    ):
        return dt.time(int(raw), 0)
    text = clean(str(raw)).lower().replace(" ", "")
    m = _TIME.match(text)
    if not m:
        raise CellError("heure-invalide")
    hour, minute = int(m[1]), int(m[2] or 0)
    if hour > 23 or minute > 59:
        raise CellError("heure-invalide")
    return dt.time(hour, minute)


def lheo_time(value: dt.time) -> str:
    """LHEO's hour form, zero-padded as LHEO's own examples write it: 09h30, 14h00."""
    return f"{value.hour:02d}h{value.minute:02d}"


# --- codes and references --------------------------------------------------------------
def code_token(raw: Any) -> str:
    if isinstance(raw, bool):
        return "oui" if raw else "non"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return clean(str(raw))


def parse_code(fld: Field, raw: Any) -> str:
    table = table_of(fld)
    token = code_token(raw)
    found = table.lookup(token)
    if found is None and fld.table == "taux-tva":
        found = _vat_code(raw)
    if found is None:
        raise CellError("code-inconnu", choices=_choices(fld), suggestion=_suggest(fld, token))
    return found


def _vat_code(raw: Any) -> str | None:
    try:
        rate = parse_number(raw)
    except CellError:
        return None
    if isinstance(raw, float) and 0 < rate < 1:  # a cell formatted as a percentage: 0.2 = 20 %
        rate *= 100
    rate = round(rate, 2)
    code = f"{rate:g}"
    return code if code in {o.code for o in TABLES["taux-tva"].options} else None


def _choices(fld: Field) -> str:
    return " | ".join(o.display for o in table_of(fld).options) + "."


def _suggest(fld: Field, token: str) -> str:
    """ " Vouliez-vous dire « … » ?" when one option is close to what was typed."""
    options = table_of(fld).options
    key = fold(token)
    hits = [o for o in options if key and (key in fold(o.label) or fold(o.label) in key)]
    if len(hits) != 1:
        import difflib  # only for a code nobody knows: not on every check's path

        by_label = {fold(o.label): o for o in options}
        close = difflib.get_close_matches(key, list(by_label), n=1, cutoff=0.75)
        hits = [by_label[close[0]]] if close else []
    return f" Vouliez-vous dire « {hits[0].display} » ?" if hits else ""


def split_multi(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        return [part for part in MULTI_SPLIT.split(raw.strip()) if part.strip()]
    return [raw]


def parse_url(raw: Any, fld: Field) -> str:
    text = clean(str(raw))
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises for a port out of range or not a number
    except ValueError:  # "http://[host": an unclosed IPv6 bracket, a bad port…
        raise CellError("url-invalide") from None
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in text:
        raise CellError("url-invalide")
    if fld.max_length and len(text) > fld.max_length:
        raise CellError(
            "texte-trop-long",
            length=len(text),
            max=fld.max_length,
            excess=len(text) - fld.max_length,
        )
    if fld.key == "video_url":
        host = parts.netloc.lower().split(":")[0]
        youtube = (
            host.endswith("youtube.com")
            or host.endswith("youtu.be")
            or host.endswith("youtube-nocookie.com")
        )
        if not youtube and not parts.path.lower().endswith(".mp4"):
            raise CellError("url-video-invalide")
    return text


def parse_email(raw: Any, fld: Field) -> str:
    text = clean(str(raw))
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not _EMAIL.match(text) or (fld.max_length and len(text) > fld.max_length):
        raise CellError("email-invalide")
    return text


def parse_text(raw: Any, fld: Field) -> str:
    if isinstance(raw, str):
        text = raw.strip() if fld.kind is Kind.LONGTEXT else clean(raw)
        text = text.replace("\r\n", "\n").replace("\u00a0", " ")
    else:
        text = as_text(raw)
    if fld.max_length and len(text) > fld.max_length:
        raise CellError(
            "texte-trop-long",
            length=len(text),
            max=fld.max_length,
            excess=len(text) - fld.max_length,
        )
    return text


def parse_scalar(fld: Field, raw: Any) -> Any:
    """Parse one non-empty cell of a field; references stay as keys (checked later)."""
    return scalar_parser(fld)(raw)


@cache
def scalar_parser(fld: Field) -> Callable[[Any], Any]:
    """``parse_scalar`` for one field, what depends on the field looked up once: a column's
    distinct values are parsed with it."""
    control = _CONTROL_OF_KIND.get(fld.kind, _C0_CONTROL).search
    parse = _BY_KIND[fld.kind]

    def parse_one(raw: Any) -> Any:
        if isinstance(raw, str):
            if control(raw):
                raise CellError("caracteres-invalides")
        elif isinstance(raw, FormulaError):
            raise CellError("formule-en-erreur", error=raw.code)
        return parse(fld, raw)

    return parse_one


def _scalar_int(fld: Field, raw: Any) -> int:
    value = parse_int(raw)
    _check_range(fld, value)
    return value


def _scalar_decimal(fld: Field, raw: Any) -> float:
    number = round(parse_number(raw), 2)
    _check_range(fld, number)
    return number


def _scalar_fas(fld: Field, raw: Any) -> str:
    fas = FasCode.parse(code_token(raw))
    if fas is None:
        raise CellError("code-fas-invalide")
    return str(fas)


# one parser per kind; organismes, sites and contacts stay as typed (the rules resolve them
# against the référentiel)
_BY_KIND: dict[Kind, Callable[[Field, Any], Any]] = {
    Kind.CODE: parse_code,
    Kind.TEXT: lambda fld, raw: parse_text(raw, fld),
    Kind.LONGTEXT: lambda fld, raw: parse_text(raw, fld),
    Kind.INT: _scalar_int,
    Kind.DECIMAL: _scalar_decimal,
    Kind.DATE: lambda fld, raw: parse_date(raw),
    Kind.TIME: lambda fld, raw: parse_time(raw),
    Kind.URL: lambda fld, raw: parse_url(raw, fld),
    Kind.EMAIL: lambda fld, raw: parse_email(raw, fld),
    Kind.ORGANISME: lambda fld, raw: code_token(raw),
    Kind.SITE: lambda fld, raw: code_token(raw),
    Kind.CONTACT: lambda fld, raw: code_token(raw),
    Kind.FAS: _scalar_fas,
    Kind.LOT: lambda fld, raw: code_token(raw),
    Kind.SESSION_REF: lambda fld, raw: code_token(raw),
}


# what each kind's parser may refuse a cell with, besides EVERY_KIND_CODES: the cell rules of
# ``rules.py`` are declared from it (a test parses odd values of every field against it)
EVERY_KIND_CODES = ("caracteres-invalides", "formule-en-erreur")
_NUMBER_CODES = ("nombre-invalide", "nombre-ambigu", "nombre-hors-limites")
KIND_CODES: dict[Kind, tuple[str, ...]] = {
    Kind.CODE: ("code-inconnu",),
    Kind.TEXT: ("texte-trop-long",),
    Kind.LONGTEXT: ("texte-trop-long",),
    Kind.INT: (*_NUMBER_CODES, "entier-attendu"),
    Kind.DECIMAL: _NUMBER_CODES,
    Kind.DATE: ("date-invalide", "date-impossible", "date-incomplete"),
    Kind.TIME: ("heure-invalide",),
    Kind.URL: ("url-invalide", "url-video-invalide", "texte-trop-long"),
    Kind.EMAIL: ("email-invalide",),
    Kind.ORGANISME: (),
    Kind.SITE: (),
    Kind.CONTACT: (),
    Kind.FAS: ("code-fas-invalide",),
    Kind.LOT: (),
    Kind.SESSION_REF: (),
}


# the characters a cell may not hold: never C0 controls (no code, date or number has one); in
# texts and references, invisible ones too (zero-width spaces, BOM), which would make two
# references that look alike differ
_CONTROL_OF_KIND = {
    kind: _CONTROL for kind in (Kind.TEXT, Kind.LONGTEXT, Kind.LOT, Kind.SESSION_REF)
}


def _check_range(fld: Field, value: float) -> None:
    low = fld.min_value if fld.min_value is not None else float("-inf")
    high = fld.max_value if fld.max_value is not None else float("inf")
    if not low <= value <= high:
        raise CellError("nombre-hors-limites", low=fr_number(low), high=fr_number(high))
