"""What a user sees of the workbooks, measured on LibreOffice's own rendering.

LibreOffice (fr-FR) prints a part of a sheet to PDF at 100 % scale; poppler rasterises it
at 96 dpi, where a point is 4/3 of a pixel, as on a screen at 100 % zoom. Widths then come
out in screen pixels, with Carlito, the metric-compatible substitute of Calibri (Debian
package fonts-crosextra-carlito), standing in for Excel's font.

(1) pre-filled texts never spill over the empty cells on their right, and rows keep their
height; (2) the frozen columns leave most of a 1,366 px laptop screen to the entry
columns (and the picture of the template's first screen, docs/modele-premier-ecran.png).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

from sofi_bulk.core.cells import column_index, column_letter
from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.core.layout import (
    ERRORS_SHEET,
    FIRST_DATA_ROW,
    HEADER_ROW,
    LEVEL_COLOURS,
    SESSION_ROWS,
    column_of,
    sheet_columns,
)
from sofi_bulk.core.plan import COLOURS
from sofi_bulk.excel.template import DATA_ROW_HEIGHT, write_template
from tests.conftest import ROOT
from tests.lo import LibreOffice

DOCS = ROOT / "docs"
DPI = 96
SCREEN = 1366  # px: the laptop screen the workbook must suit
MARKER = "0000FF"  # a header painted in the view to find a column in the picture


@pytest.fixture(scope="module")
def lo():
    with LibreOffice() as office:
        yield office


@pytest.fixture(scope="module")
def template(tmp_path_factory, profile, referentiel) -> Path:
    path = tmp_path_factory.mktemp("rendu") / "saisie.xlsx"
    write_template(path, profile, referentiel)
    return path


def test_calibri_metrics_are_installed():
    """Without Carlito, LibreOffice measures Calibri with another font: the widths below would
    not be Excel's."""
    found = subprocess.run(["fc-match", "Calibri"], capture_output=True, text=True, check=True)
    assert "Carlito" in found.stdout, (
        "install the Debian package fonts-crosextra-carlito (Calibri's metrics): " + found.stdout
    )


# --- rendering -----------------------------------------------------------------------------
@dataclass
class Raster:
    """An RGB picture from pdftoppm, read from its PPM file."""

    width: int
    height: int
    data: bytes

    @classmethod
    def read(cls, path: Path) -> Raster:
        raw = path.read_bytes()
        magic, width, height, _depth, data = raw.split(maxsplit=4)
        assert magic == b"P6"
        return cls(int(width), int(height), data)

    def at(self, x: int, y: int) -> tuple[int, int, int]:
        i = 3 * (y * self.width + x)
        return self.data[i], self.data[i + 1], self.data[i + 2]

    def runs(self, y: int, colour: tuple[int, int, int]) -> list[tuple[int, int]]:
        """The [start, end) spans of ``colour`` along row ``y``."""
        spans, start = [], None
        for x in range(self.width):
            if self.at(x, y) == colour:
                start = x if start is None else start
            elif start is not None:
                spans.append((start, x))
                start = None
        if start is not None:
            spans.append((start, self.width))
        return spans

    def column_span(self, x: int, colour: tuple[int, int, int]) -> tuple[int, int]:
        """The first vertical [start, end) span of ``colour`` down column ``x``."""
        ys = [y for y in range(self.height) if self.at(x, y) == colour]
        assert ys, f"no {colour} at x={x}"
        end = ys[0]
        while end < self.height and self.at(x, end) == colour:
            end += 1
        return ys[0], end

    def ink(self, x0: int, x1: int, y0: int, y1: int) -> list[tuple[int, int]]:
        """Pixels of the box that are not white: text, a fill, a line."""
        return [
            (x, y) for y in range(y0, y1) for x in range(x0, x1) if self.at(x, y) != (255, 255, 255)
        ]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def view(
    source: Path,
    out: Path,
    sheet: str,
    letters: list[str],
    last_row: int,
    *,
    markers: tuple[str, ...] = (),
    headings: bool = False,
) -> Path:
    """A copy of ``source`` printing only ``letters`` of ``sheet``, rows 1 to ``last_row``, at
    100 % on one A3 landscape page; the header cells of ``markers`` painted MARKER."""
    book = load_workbook(source)
    ws = book[sheet]
    shown = set(letters)
    for index in range(1, ws.max_column + 1):
        ws.column_dimensions[column_letter(index)].hidden = column_letter(index) not in shown
    for letter in markers:
        ws[f"{letter}{HEADER_ROW}"].fill = PatternFill("solid", fgColor=MARKER)
    first, last = min(letters, key=column_index), max(letters, key=column_index)
    ws.print_area = f"{first}1:{last}{last_row}"
    setup = ws.page_setup
    setup.orientation, setup.paperSize, setup.scale = "landscape", ws.PAPERSIZE_A3, 100
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.print_options.headings = headings
    ws.print_options.gridLines = headings
    for other in book.worksheets:
        other.sheet_view.tabSelected = other.title == sheet
    book.active = book.worksheets.index(ws)
    book.save(out)
    return out


