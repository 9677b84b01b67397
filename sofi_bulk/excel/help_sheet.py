"""The "Aide" sheet: how to fill the workbook, and a data dictionary from the catalogue."""

from __future__ import annotations

import math
from collections.abc import Callable

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.display import prefill_display
from sofi_bulk.core.fields import BY_KEY, FIELDS, LEVEL_LABELS, Field, Kind
from sofi_bulk.core.layout import LEVEL_COLOURS
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.referentiel import Lot, Referentiel
from sofi_bulk.core.text import fr_number
from sofi_bulk.excel.addin_help import addin_help
from sofi_bulk.excel.values import put
from sofi_bulk.lheo.mapping import NOT_EXPORTED, lheo_doc

STEPS = [
    "1. Feuille « Sessions » : une ligne par session. Choisissez d'abord le « Numéro lot CR » : "
    "il détermine le mandataire (organisme responsable), les codes externes, les sites et les "
    "contacts proposés dans les listes.",
    "2. Les colonnes grisées sont imposées par le programme : ne les modifiez pas. Les textes "
    "pré-remplis (objectifs, public visé…) sont des valeurs par défaut : adaptez-les si besoin.",
    "Code FAS : pour modifier une session qui existe dans SOFI, donnez son code complet (ex. "
    "19482-89393-143842 ; l'accord préalable de la Région est requis). Pour une nouvelle session "
    "d'une action existante, le code de l'action (19482-89393) ; pour une nouvelle action d'une "
    "formation existante, le code de la formation (19482) ; sinon laissez vide. Les lignes de "
    "même code, ou de même « Réf. action », forment une seule action SOFI.",
    "Frais : montants par stagiaire (HT, TTC et frais restant à sa charge).",
    "3. Les en-têtes en rouge sont obligatoires. Survolez un en-tête pour lire son aide.",
    "4. Dates au format jj/mm/aaaa (ex. 10/02/2025). Nombres avec une virgule décimale (ex. 17,5).",
    "5. Feuille « Infos collectives » : au moins une information collective par session "
    "(obligatoire pour alimenter Kairos, Ouiform et les sites régionaux), rattachée par sa Réf. "
    "session.",
    "6. Feuille « Périodes inscription » : les périodes de candidature, de recrutement ou "
    "d'inscription de chaque session, rattachées de la même façon.",
    "7. Contrôlez le classeur : sofi-bulk validate saisie.xlsx -o saisie-annotee.xlsx. "
    "Les cellules en erreur sont colorées (rouge : erreur, orange : avertissement), avec une "
    "note qui explique quoi corriger ; la feuille « Erreurs » donne un lien vers chacune. "
    "Corrigez dans la copie annotée, enregistrez-la et fermez-la, puis contrôlez-la à nouveau "
    "dans le même fichier : sofi-bulk validate saisie-annotee.xlsx --en-place.",
    "8. Quand le contrôle ne trouve plus d'erreur, exportez le fichier corrigé (par exemple "
    "saisie-annotee.xlsx) : sofi-bulk export saisie-annotee.xlsx -o soumission.json, et "
    "sofi-bulk lheo saisie-annotee.xlsx -o offre.xml pour le fichier LHEO 2.3.",
    "Un copier-coller peut contourner les listes et les contrôles de la feuille : le contrôle "
    "par sofi-bulk revérifie toujours tout.",
]

DICT_HEADERS = [
    "Feuille",
    "Colonne",
    "Niveau",
    "Obligatoire",
    "Type",
    "Valeurs admises / limites",
    "Valeur imposée ou par défaut",
    "Aide",
    "LHEO 2.3",
]


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
    ws["A1"].font = Font(bold=True, size=16)
    put(ws["A2"], profile.procedure)
    ws["A2"].font = Font(italic=True, color="595959")
    row = 4
    ws.cell(row=row, column=1, value="Comment remplir ce classeur").font = Font(bold=True, size=13)
    steps = list(STEPS)
    for key, texts in profile.placeholders.items():  # sentences the programme asks to replace
        said = " ; ".join(f"« {t} »" for t in texts)
        steps.insert(
            2,
            f"À compléter : dans « {BY_KEY[key].header} », remplacez {said} par ce que la phrase "
            "demande ; le contrôle refuse une ligne qui la contient encore.",
        )
    for step in steps:
        row += 1
        cell = ws.cell(row=row, column=1, value=step)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
        ws.row_dimensions[row].height = 32
    row += 2
    addin = addin_help(service)  # where to get the add-in: the service's page, or whom to ask
    ws.cell(row=row, column=1, value=addin.title).font = Font(bold=True, size=13)
    for index, step in enumerate(addin.paragraphs):
        row += 1
        cell = ws.cell(row=row, column=1)
        put(cell, step)  # it may name the service's address: data, never a formula
        if index == addin.page_paragraph:
            cell.hyperlink = addin.page
            cell.font = Font(color="0563C1", underline="single")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
        ws.row_dimensions[row].height = 32
    row += 2
    ws.cell(row=row, column=1, value="Lots proposés").font = Font(bold=True, size=13)
    row += 1
    for col, title in enumerate(
        [
            "Numéro lot CR",
            "Intitulé",
            "Mandataire",
            "ID Action CR",
            "OF Mandataire CR",
            "Places commandées",
            "Année de campagne",
        ],
        start=1,
    ):
        ws.cell(row=row, column=col, value=title).font = Font(bold=True)
    for lot in lots:
        row += 1
        mandataire = referentiel.organismes[lot.siret_mandataire]
        for col, value in enumerate(
            [
                lot.numero,
                lot.intitule,
                mandataire.nom,
                lot.id_action_cr,
                lot.of_mandataire_cr,
                lot.places,
                year_of(lot),
            ],
            start=1,
        ):
            put(ws.cell(row=row, column=col), value)
    row += 2
    ws.cell(row=row, column=1, value="Dictionnaire des colonnes").font = Font(bold=True, size=13)
    row += 1
    for col, title in enumerate(DICT_HEADERS, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font = Font(bold=True)
    widths = [18, 30, 16, 11, 12, 40, 40, 60, 40]
    for fld in FIELDS:
        row += 1
        _, fill = LEVEL_COLOURS[fld.level]
        values = [
            fld.sheet,
            fld.header,
            LEVEL_LABELS[fld.level],
            "oui" if profile.is_required(fld.key) else "non",
            fld.kind.value,
            _limits(fld, profile, years),
            _value(fld, profile),
            fld.help,
            "" if fld.key in NOT_EXPORTED else lheo_doc(fld.key),
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col)
            put(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if col <= 3:
                cell.fill = PatternFill("solid", fgColor=fill)
        # spreadsheets do not grow wrapped rows of a file they open: size them here
        lines = max(math.ceil(len(str(v)) / (w * 1.1)) for v, w in zip(values, widths, strict=True))
        ws.row_dimensions[row].height = 15 * max(1, lines)
    for letter, width in zip("ABCDEFGHI", widths, strict=True):
        ws.column_dimensions[letter].width = width
    ws.sheet_view.showGridLines = False
