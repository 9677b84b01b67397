"""The blank référentiel the Région fills: one sheet per table with the expected headers
(obligatory ones in red, each with its help in a note), one example row, every column
in Text format (a SIRET never turns into 4,41988E+13), and an « Aide » sheet.

Everything comes from the declarations of ``sofi_bulk.core.referentiel_columns``; the
reader skips the example row when it is left untouched (with a warning).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from sofi_bulk.core.cells import column_letter
from sofi_bulk.core.referentiel_columns import REFERENTIEL_TABLES, Column
from sofi_bulk.core.workbook import content_fingerprint
from sofi_bulk.excel.package import workbook_bytes
from sofi_bulk.files import write_out

HELP_SHEET = "Aide"
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
EXAMPLE_FONT = Font(italic=True, color="7F7F7F")
STEPS = [
    "Une feuille par table : Lots, Organismes, Sites, Contacts. Gardez les en-têtes de la "
    "première ligne (en rouge : obligatoires) ; survolez un en-tête pour lire son aide.",
    "La ligne 2 de chaque feuille est un exemple : remplacez-la par vos données ou "
    "supprimez-la (laissée telle quelle, elle est ignorée).",
    "Un lot propose les sites et les contacts de son mandataire et de ses organismes "
    "formateurs : chaque SIRET d'un lot doit figurer dans la feuille Organismes.",
    "Les colonnes sont au format Texte : les SIRET, codes postaux et téléphones gardent tous "
    "leurs chiffres. Des colonnes ajoutées sont signalées, jamais lues en silence.",
    "Vérifiez le fichier rempli : sofi-bulk referentiel verifier referentiel.xlsx ; puis "
    "générez le modèle de saisie : sofi-bulk template --referentiel referentiel.xlsx "
    "-o saisie.xlsx.",
    "Sont aussi acceptés : un classeur .xls ou .ods avec les mêmes feuilles, ou un dossier "
    "de fichiers CSV (un par table, dont le nom contient lots, organismes, sites ou "
    "contacts ; séparateur ; ou , ; UTF-8 ou Windows-1252). Des lignes de titre au-dessus "
    "des en-têtes ne gênent pas.",
]
HELP_HEADERS = [
    "Feuille",
    "En-tête",
    "Obligatoire",
    "Contenu",
    "Autres en-têtes acceptés",
    "Exemple",
]


def build_blank_referentiel() -> Workbook:
    book = Workbook()
    help_ws = book.active
    help_ws.title = HELP_SHEET
    for table in REFERENTIEL_TABLES.values():
        ws = book.create_sheet(table.label)
        for c, col in enumerate(table.columns, start=1):
            cell = ws.cell(row=1, column=c, value=col.title)
            cell.font = Font(bold=True, color="C00000" if col.required else "000000")
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.comment = _note(col)
            example = ws.cell(row=2, column=c, value=col.example)
            example.font = EXAMPLE_FONT
            letter = column_letter(c)
            ws.column_dimensions[letter].width = max(14, min(40, len(str(col.example)) + 4))
            if col.kind != "int":
                for row in range(2, 1001):
                    ws.cell(row=row, column=c).number_format = "@"
        ws.row_dimensions[1].height = 32
        ws.freeze_panes = "A2"
    _write_help(help_ws)
    return book


def _note(col: Column) -> Comment:
    others = ", ".join(h for h in col.headers if h != col.title)
    text = (
        f"{col.help} {'Obligatoire.' if col.required else 'Facultatif.'} "
        f"Autres en-têtes acceptés : {others}."
    )
    comment = Comment(text, "sofi-bulk")
    comment.width = 320
    comment.height = 60 + 15 * (len(text) // 45)
    return comment


def _write_help(ws: Worksheet) -> None:
    ws["A1"] = "Référentiel de la Région pour sofi-bulk"
    ws["A1"].font = Font(bold=True, size=16)
    row = 3
    for step in STEPS:
        cell = ws.cell(row=row, column=1, value=f"• {step}")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        ws.row_dimensions[row].height = 32
        row += 1
    row += 1
    for table in REFERENTIEL_TABLES.values():
        ws.cell(row=row, column=1, value=f"{table.label} : {table.help}").font = Font(bold=True)
        row += 1
        for c, title in enumerate(HELP_HEADERS, start=1):
            ws.cell(row=row, column=c, value=title).font = Font(bold=True)
        for col in table.columns:
            row += 1
            values = [
                table.label,
                col.title,
                "oui" if col.required else "non",
                col.help,
                ", ".join(h for h in col.headers if h != col.title),
                col.example,
            ]
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=c, value=value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = 15 * max(1, len(col.help) // 45 + 1)
        row += 2
    for letter, width in zip("ABCDEF", (14, 24, 11, 50, 40, 24), strict=True):
        ws.column_dimensions[letter].width = width
    ws.sheet_view.showGridLines = False


def write_blank_referentiel(target: str | Path | BinaryIO) -> None:
    """Write the blank référentiel to a path (atomically) or a binary file object."""
    data = workbook_bytes(build_blank_referentiel())
    write_out(data, target)


def blank_fingerprint() -> str:
    """The values of the blank référentiel, hashed: an untouched one may be replaced."""
    from sofi_bulk.excel.reader import read_workbook

    data = workbook_bytes(build_blank_referentiel())
    return content_fingerprint(read_workbook(data, "vierge.xlsx").sheets)
