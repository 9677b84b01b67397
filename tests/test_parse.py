"""What French users really type, cell by cell: the parsers, then the whole chain.

The unit tests feed the cell parsers (``parse_date``, ``parse_number``, ``parse_time``,
``parse_scalar``) the raw values a reader returns for what Excel or LibreOffice (fr-FR)
store when a user types something (see the shared reference excel-notes.md, "What
users' typing produces").

The end-to-end tests write the same forms into a real filled workbook
(``make_sample``), save it, and check both the library (``read_workbook`` + validation)
and the command (``sofi-bulk validate --format json``): no issue at all on the cell of
an accepted form, and the right issue code at the right cell for a rejected one. To keep
the suite fast, every case gets its own session row of ONE workbook (the other rows stay
the sample's valid values), so the workbook is written and checked only once.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sofi_bulk.core.fields import BY_KEY, INFOS_SHEET, SESSIONS_SHEET
from sofi_bulk.core.layout import FIRST_DATA_ROW, column_of
from sofi_bulk.core.parse import CellError, parse_date, parse_number, parse_scalar, parse_time
from sofi_bulk.excel.reader import read_workbook
from sofi_bulk.excel.sample import make_sample
from tests.conftest import run_validation


@dataclass(frozen=True)
class Err:
    """An expected rejection: the issue code."""

    code: str


def outcome(func, *args: Any) -> Any:
    try:
        return func(*args)
    except CellError as err:
        return Err(err.code)


D = dt.date

# --- dates ------------------------------------------------------------------------------
DATE_CASES = [
    # real dates, as calamine returns them for a date cell
    (dt.datetime(2025, 2, 10), D(2025, 2, 10)),
    (dt.datetime(2025, 2, 10, 0, 0), D(2025, 2, 10)),
    (D(2025, 2, 10), D(2025, 2, 10)),
    # an Excel serial number in a cell that lost its date format
    (45698, D(2025, 2, 10)),
    (45698.0, D(2025, 2, 10)),
    # dates typed in a text (@) cell
    ("10/02/2025", D(2025, 2, 10)),
    ("10-02-2025", D(2025, 2, 10)),
    ("10.02.2025", D(2025, 2, 10)),
    ("10/02/25", D(2025, 2, 10)),
    ("01/03/2025", D(2025, 3, 1)),
    ("10 février 2025", D(2025, 2, 10)),
    ("10 Février 2025", D(2025, 2, 10)),
    ("10 fevrier 2025", D(2025, 2, 10)),
    ("10 févr. 2025", D(2025, 2, 10)),
    ("lundi 10 février 2025", D(2025, 2, 10)),
    ("1er mars 2025", D(2025, 3, 1)),
    ("1ER MARS 2025", D(2025, 3, 1)),
    ("1 mars 2025", D(2025, 3, 1)),
    ("10 août 2025", D(2025, 8, 10)),
    ("10 aout 2025", D(2025, 8, 10)),
    ("2025-02-10", D(2025, 2, 10)),
    ("10/02/2025 00:00", D(2025, 2, 10)),
    ("29/02/2024", D(2024, 2, 29)),
    # stray and non-breaking spaces
    (" 10/02/2025 ", D(2025, 2, 10)),
    ("10 / 02 / 2025", D(2025, 2, 10)),
    ("10\u00a0février\u00a02025", D(2025, 2, 10)),
    ("10\u202ffévrier\u202f2025", D(2025, 2, 10)),
    # ambiguous, impossible or not a date
    ("1/2", Err("date-incomplete")),
    ("01/02", Err("date-incomplete")),
    ("10 février", Err("date-incomplete")),  # no year either
    ("31/02/2025", Err("date-impossible")),
    ("02/13/2025", Err("date-impossible")),  # US order: month 13
    ("32/01/2025", Err("date-impossible")),
    ("29/02/2025", Err("date-impossible")),
    ("10 foo 2025", Err("date-invalide")),
    ("abc", Err("date-invalide")),
    ("2025", Err("date-invalide")),
    (2025.0, Err("date-invalide")),  # a year typed as a number is no Excel serial
    (45698.5, Err("date-invalide")),
    (True, Err("date-invalide")),
]


@pytest.mark.parametrize(("raw", "expected"), DATE_CASES, ids=[repr(c[0]) for c in DATE_CASES])
def test_parse_date(raw, expected):
    assert outcome(parse_date, raw) == expected


# --- numbers ----------------------------------------------------------------------------
NUMBER_CASES = [
    (12, 12.0),
    (12.5, 12.5),
    ("12", 12.0),
    ("12,5", 12.5),
    ("12.5", 12.5),  # LibreOffice fr-FR keeps "12.5" as text
    (" 12", 12.0),
    ("12 ", 12.0),
    ("1 234,5", 1234.5),
    ("1\u00a0234,5", 1234.5),  # non-breaking space (Excel's thousands separator)
    ("1\u202f234,5", 1234.5),  # narrow no-break space (LibreOffice's, French typography)
    ("1 234 567,89", 1234567.89),
    ("12,50 €", 12.5),
    ("12,50€", 12.5),
    ("12,50\u00a0€", 12.5),
    ("1\u202f234,50\u00a0€", 1234.5),
    ("12,50 EUR", 12.5),
    ("1.234,50", 1234.5),
    ("-5", -5.0),
    ("abc", Err("nombre-invalide")),
    ("12,5,3", Err("nombre-invalide")),
    ("douze", Err("nombre-invalide")),
    (True, Err("nombre-invalide")),
]


@pytest.mark.parametrize(("raw", "expected"), NUMBER_CASES, ids=[repr(c[0]) for c in NUMBER_CASES])
def test_parse_number(raw, expected):
    result = outcome(parse_number, raw)
    if isinstance(expected, Err):
        assert result == expected
    else:
        assert result == pytest.approx(expected)


# --- times ------------------------------------------------------------------------------
T = dt.time
TIME_CASES = [
    ("9h30", T(9, 30)),
    ("09:30", T(9, 30)),
    ("9h", T(9, 0)),
    ("14H00", T(14, 0)),
    ("14h", T(14, 0)),
    ("9 h 30", T(9, 30)),
    (" 09h30 ", T(9, 30)),
    ("09:30:00", T(9, 30)),
    (T(9, 30), T(9, 30)),
    (T(9, 30, 45), T(9, 30)),
    (dt.datetime(2025, 2, 10, 9, 30), T(9, 30)),
    (0.3958333333333333, T(9, 30)),  # a day fraction: 9:30 in a cell without time format
    (0.5, T(12, 0)),
    (9, T(9, 0)),
    ("25h00", Err("heure-invalide")),
    ("9h75", Err("heure-invalide")),
    ("midi", Err("heure-invalide")),
    ("9.30", Err("heure-invalide")),
    (24, Err("heure-invalide")),
]


@pytest.mark.parametrize(("raw", "expected"), TIME_CASES, ids=[repr(c[0]) for c in TIME_CASES])
def test_parse_time(raw, expected):
    assert outcome(parse_time, raw) == expected


@pytest.mark.parametrize("fraction", [0.9997, 0.99999, 23 / 24 + 59.5 / 1440])
def test_parse_time_day_fraction_just_before_midnight(fraction):
    """23:59:34 stored as a day fraction (a time cell without format) rounds up to 24:00.

    A time cell read as ``datetime.time`` drops the seconds (23:59); the fraction must
    give the same, or at worst the ``heure-invalide`` issue, never an uncaught ValueError.
    """
    try:
        result = parse_time(fraction)
    except CellError as err:
        assert err.code == "heure-invalide"
    else:
        assert result == T(23, 59)


# --- coded fields (dropdowns), booleans, VAT, references -----------------------------------
SCALAR_CASES = [
    # a dropdown: "code - libellé", bare code, bare label, other case, no accents, stray spaces
    ("pathway_type", "4 - mixte", "4"),
    ("pathway_type", "4", "4"),
    ("pathway_type", 4.0, "4"),  # a code typed in a number cell
    ("pathway_type", "mixte", "4"),
    ("pathway_type", "MIXTE", "4"),
    ("pathway_type", " mixte ", "4"),
    ("pathway_type", "individualisé", "2"),
    ("pathway_type", "Individualise", "2"),
    ("pathway_type", "INDIVIDUALISÉ", "2"),
    ("pathway_type", "2 - individualise", "2"),
    ("pathway_type", "2\u00a0-\u00a0individualisé", "2"),
    ("pathway_type", "sur mesure", Err("code-inconnu")),
    ("entry_level", "14 - Niveau 4 (Bac, Bac pro, BP ou équivalent)", "14"),
    ("entry_level", "14", "14"),
    ("entry_level", 14, "14"),
    ("entry_level", "niveau 4 (bac, bac pro, bp ou equivalent)", "14"),
    ("entry_exit_mode", "dates-fixes - entrées/sorties à dates fixes", "dates-fixes"),
    ("entry_exit_mode", "Entrees/Sorties a dates fixes", "dates-fixes"),
    ("entry_exit_mode", "dates-fixes", "dates-fixes"),
    ("rhythm", "Temps Plein", "temps-plein"),
    ("rhythm", "temps-partiel - temps partiel", "temps-partiel"),
    ("rhythm", "quotidien", Err("code-inconnu")),
    ("recruitment_status", "Ouvert", "1"),
    ("recruitment_status", 3, "3"),
    ("equipment_type", "Equipement numerique", "11"),
    ("equipment_type", "11 - equipement numerique", "11"),
    ("equipment_type", "protection de l'ouie", "4"),
    # the same label with a typographic apostrophe (Word, PDF of the procedure, LibreOffice
    # autocorrect)
    ("equipment_type", "Protection de l\u2019ouïe", "4"),
    ("general_objective", "(Re)mobilisation, aide a l'elaboration de projet professionnel", "9"),
    # LHEO lists « Perfectionnement » under the keys 2 and 3: the code is the LHEO code 2
    ("general_objective", "2/3", "2"),
    ("general_objective", "3", "2"),
    ("general_objective", "2 - Perfectionnement, élargissement des compétences", "2"),
    # booleans: VRAI typed in LibreOffice/Excel is a real boolean; or typed as text
    ("fees_covered", True, "oui"),
    ("fees_covered", "VRAI", "oui"),
    ("fees_covered", "vrai", "oui"),
    ("fees_covered", "oui", "oui"),
    ("fees_covered", "Oui", "oui"),
    ("fees_covered", "OUI ", "oui"),
    ("certification_fees", False, "non"),
    ("certification_fees", "FAUX", "non"),
    ("certification_fees", "Non", "non"),
    ("fees_covered", "peut-être", Err("code-inconnu")),
    # VAT: "20 %", "20", a percentage-formatted cell (0.2), "5,5 %"
    ("vat_rate", "20 %", "20"),
    ("vat_rate", "20%", "20"),
    ("vat_rate", "20\u00a0%", "20"),
    ("vat_rate", "20\u202f%", "20"),
    ("vat_rate", "20", "20"),
    ("vat_rate", 20, "20"),
    ("vat_rate", 20.0, "20"),
    ("vat_rate", 0.2, "20"),
    ("vat_rate", "5,5 %", "5.5"),
    ("vat_rate", "5,5", "5.5"),
    ("vat_rate", 5.5, "5.5"),
    ("vat_rate", 0.055, "5.5"),
    ("vat_rate", "10 %", "10"),
    ("vat_rate", 0.1, "10"),
    ("vat_rate", "0 %", "0"),
    ("vat_rate", 0, "0"),
    ("vat_rate", "19,6 %", Err("code-inconnu")),
    ("vat_rate", "TVA", Err("code-inconnu")),
    # codes that arrive as numbers: SIRET, site code, contact id
    ("responsible_org", 44198765800016, "44198765800016"),
    ("responsible_org", 44198765800016.0, "44198765800016"),
    ("responsible_org", "44198765800016", "44198765800016"),
    ("site", 36364.0, "36364"),
    ("site", 36364, "36364"),
    ("site", "36364", "36364"),
    ("site", " 36364 ", "36364"),
    (
        "site",
        "36364 - ILF Nantes - Principal",
        "36364 - ILF Nantes - Principal",
    ),  # resolved by the rules
    ("delivery_site", 36371.0, "36371"),
    ("pmr_contact", 1902, "1902"),
    ("pmr_contact", 1902.0, "1902"),
    ("pmr_contact", "1902 - Claire Martin", "1902 - Claire Martin"),  # resolved by the rules
    ("mobility_contact", "1907", "1907"),
    # integers and decimals stored as text
    ("centre_hours", "200", 200),
    ("centre_hours", " 200 ", 200),
    ("centre_hours", "1 200", 1200),
    ("centre_hours", "1\u00a0200", 1200),
    ("centre_hours", "1\u202f200", 1200),
    ("centre_hours", "200,0", 200),
    ("centre_hours", 200.0, 200),
    ("centre_hours", "200,5", Err("entier-attendu")),
    ("centre_hours", 200.5, Err("entier-attendu")),
    ("centre_hours", "deux cents", Err("nombre-invalide")),
    ("centre_hours", "-5", Err("nombre-hors-limites")),
    ("weekly_hours", "17,5", 17.5),
    ("weekly_hours", "17.5", 17.5),
    ("weekly_hours", " 35 ", 35.0),
    ("weekly_hours", "70,5", Err("nombre-hors-limites")),
    ("fee_excl_tax", "3 200,00", 3200.0),
    ("fee_excl_tax", "3\u202f200,00\u00a0€", 3200.0),
    ("fee_excl_tax", "12,50 €", 12.5),
    ("fee_excl_tax", "12.5", 12.5),
    ("fee_excl_tax", 12.345, 12.35),
    ("ic_start_time", "9h30", T(9, 30)),
    ("ic_start_time", 0.3958333333333333, T(9, 30)),
    ("end_date", "1er mars 2025", D(2025, 3, 1)),
    ("end_date", "1/2", Err("date-incomplete")),
]


@pytest.mark.parametrize(
    ("key", "raw", "expected"), SCALAR_CASES, ids=[f"{c[0]}={c[1]!r}" for c in SCALAR_CASES]
)
def test_parse_scalar(key, raw, expected):
    result = outcome(parse_scalar, BY_KEY[key], raw)
    if isinstance(expected, float):
        assert result == pytest.approx(expected)
    else:
        assert result == expected


def test_unknown_code_message_lists_the_choices():
    with pytest.raises(CellError) as info:
        parse_scalar(BY_KEY["rhythm"], "quotidien")
    assert info.value.params["choices"] == "temps plein | temps partiel."


# --- end to end: a real workbook, the library and the command -------------------------------
@dataclass(frozen=True)
class Case:
    id: str
    key: str
    raw: Any
    expected: Any  # the parsed value kept by the validator, or Err(code)
    sheet: str = SESSIONS_SHEET
    where: str = "any"  # any | early (session starts in January) | ilf (lot of the organisme ILF)
    extra: tuple[tuple[str, str, Any], ...] = ()  # other cells of the same row: (sheet, key, value)
    number_format: str | None = None


def _ttc(value: str) -> tuple[tuple[str, str, Any], ...]:
    return ((SESSIONS_SHEET, "fee_incl_tax", value),)


LATE_END = ((INFOS_SHEET, "ic_end_time", "18h00"),)
_PART_TIME = ((SESSIONS_SHEET, "rhythm", "temps partiel"),)  # 17,5 h a week is not full time

E2E_CASES = [
    # dates: written into "Date fin" of sessions starting in January
    Case("date-datetime", "end_date", dt.datetime(2025, 2, 10), D(2025, 2, 10), where="early"),
    Case("date-serial", "end_date", 45698, D(2025, 2, 10), where="early"),
    Case("date-slash", "end_date", "10/02/2025", D(2025, 2, 10), where="early"),
    Case("date-dash", "end_date", "10-02-2025", D(2025, 2, 10), where="early"),
    Case("date-dot", "end_date", "10.02.2025", D(2025, 2, 10), where="early"),
    Case("date-short-year", "end_date", "10/02/25", D(2025, 2, 10), where="early"),
    Case("date-month-name", "end_date", "10 février 2025", D(2025, 2, 10), where="early"),
    Case("date-month-no-accent", "end_date", "10 Fevrier 2025", D(2025, 2, 10), where="early"),
    Case("date-premier", "end_date", "1er mars 2025", D(2025, 3, 1), where="early"),
    Case("date-spaces", "end_date", "  10/02/2025 ", D(2025, 2, 10), where="early"),
    Case("date-nbsp", "end_date", "10\u00a0février\u00a02025", D(2025, 2, 10), where="early"),
    Case("date-1/2", "end_date", "1/2", Err("date-incomplete")),
    Case("date-no-year", "end_date", "10 février", Err("date-incomplete")),
    Case("date-31/02", "end_date", "31/02/2025", Err("date-impossible")),
    Case("date-us-order", "end_date", "02/13/2025", Err("date-impossible")),
    Case("date-abc", "end_date", "abc", Err("date-invalide")),
    # numbers stored as text, decimal commas, thousands spaces
    Case("int-text", "centre_hours", "200", 200),
    Case("int-stray-spaces", "centre_hours", " 210 ", 210),
    Case("int-thousands-space", "centre_hours", "1 200", 1200),
    Case("int-thousands-nbsp", "centre_hours", "1\u00a0200", 1200),
    Case("int-thousands-nnbsp", "centre_hours", "1\u202f200", 1200),
    Case("int-float", "centre_hours", 230.0, 230),
    Case("int-decimal", "centre_hours", "200,5", Err("entier-attendu")),
    Case("int-words", "centre_hours", "deux cents", Err("nombre-invalide")),
    Case("int-negative", "centre_hours", "-5", Err("nombre-hors-limites")),
    Case("dec-comma", "weekly_hours", "17,5", 17.5, extra=_PART_TIME),
    Case("dec-point", "weekly_hours", "17.5", 17.5, extra=_PART_TIME),
    Case("dec-spaces", "weekly_hours", " 35 ", 35.0),
    Case("dec-over", "weekly_hours", "70,5", Err("nombre-hors-limites")),
    Case("euro", "extra_fees", "12,50 €", 12.5),
    Case("euro-point", "extra_fees", "12.5", 12.5),
    Case("euro-thousands", "extra_fees", "1 234,50", 1234.5),
    Case("euro-nbsp", "extra_fees", "1\u00a0234,50", 1234.5),
    Case("euro-nnbsp", "extra_fees", "1\u202f234,50\u00a0€", 1234.5),
    Case("euro-words", "extra_fees", "douze", Err("nombre-invalide")),
    Case("fee-nnbsp", "fee_excl_tax", "3\u202f200,00", 3200.0),
    Case("fee-number", "fee_excl_tax", 3200, 3200.0),
    # dropdowns: code - libellé, bare code, bare label, case, accents, spaces
    Case("list-display", "pathway_type", "4 - mixte", "4"),
    Case("list-code", "pathway_type", "4", "4"),
    Case("list-code-number", "pathway_type", 4, "4"),
    Case("list-label", "pathway_type", "mixte", "4"),
    Case("list-upper", "pathway_type", "MIXTE", "4"),
    Case("list-no-accent", "pathway_type", "Individualise", "2"),
    Case("list-spaces", "pathway_type", "  individualisé ", "2"),
    Case("list-display-upper", "pathway_type", "2 - INDIVIDUALISE", "2"),
    Case(
        "list-not-allowed",
        "pathway_type",
        "1 - en groupe (non personnalisable)",
        Err("code-non-admis"),
    ),
    Case("list-unknown", "pathway_type", "sur mesure", Err("code-inconnu")),
    Case("level-label", "entry_level", "niveau 4 (bac, bac pro, bp ou equivalent)", "14"),
    Case("level-number", "entry_level", 14, "14"),
    Case("esp-no-accent", "entry_exit_mode", "Entrees/Sorties a dates fixes", "dates-fixes"),
    Case("rhythm-case", "rhythm", "Temps Plein", "temps-plein"),
    Case("status-label", "recruitment_status", "Ouvert", "1"),
    Case("status-unknown", "recruitment_status", "quotidien", Err("code-inconnu")),
    Case("equipment-no-accent", "equipment_type", "Equipement numerique", "11"),
    Case(
        "fixed-label-no-accent",
        "general_objective",
        "(re)mobilisation, aide a l'elaboration de projet professionnel",
        "9",
    ),
    # booleans
    Case("bool-true", "fees_covered", True, "oui"),
    Case("bool-VRAI", "fees_covered", "VRAI", "oui"),
    Case("bool-oui", "fees_covered", "oui", "oui"),
    Case("bool-Oui", "fees_covered", "Oui", "oui"),
    Case("bool-false", "certification_fees", False, "non"),
    Case("bool-FAUX", "certification_fees", "FAUX", "non"),
    Case("bool-unknown", "fees_covered", "peut-être", Err("code-inconnu")),
    Case("bool-not-fixed", "fees_covered", "non", Err("valeur-imposee")),
    # VAT (HT is 3 200,00 on every row: TTC follows)
    Case("vat-20-pct", "vat_rate", "20 %", "20", extra=_ttc("3 840,00")),
    Case("vat-20", "vat_rate", "20", "20", extra=_ttc("3 840,00")),
    Case("vat-20-number", "vat_rate", 20, "20", extra=_ttc("3 840,00")),
    Case("vat-0.2-percent-cell", "vat_rate", 0.2, "20", extra=_ttc(3840), number_format="0%"),
    Case("vat-5,5-pct", "vat_rate", "5,5 %", "5.5", extra=_ttc("3 376,00")),
    Case(
        "vat-0.055-percent-cell", "vat_rate", 0.055, "5.5", extra=_ttc(3376), number_format="0.0%"
    ),
    Case("vat-10-pct", "vat_rate", "10 %", "10", extra=_ttc("3 520,00")),
    Case("vat-0-pct", "vat_rate", "0 %", "0", extra=_ttc("3 200,00")),
    Case("vat-unknown", "vat_rate", "19,6 %", Err("code-inconnu"), extra=_ttc("3 827,20")),
    # codes arriving as numbers (rows of lots PAS2025_1/2, mandataire ILF 44198765800016)
    Case("siret-int", "responsible_org", 44198765800016, "44198765800016", where="ilf"),
    Case("siret-float", "responsible_org", 44198765800016.0, "44198765800016", where="ilf"),
    Case("siret-spaces", "responsible_org", "441 987 658 00016", "44198765800016", where="ilf"),
    Case(
        "siret-display",
        "responsible_org",
        "44198765800016 - Institut Ligérien de Formation",
        "44198765800016",
        where="ilf",
    ),
    Case("siret-bad-key", "responsible_org", "44198765800017", Err("siret-invalide"), where="ilf"),
    Case(
        "siret-other-org",
        "responsible_org",
        49281345600018,
        Err("organisme-responsable"),
        where="ilf",
    ),
    Case("site-float", "site", 36364.0, "36364", where="ilf"),
    Case("site-int", "site", 36364, "36364", where="ilf"),
    Case("site-text", "site", " 36364 ", "36364", where="ilf"),
    Case("site-display", "site", "36364 - ILF Nantes - Principal", "36364", where="ilf"),
    Case("delivery-site-float", "delivery_site", 36371.0, "36371", where="ilf"),
    Case("site-unknown", "site", 99999.0, Err("site-inconnu"), where="ilf"),
    Case("site-other-lot", "site", 41210.0, Err("site-hors-lot"), where="ilf"),
    Case("ic-site-float", "ic_site", 36364.0, "36364", sheet=INFOS_SHEET, where="ilf"),
    Case("contact-int", "pmr_contact", 1902, "1902", where="ilf"),
    Case("contact-float", "mobility_contact", 1907.0, "1907", where="ilf"),
    Case("contact-display", "pmr_contact", "1902 - Claire Martin", "1902", where="ilf"),
    Case("contact-unknown", "pmr_contact", 9999, Err("contact-inconnu"), where="ilf"),
    Case("contact-other-lot", "pmr_contact", 2210, Err("contact-hors-lot"), where="ilf"),
    # times of an information collective (its end set to 18h00)
    Case("time-9h30", "ic_start_time", "9h30", T(9, 30), sheet=INFOS_SHEET, extra=LATE_END),
    Case("time-09:30", "ic_start_time", "09:30", T(9, 30), sheet=INFOS_SHEET, extra=LATE_END),
    Case("time-9h", "ic_start_time", "9h", T(9, 0), sheet=INFOS_SHEET, extra=LATE_END),
    Case("time-14H00", "ic_start_time", "14H00", T(14, 0), sheet=INFOS_SHEET, extra=LATE_END),
    Case("time-object", "ic_start_time", T(9, 30), T(9, 30), sheet=INFOS_SHEET, extra=LATE_END),
    Case(
        "time-fraction",
        "ic_start_time",
        0.3958333333333333,
        T(9, 30),
        sheet=INFOS_SHEET,
        extra=LATE_END,
    ),
    Case(
        "time-25h",
        "ic_start_time",
        "25h00",
        Err("heure-invalide"),
        sheet=INFOS_SHEET,
        extra=LATE_END,
    ),
    Case(
        "time-midi",
        "ic_start_time",
        "midi",
        Err("heure-invalide"),
        sheet=INFOS_SHEET,
        extra=LATE_END,
    ),
]

_PLACE = {
    "any": lambda i: True,
    "early": lambda i: i < 30,  # make_sample: these sessions start between 6 and 31 January 2025
    "ilf": lambda i: i % 5 in (0, 1),  # make_sample: lots[i % 5]; PAS2025_1 and _2 are ILF's
}


def _allocate(cases: list[Case]) -> dict[str, int]:
    """One data row per case, honouring where a case needs to be."""
    taken: set[int] = set()
    rows: dict[str, int] = {}
    order = sorted(cases, key=lambda c: {"early": 0, "ilf": 1, "any": 2}[c.where])
    for case in order:
        i = next(i for i in range(1000) if i not in taken and _PLACE[case.where](i))
        taken.add(i)
        rows[case.id] = i
    return rows


ROWS = _allocate(E2E_CASES)


def _cell(case: Case) -> str:
    return f"{column_of(case.sheet, case.key).letter}{FIRST_DATA_ROW + ROWS[case.id]}"


@pytest.fixture(scope="module")
def typed_workbook(tmp_path_factory) -> Path:
    sample = make_sample(max(ROWS.values()) + 1)
    for case in E2E_CASES:
        i = ROWS[case.id]
        sample.set(case.sheet, case.key, i, case.raw)
        if case.number_format:
            col = column_of(case.sheet, case.key)
            sample.builder.book[case.sheet].cell(
                row=FIRST_DATA_ROW + i, column=col.index
            ).number_format = case.number_format
        for sheet, key, value in case.extra:
            sample.set(sheet, key, i, value)
    path = tmp_path_factory.mktemp("typing") / "saisie-tapee.xlsx"
    sample.save(path)
    return path


@pytest.fixture(scope="module")
def library_result(typed_workbook):
    return run_validation(read_workbook(typed_workbook))


@pytest.fixture(scope="module")
def cli_report(typed_workbook) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "sofi_bulk", "validate", str(typed_workbook), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr  # the rejected forms are errors
    return json.loads(proc.stdout)


def test_the_untouched_rows_of_the_typed_workbook_are_clean(library_result):
    """Guard for the cases below: every error is on a row given a rejected form."""
    rejected = {
        (c.sheet, FIRST_DATA_ROW + ROWS[c.id]) for c in E2E_CASES if isinstance(c.expected, Err)
    }
    stray = [i for i in library_result.errors if (i.sheet, i.row) not in rejected]
    assert stray == []


@pytest.mark.parametrize("case", E2E_CASES, ids=[c.id for c in E2E_CASES])
def test_typed_form_through_the_library(case, library_result):
    cell = _cell(case)
    row = FIRST_DATA_ROW + ROWS[case.id]
    at_cell = [i for i in library_result.issues if i.sheet == case.sheet and i.cell == cell]
    if isinstance(case.expected, Err):
        codes = [i.code for i in at_cell]
        assert case.expected.code in codes, (cell, [i.message for i in at_cell])
        issue = next(i for i in at_cell if i.code == case.expected.code)
        assert issue.severity == "erreur"
        assert issue.row == row
        assert issue.field == case.key
        assert BY_KEY[case.key].header in issue.message
        return
    assert at_cell == [], [i.message for i in at_cell]
    row_errors = [i for i in library_result.errors if i.sheet == case.sheet and i.row == row]
    assert row_errors == [], [i.message for i in row_errors]
    records = library_result.sessions if case.sheet == SESSIONS_SHEET else library_result.infos
    record = next(r for r in records if r.row == row)
    assert case.key not in record.unusable
    value = record.values[case.key]
    if isinstance(case.expected, float):
        assert value == pytest.approx(case.expected)
    else:
        assert value == case.expected
        assert type(value) is type(case.expected)


@pytest.mark.parametrize("case", E2E_CASES, ids=[c.id for c in E2E_CASES])
def test_typed_form_through_the_command(case, cli_report):
    cell = _cell(case)
    at_cell = [i for i in cli_report["issues"] if i["sheet"] == case.sheet and i["cell"] == cell]
    if isinstance(case.expected, Err):
        assert [i["code"] for i in at_cell if i["severity"] == "erreur"].count(
            case.expected.code
        ) == 1, at_cell
    else:
        assert at_cell == []


def test_time_just_before_midnight_in_a_workbook(book):
    """A day fraction of 23:59:34 in an information collective must not crash the validator."""
    col = column_of(INFOS_SHEET, "ic_end_time")
    book.sheets[INFOS_SHEET][FIRST_DATA_ROW - 1][col.index - 1] = 0.9997
    result = run_validation(book)  # raised ValueError: hour must be in 0..23
    cell = f"{col.letter}{FIRST_DATA_ROW}"
    codes = [i.code for i in result.issues if i.cell == cell and i.sheet == INFOS_SHEET]
    assert codes in ([], ["heure-invalide"])


def test_time_just_before_midnight_through_the_command(tmp_path):
    sample = make_sample(2)
    sample.set(INFOS_SHEET, "ic_end_time", 0, 0.9997)
    path = tmp_path / "tard.xlsx"
    sample.save(path)
    proc = subprocess.run(
        [sys.executable, "-m", "sofi_bulk", "validate", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-600:]
    assert proc.returncode in (0, 1)


def test_fold_takes_a_shortcut_for_plain_ascii_that_changes_nothing():
    """References and codes are ASCII: fold skips Unicode decomposition for them, and must
    give what the decomposition gives, for every pair of ASCII characters."""
    import itertools
    import unicodedata

    from sofi_bulk.core.text import _LOOKALIKES, clean, fold

    def decomposed(value: str) -> str:
        text = unicodedata.normalize("NFKD", clean(value).casefold().translate(_LOOKALIKES))
        return "".join(c for c in text if not unicodedata.combining(c))

    ascii_chars = [chr(i) for i in range(128)]
    pairs = ["".join(p) for p in itertools.product(ascii_chars, repeat=2)]
    assert [fold(p) for p in pairs] == [decomposed(p) for p in pairs]
    assert fold(" Réf `S01`  ") == "ref 's01'" and fold("ÉTÉ") == "ete"


def test_clean_collapses_the_spaces_the_regex_did():
    """clean() splits on Python's spaces instead of a regex: every character alone, between
    letters and in runs, and mixed strings, give what the regex gave."""
    import re
    import sys

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sofi_bulk.core.text import clean

    spaces = re.compile(r"[\s\u00a0\u202f\u2007\u200b]+")

    def by_regex(value: str) -> str:
        return spaces.sub(" ", value).strip()

    for code in range(sys.maxunicode + 1):  # at both ends, in a run, between letters
        value = "{0}a{0}{0}b{0}\u200b{0}c{0}".format(chr(code))
        assert clean(value) == by_regex(value), hex(code)

    alphabet = st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x85\u00a0\u2007\u202f\u200b\u3000ab-é"))

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet, max_size=30))
    def same(value: str) -> None:
        assert clean(value) == by_regex(value)

    same()