def render(lo, workbook: Path, sheet: str, prefix: Path) -> tuple[Path, Raster]:
    """The sheet's print range as LibreOffice draws it: its PDF and its 96 dpi picture."""
    with lo.open(workbook) as doc:
        pdf = doc.export_pdf(prefix.with_suffix(".pdf"), sheet=sheet)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-singlefile", "-hide-annotations", str(pdf), str(prefix)],
        check=True,
        capture_output=True,
    )
    return pdf, Raster.read(prefix.with_suffix(".ppm"))


def prefilled(profile) -> list[str]:
    """The letters of the Sessions columns the template pre-fills."""
    from sofi_bulk.core.display import prefill_display

    return [
        c.letter
        for c in sheet_columns(SESSIONS_SHEET)
        if c.field is not None
        and c.part < len(prefill_display(c.field, profile.prefill(c.field.key)))
    ]


# --- (1) no spill ----------------------------------------------------------------------------
def header_box(picture: Raster) -> tuple[int, int, int, int]:
    """The marked header cell: the x span and the y span of its MARKER fill, read on the
    lines mostly painted with it (its text crosses some)."""
    blue = rgb(MARKER)
    y = next(y for y in range(picture.height) if picture.runs(y, blue))
    x0, x1 = max(picture.runs(y, blue), key=lambda span: span[1] - span[0])
    painted = [
        y
        for y in range(picture.height)
        if sum(picture.at(x, y) == blue for x in range(x0, x1)) * 2 > x1 - x0
    ]
    return x0, x1, painted[0], painted[-1] + 1


def test_prefilled_texts_never_spill_over_the_empty_cells_beside_them(
    lo, template, profile, tmp_path
):
    """Every pre-filled column followed by a column left empty (« Public visé » then « Site
    lieu », « Publics » then « ID Action CR »…): in LibreOffice's picture, the empty column
    holds no ink on the data rows, and the rows keep one line's height."""
    filled = prefilled(profile)
    count = len(sheet_columns(SESSIONS_SHEET))
    pairs = [
        (letter, column_letter(column_index(letter) + 1))
        for letter in filled
        if column_index(letter) < count and column_letter(column_index(letter) + 1) not in filled
    ]
    assert {("AC", "AD"), ("BC", "BD")} <= set(pairs), pairs  # the issue's two examples
    rows = 6
    pitch = DATA_ROW_HEIGHT * DPI / 72  # 15 pt = 20 px
    fixed = fixed_letters(profile)
    for long, empty in pairs:
        path = view(
            template,
            tmp_path / f"{long}.xlsx",
            SESSIONS_SHEET,
            [long, empty],
            FIRST_DATA_ROW + rows - 1,
            markers=(empty,),
        )
        _, picture = render(lo, path, SESSIONS_SHEET, tmp_path / long)
        x0, x1, _, bottom = header_box(picture)
        data = (bottom + 2, round(bottom + rows * pitch) - 2)
        spilt = picture.ink(x0 + 2, x1 - 2, *data)
        assert not spilt, f"{long} spills over {empty}: ink at {spilt[:5]}"
        if long in fixed:  # its grey shows how high the rows are drawn: 6 rows of one line
            grey = rgb(COLOURS["fixed"])
            ys = [
                y
                for y in range(bottom, picture.height)
                if any(picture.at(x, y) == grey for x in range(x0 - 40, x0))
            ]
            assert abs((ys[-1] + 1 - ys[0]) - rows * pitch) <= 2, (long, ys[0], ys[-1])


