"""The generated template: lists through defined names, dependent lists per lot, in-sheet
rules, fixed values protected, defaults pre-filled, help, metadata; and it reopens intact."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace

import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from sofi_bulk.core.codes import TABLES
from sofi_bulk.core.display import prefill_display
from sofi_bulk.core.fields import BY_KEY, FIELDS, INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET, Kind
from sofi_bulk.core.layout import (
    DEPENDENT_PREFIX,
    FIRST_DATA_ROW,
    HEADER_ROW,
    LOT_LIST,
    SESSION_ROWS,
    column_of,
    column_signature,
    layout_stamp,
    list_name,
    sheet_columns,
)
from sofi_bulk.core.lots import select_lots
from sofi_bulk.core.plan import STATUS_WIDTH
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.excel.template import TemplateBuilder, write_template
from tests.conftest import styled

LAST = FIRST_DATA_ROW + SESSION_ROWS - 1


@pytest.fixture(scope="module")
def wb(template_path):
    return load_workbook(template_path)


def name_values(wb, name: str) -> list:
    """Resolve a workbook-level defined name to the values it lists."""
    dn = wb.defined_names[name]
    sheet, ref = next(iter(dn.destinations))
    cols = wb[sheet][ref.replace("$", "")]
    return [row[0].value for row in cols if row[0].value is not None]


def rules_of(ws) -> dict[str, list]:
    """Data validations by column letter, with the rows they cover."""
    out: dict[str, list] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            min_col, min_row, max_col, max_row = range_boundaries(rng.coord)
            for col in range(min_col, max_col + 1):
                out.setdefault(sheet_columns(ws.title)[col - 1].letter, []).append(
                    (dv, min_row, max_row)
                )
    return out


def test_sheets_and_states(wb):
    assert wb.sheetnames[:4] == ["Aide", SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET]
    states = {ws.title: ws.sheet_state for ws in wb.worksheets}
    assert states["Listes"] == "hidden" and states["_meta"] == "veryHidden"
    # a template opens on its help, where a first-time user starts (issue 29)
    assert wb.active.title == "Aide" and wb["Aide"].sheet_view.tabSelected
    assert not wb[SESSIONS_SHEET].sheet_view.tabSelected


def test_headers_are_grouped_and_annotated(wb):
    ws = wb[SESSIONS_SHEET]
    for col in sheet_columns(SESSIONS_SHEET):
        cell = ws.cell(row=HEADER_ROW, column=col.index)
        assert cell.value == col.header
        assert cell.comment is not None and len(cell.comment.text) > 10
    # the « Contrôle » column, narrow, and the row's own name stay in view (issue 29)
    for sheet in (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET):
        assert wb[sheet].freeze_panes == "C3"
        assert wb[sheet]["B2"].value == "Réf. session"
        assert wb[sheet].column_dimensions["A"].width == STATUS_WIDTH
    bands = [c.value for c in ws[1] if c.value]
    # « État » (a session's) comes last, so that older workbooks keep their column letters
    assert bands == ["IDENTIFICATION", "FORMATION", "ACTION", "SESSION", "DISPOSITIF", "SESSION"]
    assert sheet_columns(SESSIONS_SHEET)[-1].header == "État"
    assert ws.column_dimensions[column_of(SESSIONS_SHEET, "target_public").letter].width >= 30


@pytest.mark.parametrize("sheet", [SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET])
def test_every_coded_column_has_a_list_through_a_defined_name(wb, sheet):
    ws = wb[sheet]
    rules = rules_of(ws)
    for col in sheet_columns(sheet):
        fld = col.field
        if fld is None or fld.kind not in (
            Kind.CODE,
            Kind.LOT,
            Kind.SITE,
            Kind.CONTACT,
            Kind.ORGANISME,
            Kind.SESSION_REF,
        ):
            continue
        lists = [(dv, lo, hi) for dv, lo, hi in rules.get(col.letter, []) if dv.type == "list"]
        assert lists, f"{sheet} {col.header}: no dropdown"
        dv, lo, hi = lists[0]
        assert lo == FIRST_DATA_ROW and hi >= FIRST_DATA_ROW + 999, col.header
        assert "!" not in dv.formula1, f"{col.header}: direct cross-sheet reference {dv.formula1}"
        names = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", dv.formula1.replace('"', " "))
        assert any(n in wb.defined_names for n in names), dv.formula1
        if fld.kind is Kind.CODE:
            assert dv.formula1 == list_name(fld.key)
        assert dv.showErrorMessage and dv.error and dv.promptTitle and dv.prompt


def test_no_inline_list_over_255_characters_and_prompts_within_excel_limits(wb):
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            if dv.type == "list" and dv.formula1.startswith('"'):
                assert len(dv.formula1) <= 255
            assert len(dv.promptTitle or "") <= 32 and len(dv.prompt or "") <= 255
            assert len(dv.errorTitle or "") <= 32 and len(dv.error or "") <= 255


def test_code_lists_hold_code_and_label(wb, profile):
    assert (
        name_values(wb, list_name("delivery_mode"))[0] == "0 - formation entièrement présentielle"
    )
    # the profile restricts the type de parcours to mixte / individualisé
    assert name_values(wb, list_name("pathway_type")) == ["2 - individualisé", "4 - mixte"]
    assert name_values(wb, LOT_LIST) == [
        "PAS2025_1",
        "PAS2025_2",
        "PAS2025_3",
        "PAS2025_4",
        "PAS2025_5",
    ]


def test_dependent_lists_resolve_for_each_lot(wb, referentiel):
    lots = name_values(wb, LOT_LIST)
    for i, numero in enumerate(lots, start=1):
        lot = referentiel.find_lot(numero)
        mandataire = referentiel.organismes[lot.siret_mandataire]
        assert name_values(wb, f"{DEPENDENT_PREFIX['site']}{i}") == [
            s.display for s in referentiel.sites_for(lot)
        ]
        assert name_values(wb, f"{DEPENDENT_PREFIX['contact']}{i}") == [
            c.display for c in referentiel.contacts_for(lot)
        ]
        assert name_values(wb, f"{DEPENDENT_PREFIX['organisme']}{i}") == [mandataire.display]
        assert name_values(wb, f"{DEPENDENT_PREFIX['cr_action_id']}{i}") == [lot.id_action_cr]
        assert name_values(wb, f"{DEPENDENT_PREFIX['cr_mandataire_id']}{i}") == [
            lot.of_mandataire_cr
        ]
    rules = rules_of(wb[SESSIONS_SHEET])
    site_rule = [dv for dv, _, _ in rules[column_of(SESSIONS_SHEET, "site").letter]][0]
    lot = column_of(SESSIONS_SHEET, "lot").letter
    assert (
        site_rule.formula1
        == f'INDIRECT(IFERROR("Sites_"&MATCH(${lot}3,{LOT_LIST},0),"Attente_lot"))'
    )


def test_before_its_lot_a_dependent_list_offers_one_readable_entry(wb):
    """Before a row has a lot (or a child row a session), its dependent lists name a list of
    one entry that says what to do, instead of Excel's « #N/A » (issue 29)."""
    assert name_values(wb, "Attente_lot") == ["(choisissez d'abord le Numéro lot CR)"]
    assert name_values(wb, "Attente_session") == ["(choisissez d'abord la Réf. session)"]
    for sheet, key, waiting in (
        (SESSIONS_SHEET, "site", "Attente_lot"),
        (SESSIONS_SHEET, "pmr_contact", "Attente_lot"),
        (SESSIONS_SHEET, "responsible_org", "Attente_lot"),
        (SESSIONS_SHEET, "cr_action_id", "Attente_lot"),
        (INFOS_SHEET, "ic_site", "Attente_session"),
    ):
        rule = rules_of(wb[sheet])[column_of(sheet, key).letter][0][0]
        assert rule.formula1.startswith("INDIRECT(IFERROR(") and f'"{waiting}"' in rule.formula1


