"""The "Aide" sheet: how to fill the workbook, the lots offered, and a data dictionary from
the catalogue, readable on a 1,366 px laptop screen without scrolling sideways.

Written for the person who fills the workbook in Excel or LibreOffice: numbered steps from
opening the file to sending the offer, the add-in's installation, the terminal as an
alternative. The dictionary says what each column takes; its correspondence with LHEO 2.3,
a developer's concern, is in docs/lheo.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.display import prefill_display
from sofi_bulk.core.fields import BY_KEY, FIELDS, LEVEL_LABELS, Field, Kind
from sofi_bulk.core.layout import DATA_SHEETS, LEVEL_COLOURS
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.referentiel import Lot, Referentiel
from sofi_bulk.core.text import fr_number
from sofi_bulk.distribution import ADDIN_BUTTONS as BUTTONS
from sofi_bulk.excel.addin_help import addin_help
from sofi_bulk.excel.styles import font
from sofi_bulk.excel.values import put

# A: the steps' numbers; B to G: the text, the lots, the dictionary. 163 characters of
# Calibri 11 make 1,176 px in Excel, 1,270 px with its row numbers in LibreOffice: the sheet
# fits a 1,366 px screen. A step's text spans B:E, about 100 characters a line.
WIDTHS = {"A": 5, "B": 28, "C": 12, "D": 14, "E": 32, "F": 28, "G": 44}
TEXT_COLUMNS = "BCDE"
LINE = 15  # points: one line of Calibri 11

STEPS = [
    "Ouvrez ce classeur dans Excel ou LibreOffice et enregistrez-le sous un nom à vous, au "
    "format .xlsx (Excel : Classeur Excel ; LibreOffice : Excel 2007-365).",
    "Feuille « Sessions » : une ligne par session. Choisissez d'abord le « Numéro lot CR » : il "
    "détermine le mandataire (organisme responsable), les codes externes, et les sites et "
    "contacts proposés dans les listes de la ligne.",
    "Remplissez les autres colonnes. En-têtes en rouge : obligatoires. Colonnes grisées : "
    "imposées par le programme, protégées. Textes pré-remplis (objectifs, public visé…) : "
    "valeurs par défaut, à adapter si besoin. Survolez un en-tête pour lire son aide. Dates "
    "au format jj/mm/aaaa (ex. 10/02/2025), nombres avec une virgule (ex. 17,5), frais par "
    "stagiaire (HT, TTC et reste à sa charge).",
    "Code FAS : pour modifier une session qui existe dans SOFI, donnez son code complet (ex. "
    "19482-89393-143842 ; l'accord préalable de la Région est requis). Pour une nouvelle "
    "session d'une action existante, le code de l'action (19482-89393) ; pour une nouvelle "
    "action d'une formation existante, le code de la formation (19482) ; sinon laissez vide. "
    "Les lignes de même code, ou de même « Réf. action », forment une seule action SOFI.",
    "Feuille « Infos collectives » : au moins une information collective par session "
    "(obligatoire pour alimenter Kairos, Ouiform et les sites régionaux), rattachée par sa "
    "Réf. session.",
    "Feuille « Périodes inscription » : les périodes de candidature, de recrutement ou "
    "d'inscription de chaque session, rattachées de la même façon.",
    "Enregistrez, puis contrôlez le classeur : dans Excel, avec le bouton "
    f"« {BUTTONS['controler']} » du complément xlwings Lite (voir plus bas) ; sinon, et sous "
    "LibreOffice, en le déposant sur la page web du service « Déposer son offre », qui rend "
    "une copie annotée à télécharger.",
    "Corrigez ce que le contrôle a marqué : cellules rouges (erreurs) et orange "
    "(avertissements), dont la note dit quoi faire ; la feuille « Erreurs » les liste avec un "
    "lien vers chacune ; la colonne « Contrôle » résume chaque ligne. Enregistrez, contrôlez "
    "à nouveau, jusqu'à « 0 erreur ».",
    "Transmettez l'offre : déposez le classeur sur la page web du service, ou exportez-la "
    f"depuis le complément (boutons « {BUTTONS['exporter_soumission']} » et "
    f"« {BUTTONS['exporter_lheo']} »).",
]
NOTE = (
    "Un copier-coller peut contourner les listes et les règles de la feuille : le contrôle "
    "revérifie toujours tout."
)

TERMINAL_INTRO = (
    "Autre possibilité, pour qui a installé sofi-bulk sur son poste : les mêmes étapes dans "
    "un terminal."
)
TERMINAL_STEPS = [
    "Contrôler : sofi-bulk validate saisie.xlsx -o saisie-annotee.xlsx (la copie annotée "
    "porte les marques).",
    "Après correction dans la copie annotée, enregistrée et fermée : sofi-bulk validate "
    "saisie-annotee.xlsx --en-place.",
    "Exporter : sofi-bulk export saisie-annotee.xlsx -o soumission.json, et sofi-bulk lheo "
    "saisie-annotee.xlsx -o offre.xml pour le fichier LHEO 2.3.",
]

LOT_HEADERS = [
    "Numéro lot CR",
    "Places commandées",
    "Année de campagne",
    "Intitulé",
    "Mandataire",
    "Codes externes",
]
DICT_HEADERS = [
    "Colonne",
    "Obligatoire",
    "Type",
    "Valeurs admises / limites",
    "Valeur imposée ou par défaut",
    "Aide",
]
LHEO_NOTE = (
    "La correspondance de chaque colonne avec LHEO 2.3 est décrite dans la documentation de "
    "sofi-bulk (docs/lheo.md)."
)


def _limits(fld: Field, profile: Profile, years: list[int]) -> str:
    if fld.kind is Kind.CODE:
        allowed = profile.allowed.get(fld.key)
        options = table_of(fld).restricted(allowed)
        text = " | ".join(o.display for o in options)
        return (
            text if len(text) < 600 else f"liste « {table_of(fld).title} » ({len(options)} valeurs)"
        )
    parts = []
    if fld.max_length:
        parts.append(f"{fld.max_length} caractères au plus")
    if fld.min_value is not None and fld.max_value is not None:
        parts.append(f"de {fr_number(fld.min_value)} à {fr_number(fld.max_value)}")
    if fld.kind is Kind.DATE and fld.key == "start_date":
        parts.append("début en " + " ou ".join(str(y) for y in years))
    if fld.lot_dependent:
        parts.append("liste selon le lot")
    return ", ".join(parts)


def _value(fld: Field, profile: Profile) -> str:
    value = profile.prefill(fld.key)
    if value is None:
        return ""
    shown = " ; ".join(str(v) for v in prefill_display(fld, value))
    prefix = "Imposée : " if fld.key in profile.fixed else "Par défaut : "
    return prefix + (shown if len(shown) <= 120 else shown[:117] + "…")


def lines_of(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in ``width`` characters of column: a character
    of text is narrower than the digit a column's width counts, so this errs on the tall side
    (spreadsheets do not grow the rows of a file they open)."""
    return sum(max(1, math.ceil(len(part) / (width * 1.2))) for part in text.split("\n"))