def fixed_letters(profile) -> set[str]:
    return {
        c.letter
        for c in sheet_columns(SESSIONS_SHEET)
        if c.field is not None and c.field.key in profile.fixed
    }


def test_every_data_row_keeps_one_line_after_libreoffice_opens_and_saves_it(lo, template, tmp_path):
    """LibreOffice grows a wrapped row it thinks too short, unless its height is the file's
    own: every data row keeps it."""
    resaved = tmp_path / "reenregistre.xlsx"
    with lo.open(template) as doc:
        doc.save_xlsx(resaved)
    ws = load_workbook(resaved)[SESSIONS_SHEET]
    heights = {
        ws.row_dimensions[r].height for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + SESSION_ROWS)
    }
    assert heights == {DATA_ROW_HEIGHT}


# --- (2) the frozen columns and the first screen ---------------------------------------------
def test_the_frozen_columns_leave_most_of_a_laptop_screen_to_the_entry_columns(
    lo, template, tmp_path
):
    """The « Contrôle » column (a symbol and a short word) and the Réf. session stay in view
    when scrolling sideways; at 100 % they take less than a fifth of a 1,366 px screen (they
    took 683 px, half of it, leaving room for about three entry columns)."""
    book = load_workbook(template)
    for sheet in (SESSIONS_SHEET, "Infos collectives", "Périodes inscription"):
        pane = book[sheet].freeze_panes
        frozen = [column_letter(i) for i in range(1, column_index(pane.rstrip("0123456789")))]
        assert frozen == ["A", "B"], (sheet, pane)
        path = view(template, tmp_path / "gel.xlsx", sheet, frozen, HEADER_ROW)
        _, picture = render(lo, path, sheet, tmp_path / "gel")
        level = sheet_columns(sheet)[1].field.level
        header = rgb(LEVEL_COLOURS[level][1])  # the Réf. session header's fill
        x = next(
            x
            for y in range(picture.height)
            for x in range(picture.width)
            if picture.at(x, y) == header
        )
        top, bottom = picture.column_span(x, header)
        y = (top + bottom) // 2  # across the header row: « Contrôle », then « Réf. session »
        inked = [x for x in range(picture.width) if picture.at(x, y) != (255, 255, 255)]
        width = inked[-1] + 1 - inked[0]
        assert len(inked) == width, "not the two frozen columns alone"
        assert width <= SCREEN // 5, (sheet, width)


def crop_box(picture: Raster) -> tuple[int, int, int, int]:
    """x, y, width, height of what is drawn on the page."""
    xs, ys = [], []
    for y in range(picture.height):
        row = [x for x in range(picture.width) if picture.at(x, y) != (255, 255, 255)]
        if row:
            xs += [row[0], row[-1]]
            ys.append(y)
    return min(xs), ys[0], max(xs) + 1 - min(xs), ys[-1] + 1 - ys[0]


def test_the_first_screen_of_the_template(lo, template, tmp_path):
    """What a laptop shows when the template opens on « Sessions »: the columns that fit in
    1,366 px (row numbers and letters drawn as on screen), the first rows, no text spilt.
    SOFI_UPDATE_DOCS=1 writes it to docs/modele-premier-ecran.png, the README's picture."""
    ws = load_workbook(template)[SESSIONS_SHEET]
    letters, used = [], 40.0  # px: the row numbers and the scroll bar
    for col in sheet_columns(SESSIONS_SHEET):
        width = ws.column_dimensions[col.letter].width * 7 + 5  # Excel's px for Calibri 11
        if used + width > SCREEN:
            break
        letters.append(col.letter)
        used += width
    assert len(letters) >= 8, letters  # the entry columns, not the frozen ones alone
    path = view(template, tmp_path / "ecran.xlsx", SESSIONS_SHEET, letters, 24, headings=True)
    pdf, picture = render(lo, path, SESSIONS_SHEET, tmp_path / "ecran")
    x, y, width, height = crop_box(picture)
    assert width <= SCREEN, width
    if os.environ.get("SOFI_UPDATE_DOCS"):
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(DPI),
                "-png",
                "-singlefile",
                "-hide-annotations",
                *("-x", str(x - 4), "-y", str(y - 4), "-W", str(width + 8), "-H", str(height + 8)),
                str(pdf),
                str(DOCS / "modele-premier-ecran"),
            ],
            check=True,
            capture_output=True,
        )
    assert (DOCS / "modele-premier-ecran.png").exists()