def test_the_sheet_never_refuses_what_the_check_accepts(wb):
    """The check reads a site from its code or libellé alone, a contact from « Prénom Nom »,
    a code from its code or label alone: a list of those warns (and lets the entry be kept)
    rather than stops; a list whose only values are the right ones (a lot, an ID Action CR)
    still stops (issue 29)."""
    sessions = rules_of(wb[SESSIONS_SHEET])
    for key in ("site", "delivery_site", "pmr_contact", "responsible_org", "rhythm", "publics"):
        rule = sessions[column_of(SESSIONS_SHEET, key).letter][0][0]
        assert rule.errorStyle == "warning" and rule.errorTitle == "Valeur hors liste", key
        assert "Le contrôle accepte aussi" in rule.error, key
    for key in ("lot", "cr_action_id"):
        rule = sessions[column_of(SESSIONS_SHEET, key).letter][0][0]
        assert rule.errorStyle in (None, "stop"), key
    infos = rules_of(wb[INFOS_SHEET])
    assert infos[column_of(INFOS_SHEET, "ic_site").letter][0][0].errorStyle == "warning"
    assert infos[column_of(INFOS_SHEET, "ic_session").letter][0][0].errorStyle in (None, "stop")


def test_in_sheet_rules_for_dates_numbers_and_lengths(wb):
    rules = rules_of(wb[SESSIONS_SHEET])

    def rule(key):
        return rules[column_of(SESSIONS_SHEET, key).letter][0][0]

    start = rule("start_date")
    assert (start.type, start.operator, start.formula1, start.formula2) == (
        "date",
        "between",
        "DATE(2025,1,1)",
        "DATE(2025,12,31)",
    )
    assert "2025" in start.error
    end = rule("end_date")
    assert (end.type, end.operator) == ("date", "greaterThanOrEqual")
    assert end.formula1 == f"${column_of(SESSIONS_SHEET, 'start_date').letter}3"
    places = rule("places")
    assert (places.type, places.formula1, places.formula2) == ("whole", "1", "99999")
    highlight = rule("highlight")
    assert (highlight.type, highlight.operator, highlight.formula1) == (
        "textLength",
        "lessThanOrEqual",
        "250",
    )
    assert rule("fee_excl_tax").type == "decimal"
    child = rules_of(wb[INFOS_SHEET])[column_of(INFOS_SHEET, "ic_date").letter][0][0]
    assert child.type == "custom" and "L_sessions_debut" in child.formula1
    for dv in wb[SESSIONS_SHEET].data_validations.dataValidation:
        assert dv.error and dv.errorTitle == (
            "Valeur hors liste" if dv.errorStyle == "warning" else "Valeur refusée"
        )