class HelpWriter:
    """Writes the sheet row by row."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.row = 0

    def heading(self, text: str, *, skip: int = 2) -> None:
        self.row += skip
        cell = self.ws.cell(row=self.row, column=1, value=text)
        cell.font = font(bold=True, size=13)
        self.ws.row_dimensions[self.row].height = 20

    def paragraph(
        self, text: str, number: int | None = None, *, italic: bool = False, link: str | None = None
    ) -> None:
        """A step (its number in A) or a paragraph: wrapped in B:E, its row sized for it;
        ``link``, an address the paragraph names, makes it a hyperlink."""
        self.row += 1
        ws, row = self.ws, self.row
        if number is not None:
            mark = ws.cell(row=row, column=1, value=f"{number}.")
            mark.font = font(bold=True)
            mark.alignment = Alignment(horizontal="right", vertical="top")
        cell = ws.cell(row=row, column=2)
        put(cell, text)  # a programme's words: data
        cell.font = font(italic=italic, color="595959" if italic else None)
        if link:
            cell.hyperlink = link
            cell.font = font(color="0563C1", underline="single")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=1 + len(TEXT_COLUMNS))
        width = sum(WIDTHS[c] for c in TEXT_COLUMNS)
        ws.row_dimensions[row].height = LINE * lines_of(text, width) + 2

    def table(self, headers: list[str], rows: list[tuple[list[object], str | None]]) -> None:
        """A table in B:G: bold headers, then rows wrapped, each with an optional fill on its
        first cell; every row sized for its tallest cell."""
        self.row += 1
        for col, title in enumerate(headers, start=2):
            cell = self.ws.cell(row=self.row, column=col, value=title)
            cell.font = font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        self.size(headers)
        for values, colour in rows:
            self.row += 1
            for col, value in enumerate(values, start=2):
                cell = self.ws.cell(row=self.row, column=col)
                put(cell, value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if colour:
                self.ws.cell(row=self.row, column=2).fill = PatternFill("solid", fgColor=colour)
            self.size(values)

    def size(self, values: Sequence[object]) -> None:
        widths = [WIDTHS[letter] for letter in "BCDEFG"]
        lines = max(
            lines_of("" if v is None else str(v), w) for v, w in zip(values, widths, strict=False)
        )
        self.ws.row_dimensions[self.row].height = LINE * lines


def write_help_sheet(
    ws: Worksheet,
    profile: Profile,
    referentiel: Referentiel,
    lots: list[Lot],
    year_of: Callable[[Lot], int],
    service: str | None = None,
) -> None:
    years = sorted({year_of(lot) for lot in lots})
    put(ws["A1"], f"Saisie SOFI en masse : {profile.label}")  # a programme file's words: data
    ws["A1"].font = font(bold=True, size=16)
    put(ws["A2"], profile.procedure)
    ws["A2"].font = font(italic=True, color="595959")
    out = HelpWriter(ws)
    out.row = 2
    out.heading("Comment remplir ce classeur")
    steps = list(STEPS)
    for key, texts in profile.placeholders.items():  # sentences the programme asks to replace
        said = " ; ".join(f"« {t} »" for t in texts)
        steps.insert(
            3,
            f"À compléter : dans « {BY_KEY[key].header} », remplacez {said} par ce que la phrase "
            "demande ; le contrôle refuse une ligne qui la contient encore.",
        )
    for number, step in enumerate(steps, start=1):
        out.paragraph(step, number)
    out.paragraph(NOTE, italic=True)

    addin = addin_help(service)  # where to get the add-in: the service's page, or whom to ask
    out.heading(addin.title)
    out.paragraph(addin.intro)
    out.paragraph(addin.where, link=addin.page)
    for number, step in enumerate(addin.steps, start=1):
        out.paragraph(step, number)
    out.paragraph(addin.note, italic=True)

    out.heading("Dans un terminal (sofi-bulk)")
    out.paragraph(TERMINAL_INTRO)
    for number, step in enumerate(TERMINAL_STEPS, start=1):
        out.paragraph(step, number)

    out.heading("Lots proposés")
    lot_rows: list[tuple[list[object], str | None]] = []
    for lot in lots:
        mandataire = referentiel.organismes[lot.siret_mandataire]
        codes = f"ID Action CR {lot.id_action_cr} ; OF Mandataire CR {lot.of_mandataire_cr}"
        lot_rows.append(
            ([lot.numero, lot.places, year_of(lot), lot.intitule, mandataire.nom, codes], None)
        )
    out.table(LOT_HEADERS, lot_rows)

    out.heading("Dictionnaire des colonnes")
    out.paragraph(LHEO_NOTE, italic=True)
    for sheet in DATA_SHEETS:
        fields = [f for f in FIELDS if f.sheet == sheet]
        for level in dict.fromkeys(f.level for f in fields):
            band, fill = LEVEL_COLOURS[level]
            out.heading(f"Feuille « {sheet} » : {LEVEL_LABELS[level].lower()}", skip=1)
            ws.cell(row=out.row, column=1).font = font(bold=True, color="FFFFFF")
            for letter in WIDTHS:
                ws[f"{letter}{out.row}"].fill = PatternFill("solid", fgColor=band)
            out.table(
                DICT_HEADERS,
                [
                    (
                        [
                            fld.header,
                            "oui" if profile.is_required(fld.key) else "non",
                            fld.kind.value,
                            _limits(fld, profile, years),
                            _value(fld, profile),
                            fld.help,
                        ],
                        fill,
                    )
                    for fld in fields
                    if fld.level is level
                ],
            )
    for letter, width in WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.sheet_view.showGridLines = False