# --- (3) the « Erreurs » sheet ----------------------------------------------------------------
def words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """The PDF's words with their boxes (points): text, x0, y0, x1, y1."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pattern = (
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [
        (unescape(text), float(a), float(b), float(c), float(d))
        for a, b, c, d, text in re.findall(pattern, html)
    ]


@pytest.fixture(scope="module")
def annotated(tmp_path_factory) -> tuple[Path, object]:
    """The annotated copy of the golden « erreurs » workbook (22 errors)."""
    from sofi_bulk import api
    from tests.golden.cases import build

    folder = tmp_path_factory.mktemp("erreurs")
    result = api.check(build("erreurs", folder))
    copy = folder / "erreurs-annotee.xlsx"
    api.write_annotated(result, copy)
    return copy, result


def test_the_errors_sheet_gives_the_link_then_the_whole_message_on_a_laptop_screen(
    lo, annotated, tmp_path
):
    """Each line of « Erreurs » reads: the cell (its link), then the message, whole, then
    the rest; the sheet fits a 1,366 px screen (the message was last, cut at 1,600 px)."""
    copy, result = annotated
    count = 6
    path = view(copy, tmp_path / "erreurs.xlsx", ERRORS_SHEET, list("ABCDEFG"), 3 + count)
    pdf, picture = render(lo, path, ERRORS_SHEET, tmp_path / "erreurs")
    assert crop_box(picture)[2] <= SCREEN
    found = words(pdf)
    ws = load_workbook(copy)[ERRORS_SHEET]
    lines = [[ws.cell(row=r, column=c).value for c in (1, 2, 3)] for r in range(4, 4 + count)]
    tops = [next(w for w in found if w[0] == link) for link, _, _ in lines]  # each link's word
    for (link, message, severity), top, after in zip(lines, tops, tops[1:] + [None], strict=True):
        band = sorted((w for w in found if abs(w[2] - top[2]) <= 2), key=lambda w: w[1])
        assert band[0][0] == link, [w[0] for w in band]
        assert band[1][0] == message.split()[0]  # the message right after the link
        right = next(w for w in band if w[0] == severity)[1]
        bottom = after[2] - 2 if after else float("inf")
        cell = [w[0] for w in found if top[3] < w[1] < right and top[2] - 2 <= w[2] < bottom]
        assert " ".join(cell) == " ".join(message.split()), cell  # whole, in its column


def test_following_a_link_shows_the_cells_own_error(lo, annotated):
    """A link of « Erreurs » selects its cell, and a selected cell shows its rule's input
    message: a marked cell's message is its error (the column's help after it); the rest of
    the column keeps the column's help, and its list still applies."""
    copy, result = annotated
    from sofi_bulk.core.plan import TemplateCopy, annotation_plan

    plan = annotation_plan(result, TemplateCopy(result))
    coded = next(m for m in plan.marks if m.sheet == SESSIONS_SHEET and "code" in m.note.lower())
    with lo.open(copy) as doc:
        own = doc.validation(SESSIONS_SHEET, coded.cell)
        assert own["show_input"] and own["input_title"] == "Erreur", own
        assert own["input_message"].startswith("Erreur : "), own["input_message"]
        letters = coded.cell.rstrip("0123456789")
        other = doc.validation(SESSIONS_SHEET, f"{letters}{FIRST_DATA_ROW + 20}")
        assert not other["input_message"].startswith("Erreur"), other
        assert own["type"] == other["type"] and own["formula1"] == other["formula1"]


