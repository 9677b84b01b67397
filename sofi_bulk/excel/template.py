"""Write the entry workbook: one row per session, dropdowns, in-sheet rules, help.

Everything is derived from the field catalogue, the programme profile and the part of
the référentiel selected (lots, and through them sites and contacts). The same builder
makes the annotated copy, so that copy is a working template too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from copy import copy
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, PatternFill, Protection, Side
from openpyxl.utils import quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sofi_bulk.core.cells import column_index, column_letter
from sofi_bulk.core.comparisons import CAMPAIGN, comparisons_of
from sofi_bulk.core.display import field_options, prefill_display
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import FIELDS, LEVEL_LABELS, Field, Kind
from sofi_bulk.core.layout import (
    BAND_ROW,
    CHILD_ROWS,
    DATA_SHEETS,
    DEPENDENT_PREFIX,
    FIRST_DATA_ROW,
    HEADER_ROW,
    HELP_SHEET,
    LEVEL_COLOURS,
    LISTS_SHEET,
    LOT_LIST,
    LOT_YEAR_LIST,
    META_SHEET,
    SERVICE,
    SESSION_FIELD_LISTS,
    SESSION_LOT_LIST,
    SESSION_REF_LIST,
    SESSION_ROWS,
    SESSION_START_LIST,
    STATUS_HEADER,
    STATUS_UNLOCKED,
    WRITTEN_IN_PLACE,
    Column,
    column_of,
    column_signature,
    layout_stamp,
    list_name,
    sheet_columns,
    signature_text,
)
from sofi_bulk.core.lots import campaign_year, select_lots
from sofi_bulk.core.plan import (
    COLOURS,
    STATUS_ERRORS,
    STATUS_OK,
    STATUS_WARNINGS,
    STATUS_WIDTH,
    column_help,
)
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.referentiel import Lot, Referentiel
from sofi_bulk.core.text import fr_number
from sofi_bulk.core.values import digits_code
from sofi_bulk.core.version import __version__
from sofi_bulk.core.workbook import content_fingerprint
from sofi_bulk.distribution import ADDIN_BUTTONS, service_address
from sofi_bulk.excel.help_sheet import write_help_sheet
from sofi_bulk.excel.package import workbook_bytes
from sofi_bulk.excel.styles import font
from sofi_bulk.excel.values import put, seal
from sofi_bulk.files import write_out

MAX_INLINE_LIST = 255
# what a dependent list offers before its row can say which lot's list it is: one readable
# entry, where Excel showed « #N/A » and LibreOffice nothing
WAITING_LISTS = {
    "Attente_lot": "(choisissez d'abord le Numéro lot CR)",
    "Attente_session": "(choisissez d'abord la Réf. session)",
}
# a typed value the check accepts though the list spells it otherwise (a code alone, a
# label alone, a site's libellé, a contact's « Prénom Nom »…): the sheet warns, and lets it
# be kept, instead of refusing it ("stop"); the check decides
LOOSE_LISTS = {
    Kind.CODE: "Cette valeur n'est pas écrite comme dans la liste. Le contrôle accepte aussi le "
    "code seul ou le libellé seul (ex. 4 ou mixte) : vous pouvez garder votre saisie, il dira "
    "si elle désigne bien une valeur de la liste.",
    Kind.SITE: "Ce site n'est pas écrit comme dans la liste du lot. Le contrôle accepte aussi "
    "son code ou son libellé seul (sans le code) : vous pouvez garder votre saisie, il dira si "
    "elle désigne bien un site du lot.",
    Kind.CONTACT: "Ce contact n'est pas écrit comme dans la liste du lot. Le contrôle accepte "
    "aussi son identifiant ou « Prénom Nom » : vous pouvez garder votre saisie, il dira si "
    "elle désigne bien un contact du lot.",
    Kind.ORGANISME: "Cet organisme n'est pas écrit comme dans la liste du lot. Le contrôle "
    "accepte aussi son SIRET ou son nom : vous pouvez garder votre saisie, il dira si elle "
    "désigne bien le mandataire du lot.",
}
THIN = Side(style="thin", color="BFBFBF")
FIXED_FILL = PatternFill("solid", fgColor=COLOURS["fixed"])
STATUS_FILL = PatternFill("solid", fgColor=COLOURS["status"])
# the parts of a style a cell takes from its column when it has none of its own: font, fill,
# border, number format, protection, alignment (a StyleArray's first six slots)
_INHERITED = range(6)
# every data row keeps this height (points, Calibri 11's own): a long text, pre-filled or
# typed, is wrapped inside its cell and clipped there, never spilt over the empty cells on
# its right, and a spreadsheet does not grow the row to fit it
DATA_ROW_HEIGHT = 15
NUMBER_FORMATS = {
    Kind.DATE: "DD/MM/YYYY",
    Kind.INT: "0",
    Kind.DECIMAL: "#,##0.00",
}


# --- the builder -------------------------------------------------------------------------
class TemplateBuilder:
    """Builds the workbook in memory; ``save`` writes it atomically."""

    def __init__(
        self,
        profile: Profile,
        referentiel: Referentiel,
        lots: list[Lot],
        *,
        siret: str | None = None,
        session_rows: int = SESSION_ROWS,
        child_rows: int = CHILD_ROWS,
        referentiel_source: str | None = None,
        in_place: bool = False,
        service: str | None = None,
    ) -> None:
        if not lots:
            raise UserError("Aucun lot à proposer : le modèle n'aurait aucune session possible.")
        self.profile = profile
        self.referentiel = referentiel.subset(lots)
        self.lots = lots
        self.siret = siret
        self.referentiel_source = referentiel_source or Path(referentiel.source).name
        self.in_place = in_place
        # the service that hands this template out: its Aide names the add-in's page there
        self.service = service_address(service) if service else None
        self.rows = {
            DATA_SHEETS[0]: session_rows,
            DATA_SHEETS[1]: child_rows,
            DATA_SHEETS[2]: child_rows,
        }
        self.book = Workbook()
        self._list_column = 0
        self._build()

    # public ----------------------------------------------------------------------------
    def last_row(self, sheet: str) -> int:
        return FIRST_DATA_ROW + self.rows[sheet] - 1

    def save(self, target: str | Path | BinaryIO) -> None:
        """Write to a path (atomically) or a binary file object, stamping the values'
        fingerprint so that an untouched output can later be told from the user's work."""
        sheets = {ws.title: _values(ws) for ws in self.book.worksheets}
        self._fingerprint_cell.value = content_fingerprint(sheets)
        self._inherit_column_styles()
        seal(self.book)
        data = workbook_bytes(self.book)
        write_out(data, target)

    # building --------------------------------------------------------------------------
    def _build(self) -> None:
        book = self.book
        book.remove(book.active)
        self._help = book.create_sheet(HELP_SHEET)
        data = [book.create_sheet(name) for name in DATA_SHEETS]
        self._lists = book.create_sheet(LISTS_SHEET)
        self._meta = book.create_sheet(META_SHEET)
        self._write_lists()
        for sheet in data:
            self._write_data_sheet(sheet)
        self._write_help()
        self._write_meta()
        self._lists.sheet_state = "hidden"
        self._meta.sheet_state = "veryHidden"
        # a template opens on its help, where a first-time user starts; an annotated copy
        # opens on its « Erreurs » sheet instead (excel/painter.py)
        book.active = 0
        for ws in book.worksheets:
            ws.sheet_view.tabSelected = ws.title == HELP_SHEET

    # lists ----------------------------------------------------------------------------
    def _add_list(self, name: str, values: Iterable[Any]) -> None:
        values = list(values)
        self._list_column += 1
        col = self._list_column
        letter = column_letter(col)
        ws = self._lists
        ws.cell(row=1, column=col, value=name).font = font(bold=True)
        for i, value in enumerate(values, start=2):
            put(ws.cell(row=i, column=col), value)
        last = max(len(values) + 1, 2)  # an empty list still names one (blank) cell
        ref = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${last}"
        self.book.defined_names[name] = DefinedName(name, attr_text=ref)
        ws.column_dimensions[letter].width = 30

    def _write_lists(self) -> None:
        ref = self.referentiel
        for name, entry in WAITING_LISTS.items():
            self._add_list(name, [entry])
        self._add_list(LOT_LIST, [lot.numero for lot in self.lots])
        self._add_list(LOT_YEAR_LIST, [self.year_of(lot) for lot in self.lots])
        for fld in FIELDS:
            if fld.kind is Kind.CODE:
                self._add_list(list_name(fld.key), field_options(fld, self.profile))
        for i, lot in enumerate(self.lots, start=1):
            self._add_list(
                f"{DEPENDENT_PREFIX['site']}{i}", [s.display for s in ref.sites_for(lot)]
            )
            self._add_list(
                f"{DEPENDENT_PREFIX['contact']}{i}", [c.display for c in ref.contacts_for(lot)]
            )
            mandataire = ref.organismes[lot.siret_mandataire]
            self._add_list(f"{DEPENDENT_PREFIX['organisme']}{i}", [mandataire.display])
            self._add_list(f"{DEPENDENT_PREFIX['cr_action_id']}{i}", [lot.id_action_cr])
            self._add_list(f"{DEPENDENT_PREFIX['cr_mandataire_id']}{i}", [lot.of_mandataire_cr])
        sessions = DATA_SHEETS[0]
        last = self.last_row(sessions)
        ref_col = column_of(sessions, "session_ref").letter
        start_col = column_of(sessions, "start_date").letter
        lot_col = column_of(sessions, "lot").letter
        for name, letter in (
            (SESSION_REF_LIST, ref_col),
            (SESSION_START_LIST, start_col),
            (SESSION_LOT_LIST, lot_col),
        ):
            target = f"{quote_sheetname(sessions)}!${letter}${FIRST_DATA_ROW}:${letter}${last}"
            self.book.defined_names[name] = DefinedName(name, attr_text=target)

    def year_of(self, lot: Lot) -> int:
        return campaign_year(self.profile, lot)

    # data sheets ----------------------------------------------------------------------
    def _write_data_sheet(self, ws: Worksheet) -> None:
        cols = sheet_columns(ws.title)
        last = self.last_row(ws.title)
        self._write_band_and_headers(ws, cols)
        for col in cols:
            self._fill_column(ws, col, last)
            self._validate_column(ws, col, last)
        for row in range(FIRST_DATA_ROW, last + 1):
            ws.row_dimensions[row].height = DATA_ROW_HEIGHT
        # the « Contrôle » column and the row's own name (Réf. session) stay in view, and no
        # more: the rest of a laptop's screen goes to the columns being filled
        ws.freeze_panes = f"{column_letter(cols[1].index + 1)}{FIRST_DATA_ROW}"
        ws.auto_filter.ref = f"A{HEADER_ROW}:{cols[-1].letter}{last}"
        protection = ws.protection
        protection.sheet = True
        protection.formatCells = False
        protection.formatColumns = False
        protection.formatRows = False
        protection.insertRows = False
        protection.deleteRows = False
        protection.sort = False
        protection.autoFilter = False

    def _write_band_and_headers(self, ws: Worksheet, cols: list[Column]) -> None:
        ws.row_dimensions[HEADER_ROW].height = 45
        band = ws.cell(row=BAND_ROW, column=1, value="")
        band.fill = STATUS_FILL
        status = ws.cell(row=HEADER_ROW, column=1, value=STATUS_HEADER)
        status.font = font(bold=True)
        status.fill = STATUS_FILL
        status.alignment = Alignment(wrap_text=True, vertical="center")
        status.comment = _note(
            f"Rempli par le contrôle (bouton « {ADDIN_BUTTONS['controler']} » de xlwings Lite "
            "dans Excel, page web "
            f"du service, ou sofi-bulk validate) : {STATUS_OK} ligne sans erreur, "
            f"{STATUS_ERRORS} (au moins une erreur), {STATUS_WARNINGS} (des avertissements). "
            "La note de la cellule dit combien, et, pour une session, ce qu'elle fait dans "
            "SOFI (création, ou modification d'une session existante d'après son code FAS). "
            "Ne rien saisir ici."
        )
        ws.column_dimensions["A"].width = STATUS_WIDTH
        groups: list[tuple[Any, int, int]] = []
        for col in cols[1:]:
            assert col.field is not None
            level = col.field.level
            if groups and groups[-1][0] == level:
                groups[-1] = (level, groups[-1][1], col.index)
            else:
                groups.append((level, col.index, col.index))
        for level, first, last in groups:
            band_fill, _ = LEVEL_COLOURS[level]
            cell = ws.cell(row=BAND_ROW, column=first, value=LEVEL_LABELS[level].upper())
            cell.font = font(bold=True, color="FFFFFF")
            cell.alignment = Alignment(horizontal="left", vertical="center")
            for index in range(first, last + 1):
                ws.cell(row=BAND_ROW, column=index).fill = PatternFill("solid", fgColor=band_fill)
            if last > first:
                ws.merge_cells(
                    start_row=BAND_ROW, start_column=first, end_row=BAND_ROW, end_column=last
                )
        for col in cols[1:]:
            fld = col.field
            assert fld is not None  # only the status column has no field
            _, header_fill = LEVEL_COLOURS[fld.level]
            cell = ws.cell(row=HEADER_ROW, column=col.index, value=col.header)
            required = self.profile.is_required(fld.key) and col.part == 0
            cell.font = font(
                bold=True,
                color="C00000" if required and fld.key not in self.profile.fixed else "000000",
            )
            cell.fill = PatternFill("solid", fgColor=header_fill)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.border = Border(bottom=THIN)
            cell.comment = _note(self.help_text(fld))
            ws.column_dimensions[col.letter].width = fld.width

    def help_text(self, fld: Field) -> str:
        return column_help(fld, self.profile)

    def _fill_column(self, ws: Worksheet, col: Column, last: int) -> None:
        """The column's style (unlocked, number format, colour) goes on the column itself, as
        Excel stores a formatted column: a cell typed on any row takes it, and an empty row
        costs nothing to write. Only the pre-filled cells are written, all from one value."""
        dim = ws.column_dimensions[col.letter]
        fld = col.field
        fixed = fld is not None and fld.key in self.profile.fixed
        if fld is None:  # the status column: unlocked, the add-in writes it on the protected sheet
            dim.fill = STATUS_FILL
            dim.protection = Protection(locked=False)
        else:
            dim.protection = Protection(locked=fixed)
            if fixed:
                dim.fill = FIXED_FILL
                dim.font = font(color="595959")
            dim.number_format = NUMBER_FORMATS.get(fld.kind, "@")
            dim.alignment = Alignment(vertical="top", wrap_text=True)
        shown = (
            prefill_display(fld, self.profile.prefill(fld.key))
            if fld is not None and ws.title == DATA_SHEETS[0]
            else []
        )
        if fld is None or col.part >= len(shown):
            return
        if fixed and len(str(shown[col.part])) > fld.width / 2:
            # a fixed text no one can change, shown once and cut at the cell's edge: LibreOffice
            # draws the cut lines of a wrapped text as slivers, « fill » draws none (it repeats
            # a text only when two copies fit, which a text longer than half the cell cannot)
            dim.alignment = Alignment(horizontal="fill", vertical="top")
        style = dim._style
        first = ws.cell(row=FIRST_DATA_ROW, column=col.index)
        put(first, shown[col.part])
        first._style = copy(style)
        for row in range(FIRST_DATA_ROW + 1, last + 1):
            cell = Cell(ws, row=row, column=col.index, style_array=style)  # copied by openpyxl
            cell._value, cell.data_type = first._value, first.data_type
            ws._add_cell(cell)

    def new_cell(self, ws: Worksheet, row: int, column: int) -> Cell:
        """A data cell; one made in a blank row is styled as its column first (as Excel does
        when a cell is typed), so that a date set in it keeps the column's format."""
        cell = ws._cells.get((row, column))
        if cell is not None:
            return cell
        cell = ws.cell(row=row, column=column)
        dim = ws.column_dimensions.get(column_letter(column))
        if row >= FIRST_DATA_ROW and dim is not None and dim.has_style:
            cell._style = copy(dim._style)
        return cell

    def _inherit_column_styles(self) -> None:
        """Before saving: a data cell made since (a value copied, a mark, a status) keeps
        what it has of its own (a fill, a font) and takes the rest from its column, since
        a cell's style replaces its column's, unlocking included."""
        for ws in self.book.worksheets:
            if ws.title not in DATA_SHEETS:
                continue
            styles = {
                column_index(k): d._style for k, d in ws.column_dimensions.items() if d.has_style
            }
            for (row, column), cell in ws._cells.items():
                style = styles.get(column)
                if style is None or row < FIRST_DATA_ROW:
                    continue
                own = cell._style
                if own is None:  # openpyxl makes a cell's style when it is first set
                    cell._style = copy(style)
                    continue
                if own == style:  # made from its column (new_cell, pre-filled), untouched
                    continue
                for i in _INHERITED:
                    if not own[i]:
                        own[i] = style[i]

    # in-sheet rules -------------------------------------------------------------------
    def _validate_column(self, ws: Worksheet, col: Column, last: int) -> None:
        fld = col.field
        if fld is None:
            return
        rule = self.rule_for(ws.title, fld, col)
        if rule is None:
            return
        rule.sqref = f"{col.letter}{FIRST_DATA_ROW}:{col.letter}{last}"
        # an empty cell is not invalid ("Ignorer si vide"); a required value is checked by validate
        rule.allow_blank = True
        rule.showInputMessage = True
        rule.showErrorMessage = True
        rule.promptTitle = col.header[:32]
        rule.prompt = _shorten(self.help_text(fld), 250)
        rule.errorTitle = rule.errorTitle or "Valeur refusée"
        ws.add_data_validation(rule)

    def rule_for(self, sheet: str, fld: Field, col: Column) -> DataValidation | None:
        row = FIRST_DATA_ROW
        here = f"{col.letter}{row}"
        lot_cell = f"${column_of(DATA_SHEETS[0], 'lot').letter}{row}"
        dependent = {Kind.SITE: "site", Kind.CONTACT: "contact", Kind.ORGANISME: "organisme"}
        if fld.kind is Kind.CODE:
            return _list(list_name(fld.key), LOOSE_LISTS[Kind.CODE], loose=True)
        if fld.kind is Kind.LOT:
            return _list(LOT_LIST, "Choisissez un lot de la liste.")
        if fld.kind is Kind.SESSION_REF:
            return _list(
                SESSION_REF_LIST, "Choisissez une Réf. session saisie dans la feuille Sessions."
            )
        if fld.kind is Kind.SITE and not fld.lot_dependent:  # a child row: the lot of its session
            session = f"${column_of(sheet, 'ic_session').letter}{row}"
            lot = f"INDEX({SESSION_LOT_LIST},MATCH({session},{SESSION_REF_LIST},0))"
            return _list(
                _dependent(DEPENDENT_PREFIX["site"], lot, "Attente_session"),
                "Ce lieu n'est pas écrit comme dans la liste, celle des sites du lot de la "
                "session (choisissez d'abord la Réf. session). Le contrôle accepte aussi le code "
                "ou le libellé seul d'un site : vous pouvez garder votre saisie.",
                loose=True,
            )
        if fld.lot_dependent:
            prefix = DEPENDENT_PREFIX[dependent.get(fld.kind, fld.key)]
            loose = fld.kind in LOOSE_LISTS
            return _list(
                _dependent(prefix, lot_cell, "Attente_lot"),
                LOOSE_LISTS[fld.kind]
                if loose
                else "Choisissez la valeur de la liste ; elle dépend du lot : choisissez "
                "d'abord le « Numéro lot CR ».",
                loose=loose,
            )
        if fld.kind is Kind.DATE:
            return self._date_rule(sheet, fld, here, row)
        if fld.kind is Kind.INT:
            low, high = int(fld.min_value or 0), int(fld.max_value or 99999)
            return DataValidation(
                type="whole",
                operator="between",
                formula1=str(low),
                formula2=str(high),
                error=f"Nombre entier entre {low} et {high} attendu.",
            )
        if fld.kind is Kind.DECIMAL:
            least, most = fld.min_value or 0, fld.max_value or 9999999
            return DataValidation(
                type="decimal",
                operator="between",
                formula1=_num(least),
                formula2=_num(most),
                error=f"Nombre entre {fr_number(least)} et {fr_number(most)} attendu (virgule "
                "décimale).",
            )
        if fld.kind is Kind.EMAIL:
            return DataValidation(
                type="custom",
                formula1=f'AND(ISNUMBER(FIND("@",{here})),LEN({here})<={fld.max_length})',
                error="Adresse e-mail attendue (ex. prenom.nom@organisme.fr).",
            )
        if fld.kind is Kind.URL:
            return DataValidation(
                type="custom",
                formula1=f'AND(OR(LEFT({here},7)="http://",LEFT({here},8)="https://"),LEN({here})<={fld.max_length})',
                error="Adresse web attendue, commençant par https:// (400 caractères au plus).",
            )
        if fld.max_length and fld.kind in (Kind.TEXT, Kind.LONGTEXT, Kind.FAS):
            return DataValidation(
                type="textLength",
                operator="lessThanOrEqual",
                formula1=str(fld.max_length),
                error=f"Texte trop long : {fld.max_length} caractères au plus.",
            )
        return None

    def _date_rule(self, sheet: str, fld: Field, here: str, row: int) -> DataValidation:
        """A date cell's in-sheet rule, from the declared comparisons and the campaign year."""
        sessions = DATA_SHEETS[0]
        if fld.key == CAMPAIGN.key:
            years = sorted({self.year_of(lot) for lot in self.lots})
            if len(years) == 1:
                y = years[0]
                return DataValidation(
                    type="date",
                    operator="between",
                    formula1=f"DATE({y},1,1)",
                    formula2=f"DATE({y},12,31)",
                    error=f"Date attendue (jj/mm/aaaa) en {y} : la session doit débuter "
                    "pendant l'année de campagne.",
                )
            lot_cell = f"${column_of(sessions, 'lot').letter}{row}"
            match = f"MATCH({lot_cell},{LOT_LIST},0)"
            return DataValidation(
                type="custom",
                formula1=f"AND(ISNUMBER({here}),OR(ISERROR({match}),YEAR({here})=INDEX({LOT_YEAR_LIST},{match})))",
                error="Date attendue (jj/mm/aaaa) dans l'année de campagne du lot.",
            )
        rule = next((c for c in comparisons_of(fld.key) if c.sheet_error), None)
        if rule is None:
            return DataValidation(
                type="date",
                operator="greaterThan",
                formula1="0",
                error="Date attendue (jj/mm/aaaa).",
            )
        operator = "greaterThanOrEqual" if rule.op == ">=" else "lessThanOrEqual"
        if rule.scope == "row":
            other = f"${column_of(sheet, rule.other).letter}{row}"
            return DataValidation(
                type="date", operator=operator, formula1=other, error=rule.sheet_error
            )
        # a child row: compared with a field of the session it belongs to
        ref_key = next(f.key for f in FIELDS if f.sheet == sheet and f.kind is Kind.SESSION_REF)
        ref_cell = f"${column_of(sheet, ref_key).letter}{row}"
        match = f"MATCH({ref_cell},{SESSION_REF_LIST},0)"
        other = f"INDEX({SESSION_FIELD_LISTS[rule.other]},{match})"
        compared = f"{here}{rule.op}{other}"
        formula = f"AND(ISNUMBER({here}),OR(ISERROR({match}),NOT(ISNUMBER({other})),{compared}))"
        return DataValidation(type="custom", formula1=formula, error=rule.sheet_error)

    # help and metadata ------------------------------------------------------------------
    def _write_help(self) -> None:
        write_help_sheet(
            self._help, self.profile, self.referentiel, self.lots, self.year_of, self.service
        )

    def metadata(self) -> dict[str, str]:
        columns = column_signature(self.profile)
        return {
            # the layout's stamp, computed from its columns, and the columns themselves: a
            # later version reads this workbook by them (core/context.py)
            "format": layout_stamp(columns),
            "columns": signature_text(columns),
            "template_version": self.profile.template_version,
            "programme": self.profile.id,
            "programme_label": self.profile.label,
            "referentiel_fingerprint": self.referentiel.fingerprint(),
            # local time, no UTC offset and a space, not "T": xlwings 0.37.8 turns text that
            # looks like an ISO datetime into a date by cutting its last character, and fails
            "generated_at": dt.datetime.now().replace(microsecond=0).isoformat(sep=" "),
            "tool_version": __version__,
            "lots": ";".join(lot.numero for lot in self.lots),
            "siret": self.siret or "",
            "referentiel_source": self.referentiel_source,
            STATUS_UNLOCKED: "1",
            # the user's working file, corrected where it stands: its values exist nowhere
            # else, so no other run may replace it without --ecraser (cli/outputs.py)
            **({WRITTEN_IN_PLACE: "1"} if self.in_place else {}),
            # kept by the annotated copy, which is a template made afresh
            **({SERVICE: self.service} if self.service else {}),
        }

    def _write_meta(self) -> None:
        ws = self._meta
        rows = [("clé", "valeur"), *self.metadata().items(), ("content_fingerprint", "")]
        for r, (key, value) in enumerate(rows, start=1):
            put(ws.cell(row=r, column=1), key)
            put(ws.cell(row=r, column=2), value)
        self._fingerprint_cell = ws.cell(row=ws.max_row, column=2)
        blob = self.referentiel.to_json()
        chunk = 30000
        for i in range(0, len(blob), chunk):
            row = ws.max_row + 1
            put(ws.cell(row=row, column=1), "referentiel_json")
            put(ws.cell(row=row, column=2), blob[i : i + chunk])
        ws.protection.sheet = True