def test_fixed_values_are_filled_and_protected(wb, profile):
    ws = wb[SESSIONS_SHEET]
    assert ws.protection.sheet
    for key in profile.fixed:
        fld = BY_KEY[key]
        expected = prefill_display(fld, profile.fixed[key])
        for part, value in enumerate(expected):
            col = column_of(SESSIONS_SHEET, key, part)
            for row in (FIRST_DATA_ROW, LAST):
                cell = ws.cell(row=row, column=col.index)
                assert cell.value == value, (key, row)
                assert cell.protection.locked, key
    assert ws.cell(
        row=FIRST_DATA_ROW, column=column_of(SESSIONS_SHEET, "publics").index
    ).value.startswith("80006 - Demandeur d'emploi ; 80008")


def test_defaults_are_prefilled_and_editable(wb, profile):
    ws = wb[SESSIONS_SHEET]
    coded = {  # what a user sees in the cell: the code with its label, as in the dropdown
        "entry_exit_mode": "entrées/sorties à dates fixes",
        "rhythm": "temps plein",
        "training_periods": "96414 - Cours de jour",
        "teaching_methods": "en établissement de formation",
        "delivery_mode": "0 - formation entièrement présentielle",
        "recruitment_status": "1 - ouvert",
        "recruitment_methods": "9 - information collective",
    }
    for key, value in profile.defaults.items():
        col = column_of(SESSIONS_SHEET, key)
        cell = ws.cell(row=LAST, column=col.index)
        expected = coded[key] if BY_KEY[key].kind is Kind.CODE else value  # texts as they are
        assert cell.value == expected, key
        assert not cell.protection.locked
    for key in ("session_ref", "start_date", "places"):
        index = column_of(SESSIONS_SHEET, key).index
        assert (LAST, index) not in ws._cells  # an empty row is not written: its column says
        assert not styled(ws, LAST, index).protection.locked
    for key, number_format in (("start_date", "DD/MM/YYYY"), ("responsible_org", "@")):
        index = column_of(SESSIONS_SHEET, key).index
        assert styled(ws, FIRST_DATA_ROW, index).number_format == number_format
        assert styled(ws, LAST + 500, index).number_format == number_format