# --- (4) the Aide sheet -------------------------------------------------------------------------
def test_the_help_sheet_fits_a_laptop_screen(lo, template, tmp_path):
    """The whole « Aide » sheet, row numbers included, is narrower than a 1,366 px screen
    less LibreOffice's scroll bar and frame: nothing to scroll sideways (its steps ran over
    a 1,600 px screen, its dictionary over 1,900 px)."""
    book = load_workbook(template)
    letters = [column_letter(i) for i in range(1, book["Aide"].max_column + 1)]
    path = view(template, tmp_path / "aide.xlsx", "Aide", letters, 40, headings=True)
    _, picture = render(lo, path, "Aide", tmp_path / "aide")
    assert crop_box(picture)[2] <= SCREEN - 60, crop_box(picture)


# --- (5) lists before a lot, and names the check accepts ----------------------------------------
def cell_of(sheet: str, key: str, index: int = 0) -> str:
    return f"{column_of(sheet, key).letter}{FIRST_DATA_ROW + index}"


def test_before_a_lot_the_dependent_lists_say_what_to_do(lo, template):
    """Excel offered a single « #N/A », LibreOffice an empty list: each now offers one
    readable entry until the row has a lot (or, on a child sheet, a session)."""
    waiting = ["(choisissez d'abord le Numéro lot CR)"]
    with lo.open(template) as doc:
        for key in ("site", "delivery_site", "pmr_contact", "responsible_org", "cr_action_id"):
            assert doc.list_entries(SESSIONS_SHEET, cell_of(SESSIONS_SHEET, key, 5)) == waiting
        assert doc.list_entries("Infos collectives", cell_of("Infos collectives", "ic_site")) == [
            "(choisissez d'abord la Réf. session)"
        ]
        doc.pick(SESSIONS_SHEET, cell_of(SESSIONS_SHEET, "lot", 5), "PAS2025_1")
        sites = doc.list_entries(SESSIONS_SHEET, cell_of(SESSIONS_SHEET, "site", 5))
        assert sites[0] == "36364 - ILF Nantes - Principal" and waiting[0] not in sites


def test_the_sheet_warns_but_never_refuses_a_name_the_check_accepts(lo, template, tmp_path):
    """« ILF Nantes - Principal », « 36364 », « Claire Martin »: the check reads them as the
    site or contact of the référentiel; Calc used to refuse them (its list holds « 36364 -
    ILF Nantes - Principal »). Its alert is now a warning the user may pass; the check then
    accepts these and refuses a name that designates nothing."""
    from sofi_bulk import api
    from tests.lo import ValidationAlert

    typed = {
        ("site", 0): "ILF Nantes - Principal",
        ("delivery_site", 0): "36364",
        ("pmr_contact", 0): "Claire Martin",
        ("site", 1): "Nantes quelque part",
    }
    saved = tmp_path / "saisie.xlsx"
    with lo.open(template) as doc:
        for index in (0, 1):
            doc.pick(SESSIONS_SHEET, cell_of(SESSIONS_SHEET, "lot", index), "PAS2025_1")
        for (key, index), text in typed.items():
            where = cell_of(SESSIONS_SHEET, key, index)
            with pytest.raises(ValidationAlert) as alert:  # headless Calc answers « Cancel »
                doc.type(SESSIONS_SHEET, where, text, alert=True)
            assert alert.value.alert["error_style"] == "WARNING", (key, alert.value.alert)
            assert "Le contrôle accepte aussi" in alert.value.alert["error_message"]
            doc.type(SESSIONS_SHEET, where, text)  # kept, as « Yes » / « OK » keeps it
        doc.save_xlsx(saved)
    result = api.check(saved)
    flagged = {
        (i.code, i.cell) for i in result.issues if i.code.endswith(("-inconnu", "-hors-lot"))
    }
    assert flagged == {("site-inconnu", cell_of(SESSIONS_SHEET, "site", 1))}, flagged