def _values(ws: Worksheet) -> list[list[Any]]:
    """The sheet's values by rows, from its cells alone: iter_rows would make a cell of
    every gap, and save them all."""
    rows: list[list[Any]] = []
    for (r, c), cell in ws._cells.items():  # placed by index: no need to sort them first
        value = cell.value
        if value is None:
            continue
        if len(rows) < r:
            rows.extend([] for _ in range(r - len(rows)))
        row = rows[r - 1]
        if len(row) < c:
            row.extend([None] * (c - len(row)))
        row[c - 1] = value
    return rows


def _list(formula: str, error: str, *, loose: bool = False) -> DataValidation:
    if formula.startswith('"') and len(formula) > MAX_INLINE_LIST:
        raise ValueError("inline list over 255 characters")
    if len(error) > 255:  # Excel's limit for an error message
        raise ValueError(f"error message over 255 characters: {error}")
    rule = DataValidation(type="list", formula1=formula, allow_blank=True, error=error)
    if loose:
        rule.errorStyle = "warning"
        rule.errorTitle = "Valeur hors liste"
    return rule


def _dependent(prefix: str, lot: str, waiting: str) -> str:
    """The list of a row's lot (``prefix`` and the lot's place in the lots' list), or the
    ``waiting`` list while the row has no lot the list knows."""
    return f'INDIRECT(IFERROR("{prefix}"&MATCH({lot},{LOT_LIST},0),"{waiting}"))'


def _note(text: str) -> Comment:
    comment = Comment(text, "sofi-bulk")
    comment.width = 320
    comment.height = 40 + 15 * (len(text) // 45)
    return comment


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def build_template(
    profile: Profile,
    referentiel: Referentiel,
    *,
    lots: list[str] | None = None,
    siret: str | None = None,
    service: str | None = None,
) -> TemplateBuilder:
    """The template of the chosen lots (all the programme's by default), in memory; its Aide
    names the add-in's page of ``service`` (the address of the service handing it out)."""
    selected = select_lots(profile, referentiel, lots, siret)
    return TemplateBuilder(
        profile,
        referentiel,
        selected,
        siret=digits_code(siret, 14) if siret else None,
        service=service,
    )


def write_template(
    output: Path | BinaryIO,
    profile: Profile,
    referentiel: Referentiel,
    *,
    lots: list[str] | None = None,
    siret: str | None = None,
    service: str | None = None,
) -> TemplateBuilder:
    """The template of the chosen lots, written to ``output`` (atomically for a path)."""
    builder = build_template(profile, referentiel, lots=lots, siret=siret, service=service)
    builder.save(output)
    return builder