def test_no_text_spills_over_its_neighbours_and_rows_keep_one_line(wb, profile):
    """A text longer than its cell, pre-filled or typed, stays in its cell (issue 29): every
    data column wraps, or, for a fixed text no one changes, is drawn once and cut (« fill »);
    and every data row keeps one line's height, so wrapping never makes tall rows. The
    rendering itself is checked in LibreOffice (tests/lo/test_rendering.py)."""
    for sheet in (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET):
        ws = wb[sheet]
        for col in sheet_columns(sheet)[1:]:
            alignment = styled(ws, FIRST_DATA_ROW + 1, col.index).alignment
            assert alignment.wrap_text or alignment.horizontal == "fill", (sheet, col.header)
        last = ws.max_row if sheet == SESSIONS_SHEET else FIRST_DATA_ROW + 1999
        heights = {ws.row_dimensions[r].height for r in range(FIRST_DATA_ROW, last + 1)}
        assert heights == {15}, sheet
    ws = wb[SESSIONS_SHEET]
    publics = ws.cell(row=LAST, column=column_of(SESSIONS_SHEET, "publics").index)
    assert publics.alignment.horizontal == "fill" and len(publics.value) > 100
    short = ws.cell(row=LAST, column=column_of(SESSIONS_SHEET, "certification_fees").index)
    assert short.value == "non" and short.alignment.horizontal != "fill"  # « nonnonnon » else
    editable = ws.cell(row=LAST, column=column_of(SESSIONS_SHEET, "target_public").index)
    assert editable.alignment.wrap_text and editable.alignment.horizontal != "fill"


def test_blank_rows_are_formatted_columns_not_cells(template_path):
    """An empty data cell is not written: its column carries the style (unlocked, number
    format), as Excel stores it, so a blank row costs nothing; the status column too."""
    wb = load_workbook(template_path)  # untouched: openpyxl makes a cell of every one asked
    for sheet in (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET):
        ws = wb[sheet]
        status = styled(ws, FIRST_DATA_ROW + 5, 1)
        assert not status.protection.locked and status.fill.fgColor.rgb.endswith("F2F2F2")
        if sheet != SESSIONS_SHEET:
            assert ws.max_row == HEADER_ROW  # nothing pre-filled in the child sheets
        date = next(f for f in FIELDS if f.sheet == sheet and f.kind is Kind.DATE)
        cell = styled(ws, FIRST_DATA_ROW + 7, column_of(sheet, date.key).index)
        assert cell.number_format == "DD/MM/YYYY" and not cell.protection.locked
    last = max(c.index for c in sheet_columns(SESSIONS_SHEET))
    assert styled(wb[SESSIONS_SHEET], FIRST_DATA_ROW, last + 1).protection.locked


def test_help_sheet_documents_every_column(wb, profile):
    text = "\n".join(str(c.value) for row in wb["Aide"].iter_rows() for c in row if c.value)
    for fld in FIELDS:
        assert fld.header in text
    assert "jj/mm/aaaa" in text and "sofi-bulk validate" in text
    assert "xlwings Lite" in text and "« Contrôler dans Excel »" in text  # the add-in's guide
    assert "PAS2025_4" in text  # the lots with their mandataire and places
    assert "remplacez « Modules optionnels à préciser. »" in text  # from the profile
    assert "19482-89393-143842" in text and "accord préalable de la Région" in text
    assert "par stagiaire" in text


