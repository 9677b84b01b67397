"""Input workbooks for the golden outputs, made from the bundled example with openpyxl only.

They use no sofi-bulk import, so they stay the same whatever the package's layout.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "saisie-exemple.xlsx"


def _col(ws, header: str) -> str:
    for cell in ws[2]:
        if cell.value == header:
            return cell.column_letter
    raise KeyError(header)


def _set(book: Workbook, sheet: str, header: str, row: int, value) -> None:
    ws = book[sheet]
    ws[f"{_col(ws, header)}{row}"] = value


def faulty(book: Workbook) -> None:
    s = "Sessions"
    _set(book, s, "Date début", 3, "31/02/2025")
    _set(book, s, "Type de parcours", 3, "entretien")
    _set(book, s, "Mail de liaison", 3, "pas-un-mail")
    _set(book, s, "URL action", 3, "www.exemple")
    _set(book, s, "Intitulé", 4, "Autre titre")
    _set(book, s, "Date fin", 4, "01/01/2025")
    _set(book, s, "Site lieu", 4, "41210")
    _set(book, s, "Réf. session", 5, "S001")
    _set(book, s, "Nb places dispositif", 5, None)
    _set(book, s, "Frais TTC (€)", 5, "9999")
    _set(book, s, "Complément intitulé", 6, "x" * 300)
    _set(book, s, "Durée hebdo (h)", 6, "3.200")
    _set(book, s, "Numéro lot CR", 7, "PAS2099")
    _set(book, s, "Code FAS", 8, "19482-89393-143842-1")  # four parts: not a FAS code
    _set(book, s, "Modalité de recrutement (2)", 8, "sur dossier")
    # SOFI numbers reused, a modified session already ended (row 4 ends on 01/01/2025, before
    # the suite's « today »), teaching at a distance without the FOAD
    _set(book, s, "Code FAS", 4, "19482-89400-143842")
    _set(book, s, "Code FAS", 6, "19490-89393-143842")  # session 143842 under another action
    _set(book, s, "Code FAS", 7, "19491-89393")  # action 89393 under another formation
    _set(book, s, "Modalités d'enseignement", 5, "2 - formation entièrement à distance")
    ws = book[s]
    ws["BQ2"] = "Mes notes"  # a column of the user's own, after a blank one
    ws["BQ3"] = "à rappeler"
    ws["BQ5"] = 12.5
    ws["A1"] = "Note de travail"
    extra = book.create_sheet("Mes calculs", 1)
    extra["A1"] = "Budget"
    extra["B2"] = 1200
    i = "Infos collectives"
    _set(book, i, "Date", 3, "30/12/2025")
    _set(book, i, "Réf. session", 4, "S999")
    _set(book, i, "Heure fin", 5, "8h00")
    p = "Périodes inscription"
    _set(book, p, "Date fin", 3, "01/01/2024")
    _set(book, p, "Type", 4, "inscriptions")


def missing_column(book: Workbook) -> None:
    ws = book["Sessions"]
    col = ws[f"{_col(ws, 'Nb places dispositif')}1"].column
    ws.delete_cols(col)
    ws2 = book["Périodes inscription"]
    ws2.delete_cols(ws2[f"{_col(ws2, 'Type')}1"].column)


def without_meta(book: Workbook) -> None:
    del book["_meta"]
    _set(book, "Sessions", "Rythme", 4, "temps partiel")
    _set(book, "Sessions", "Durée hebdo (h)", 4, "24")


def _copy_row(ws, source: int, target: int, keep: set[str]) -> None:
    """Row ``target`` takes the values of row ``source``, but for the columns in ``keep``."""
    for cell in ws[2]:
        if cell.value in keep or cell.value is None:
            continue
        ws.cell(row=target, column=cell.column).value = ws.cell(
            row=source, column=cell.column
        ).value


def fas_codes(book: Workbook) -> None:
    """SOFI's F-A-S structure: two formations, three actions, five sessions.

    Formation 19482 (ILF, lot PAS2025_1): action 89393 holds session 143842, modified
    (S001), and a new session (S002, code F-A); action 89400 holds session 143901, modified
    (S003). A new formation (Horizons, lot PAS2025_3) holds one new action, grouped by its
    « Réf. action » ANGERS (S004, S005). Each session keeps its dates and its information
    collective and période d'inscription; the sixth session of the example is cleared."""
    s = "Sessions"
    ws = book[s]
    own = {"Contrôle", "Réf. session", "Date début", "Date fin"}
    _copy_row(ws, 5, 6, own)  # S004 and S005: copies of S003 (Horizons, lot PAS2025_3)
    _copy_row(ws, 5, 7, own)
    _copy_row(ws, 3, 4, own)  # S002 and S003: copies of S001 (ILF, lot PAS2025_1)
    _copy_row(ws, 3, 5, own)
    for row, code in ((3, "19482-89393-143842"), (4, "19482-89393"), (5, "19482-89400-143901")):
        _set(book, s, "Code FAS", row, code)
    _set(book, s, "Site dispensateur", 5, "36371 - ILF Nantes - Île de Nantes")
    _set(book, s, "Site lieu", 5, "36371 - ILF Nantes - Île de Nantes")
    for row in (6, 7):
        _set(book, s, "Réf. action", row, "ANGERS")
    for cell in ws[8]:
        cell.value = None
    i = "Infos collectives"
    _set(book, i, "Lieu", 5, "36371 - ILF Nantes - Île de Nantes")  # S003 is ILF's now
    _set(book, i, "Lieu", 7, "41210 - Horizons Angers - Principal")  # S005 is in Angers now
    for sheet in (i, "Périodes inscription"):
        for cell in book[sheet][8]:
            cell.value = None


CASES: dict[str, Callable[[Workbook], None] | None] = {
    "exemple": None,
    "erreurs": faulty,
    "colonne-manquante": missing_column,
    "sans-meta": without_meta,
    "fas": fas_codes,
}


def build(name: str, folder: Path) -> Path:
    """Write the input workbook of a case into ``folder``."""
    out = folder / f"{name}.xlsx"
    edit = CASES[name]
    if edit is None:
        out.write_bytes(EXAMPLE.read_bytes())
        return out
    book = load_workbook(EXAMPLE)
    for ws in book.worksheets:
        ws.protection.sheet = False
    edit(book)
    book.save(out)
    return out