def test_help_sheet_reads_as_an_excel_users_steps(wb):
    """Numbered steps 1, 2, 3… from opening the file to sending the offer, checked with the
    add-in's button or on the service's page, the terminal an alternative after them; the
    text wrapped in columns that fit a 1,366 px screen; no LHEO XPath (docs/lheo.md)."""
    from sofi_bulk.excel.help_sheet import WIDTHS
    from sofi_bulk.lheo.mapping import lheo_doc

    ws = wb["Aide"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    first = [str(r[0]) for r in rows if r[0] is not None]
    steps = first[first.index("Comment remplir ce classeur") + 1 :]
    numbers = steps[: next(i for i, v in enumerate(steps) if not v.endswith("."))]
    assert numbers == [f"{n}." for n in range(1, len(numbers) + 1)] and len(numbers) >= 8
    texts = [str(r[1]) for r in rows[4 : 4 + len(numbers)]]
    assert texts[0].startswith("Ouvrez ce classeur dans Excel ou LibreOffice")
    control = next(t for t in texts if t.startswith("Enregistrez, puis contrôlez"))
    assert "« Contrôler »" in control and "page web" in control and "sofi-bulk" not in control
    terminal = first.index("Dans un terminal (sofi-bulk)")
    assert first.index("Comment remplir ce classeur") < terminal  # the alternative comes after
    assert all("sofi-bulk validate" not in t for t in texts)
    # readable without scrolling sideways: 7 bounded columns, every long text wrapped
    assert sum(w * 7 + 5 for w in WIDTHS.values()) <= 1366 - 120
    assert ws.max_column == len(WIDTHS)
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            if isinstance(cell.value, str) and len(cell.value) > 30 and cell.column > 1:
                assert cell.alignment.wrap_text, cell.coordinate
    # the dictionary says what a column takes, not where LHEO puts it
    text = "\n".join(str(v) for r in rows for v in r if v is not None)
    for key in ("title", "start_date", "publics"):
        assert lheo_doc(key) not in text
    assert "docs/lheo.md" in text


def test_metadata_and_embedded_referentiel(wb, referentiel, profile):
    rows = [(r[0].value, r[1].value) for r in wb["_meta"].iter_rows(min_row=2)]
    meta = {k: v for k, v in rows if k != "referentiel_json"}
    assert meta["programme"] == profile.id and meta["template_version"] == profile.template_version
    assert meta["format"] == layout_stamp(column_signature(profile))
    assert meta["generated_at"][:4].isdigit()
    blob = "".join(v for k, v in rows if k == "referentiel_json")
    embedded = Referentiel.from_json(blob)
    assert embedded.fingerprint() == meta["referentiel_fingerprint"]
    assert set(embedded.lots) == {"PAS2025_1", "PAS2025_2", "PAS2025_3", "PAS2025_4", "PAS2025_5"}


def test_reopens_and_resaves_with_everything_intact(template_path, tmp_path, wb):
    copy = tmp_path / "resaved.xlsx"
    wb.save(copy)
    again = load_workbook(copy)
    for name in (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET):
        assert len(again[name].data_validations.dataValidation) == len(
            wb[name].data_validations.dataValidation
        )
        assert again[name].protection.sheet
    assert set(again.defined_names) == set(wb.defined_names)
    assert [ws.sheet_state for ws in again.worksheets] == [ws.sheet_state for ws in wb.worksheets]


def test_filters_by_lot_and_siret(tmp_path, profile, referentiel):
    out = tmp_path / "un-lot.xlsx"
    write_template(out, profile, referentiel, lots=["pas2025_3"])
    assert name_values(load_workbook(out), LOT_LIST) == ["PAS2025_3"]
    out2 = tmp_path / "formateur.xlsx"
    write_template(out2, profile, referentiel, siret="723 123 451 00012")
    book = load_workbook(out2)
    assert name_values(book, LOT_LIST) == ["PAS2025_2", "PAS2025_5"]
    meta = {r[0].value: r[1].value for r in book["_meta"].iter_rows(min_row=2)}
    assert meta["siret"] == "72312345100012"


def test_lots_of_different_campaign_years_get_a_per_lot_rule(profile, referentiel):
    lots = select_lots(profile, referentiel, None, None)
    lots = [lots[0], replace(lots[1], annee=2026)]
    builder = TemplateBuilder(profile, referentiel, lots, session_rows=10, child_rows=10)
    ws = builder.book[SESSIONS_SHEET]
    col = column_of(SESSIONS_SHEET, "start_date").letter
    rule = next(
        dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith(col + "3")
    )
    assert rule.type == "custom" and "L_lot_annee" in rule.formula1


def test_code_tables_in_lists_are_complete(wb):
    assert name_values(wb, list_name("recruitment_methods")) == [
        o.display for o in TABLES["modalite-recrutement"].options
    ]


def test_bundled_blank_template_is_current(profile, wb):
    from tests.conftest import ROOT

    bundled = load_workbook(ROOT / "workbook_templates" / "saisie-prepa-avenir-sup.xlsx")
    meta = {r[0].value: r[1].value for r in bundled["_meta"].iter_rows(min_row=2)}
    fresh = {r[0].value: r[1].value for r in wb["_meta"].iter_rows(min_row=2)}
    for key in ("format", "columns", "template_version", "programme", "referentiel_fingerprint"):
        assert meta[key] == fresh[key], key
    assert bundled.sheetnames == wb.sheetnames
    for name in (SESSIONS_SHEET, INFOS_SHEET, PERIODES_SHEET):
        assert [c.value for c in bundled[name][HEADER_ROW]] == [
            c.value for c in wb[name][HEADER_ROW]
        ]
    assert set(bundled.defined_names) == set(wb.defined_names)


def test_information_collective_place_follows_the_lot_of_its_session(wb):
    rules = rules_of(wb[INFOS_SHEET])
    rule = rules[column_of(INFOS_SHEET, "ic_site").letter][0][0]
    assert rule.type == "list"
    assert rule.formula1 == (
        'INDIRECT(IFERROR("Sites_"&MATCH(INDEX(L_sessions_lot,MATCH($B3,L_sessions,0)),L_lot,0),'
        '"Attente_session"))'
    )
    assert "L_sessions_lot" in wb.defined_names


def test_in_sheet_comparisons_come_from_the_declared_comparisons(wb):
    """The sheet's date rules and the checker's comparisons are one table: each comparison
    with an in-sheet alert is a rule on its column, comparing with the declared field."""
    from sofi_bulk.core.comparisons import COMPARISONS

    in_sheet = [c for c in COMPARISONS if c.sheet_error]
    assert {c.key for c in in_sheet} == {"end_date", "ic_date", "pi_start", "pi_end"}
    for c in in_sheet:
        sheet = BY_KEY[c.key].sheet
        dv = rules_of(wb[sheet])[column_of(sheet, c.key).letter][0][0]
        assert dv.error == c.sheet_error
        if c.scope == "row":
            other = f"${column_of(sheet, c.other).letter}3"
            operator = "greaterThanOrEqual" if c.op == ">=" else "lessThanOrEqual"
            assert (dv.type, dv.operator, dv.formula1) == ("date", operator, other)
        else:
            here = f"{column_of(sheet, c.key).letter}3"
            assert dv.type == "custom" and f"{here}{c.op}INDEX(L_sessions_debut," in dv.formula1
    times = [c for c in COMPARISONS if c.key == "ic_end_time"]
    assert times and times[0].sheet_error is None  # "9h30" typed as text must stay allowed
    assert column_of(INFOS_SHEET, "ic_end_time").letter not in rules_of(wb[INFOS_SHEET])


def test_a_lot_chosen_by_number_belongs_to_the_programme_as_loosely_as_the_list(
    profile, referentiel
):
    """The référentiel spells the programme « PRÉPA  avenir sup »: its lots are offered, and
    one named with --lot is accepted, just the same (one comparison, ``Lot.in_programme``)."""
    odd = profile.referentiel_programme.upper().replace("PREPA", "PRÉPA").replace(" ", "  ")
    lots = {
        n: (replace(lot, programme=odd) if lot.in_programme(odd) else lot)
        for n, lot in referentiel.lots.items()
    }
    loose = dataclasses.replace(referentiel, lots=lots)
    offered = [lot.numero for lot in select_lots(profile, loose, None, None)]
    assert offered and offered == [
        lot.numero for lot in select_lots(profile, referentiel, None, None)
    ]
    assert [lot.numero for lot in select_lots(profile, loose, [offered[0]], None)] == offered[:1]
