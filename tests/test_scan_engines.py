"""The workbook scan has two fast paths: one RE2 pass (CPython) and four passes of Python's re
(Pyodide, where RE2 has no wheel). Whatever a sheet holds, both must reach the same verdict:
the same far cell refused with the same words, the same formula errors at the same cells."""

from __future__ import annotations

import io
import sys
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sofi_bulk.core.errors import WorkbookError
from sofi_bulk.excel import scan

HEAD = b'<?xml version="1.0"?><worksheet xmlns="urn:s"><sheetData>'
TAIL = b"</sheetData></worksheet>"

# cells and rows as programs write them, and as only a hostile file would
FORMS = {
    "proche": b'<row r="7"><c r="B7" s="1" t="n"><v>1</v></c></row>',
    "loin": b'<row r="7"><c r="A60000" t="n"><v>1</v></c></row>',
    "loin-vide": b'<row r="7"><c r="A60000" s="3"></c><c r="B60000"/></row>',
    "ligne-49999": b'<row r="49999"><c r="AB49999"><v>1</v></c></row>',
    "ligne-50000": b'<row r="50000"><c r="A50000"><v>1</v></c></row>',
    "colonne-et": b'<row r="7"><c r="ET7"><v>1</v></c><c r="et8"><v>1</v></c></row>',
    "colonne-eu": b'<row r="7"><c r="EU7"><v>1</v></c></row>',
    "colonne-all": b'<row r="7"><c r="ALL7"><v>1</v></c></row>',
    "apostrophes": b"<row r='7'><c r='XFD7' t='n'><v>1</v></c></row>",
    "espaces": b'<row r = "7"><c r = "XFD7" t="n"><v>1</v></c></row>',
    "minuscules": b'<row r="7"><c r="xfd7" t="n"><v>1</v></c><c r="b7"><v>2</v></c></row>',
    "minuscules-proches": b'<row r="7"><c r="a7"><v>1</v></c><c r="b7"><v>2</v></c></row>',
    "dollars": b'<row r="7"><c r="$XFD$7"><v>1</v></c><c r="$B$7"><v>1</v></c></row>',
    "zeros": b'<row r="7"><c r="A00000060000"><v>1</v></c></row>',
    "zeros-proches": b'<row r="7"><c r="A007"><v>1</v></c></row>',
    "entite": b'<row r="7"><c r="A&#54;0000"><v>1</v></c></row>',
    "prefixe": b'<row r="7"><x:c xmlns:x="urn:x" r="XFD7"><v>1</v></x:c></row>',
    "prefixe-ligne": b'<x:row r="7"><c r="A7"><v>1</v></c></x:row>',
    "prefixe-vide": b'<row r="7"><:c r="A60000"><v>1</v></:c></row>',
    "deux-references": b'<row r="7"><c r="A7" r="A60000"><v>1</v></c></row>',
    "deux-references-tab": b'<row r="7"><c r="A7"\tr="A60000"><v>1</v></c></row>',
    "tab-avant-r": b'<row r="7"><c\tr="A60000"><v>1</v></c></row>',
    "reference-en-second": b'<row r="7"><c t="n" r="XFD7"><v>1</v></c></row>',
    "reference-prefixee": b'<row r="7"><c r="A60000" x:r="A8"><v>1</v></c></row>',
    "sans-reference": b'<row r="7">' + b'<c t="n"><v>1</v></c>' * 30 + b"</row>",
    "ligne-en-lettres": b'<row r="A60000"><c r="B7"><v>1</v></c><c><v>1</v></c></row>',
    "ligne-immense": b'<row r="7"><c r="A99999999999999999999999"><v>1</v></c></row>',
    "erreur": b'<row r="3"><c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>',
    "erreur-sans-ref": b'<row r="3"><c r="B3"/><c t=\'e\'><v>#N/A</v></c></row>',
    "erreur-ailleurs": b'<row r="3"><c r="C3" s="2"><is><t>t="e"</t></is></c></row>',
    "autre-balise-r": b'<row r="3"><c r="C3"><v>1</v></c></row><x r="A60000"/>',
    "row-r-colle": b'<row r="3"><c r="C3"><v>1</v></c></row><brow r="9"/>',
    "debut-de-partie": b' r="A60000"',
    # where RE2 could stop for ":row " or for "w r=", the stop must hold both
    "deux-alertes": b'<row r="9"><c r="F9" t="e">= t="e"<row><v>#N/A</v>:row r=',
    "prefixe-long": b'<row r="7"><' + b"x" * 300 + b':c r="A7"><v>1</v></x:c></row>',
    "texte-deux-points-c": b'<row r="7"><c r="A7" t="inlineStr"><is><t>a:c b:row </t></is></c>',
}


def verdict(xml: bytes, engine: object) -> tuple[str, object]:
    """What the scan says of one sheet part holding ``xml``, with the given fast path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    saved = scan._ATTENTION
    scan._ATTENTION = engine
    try:
        with zipfile.ZipFile(buffer) as archive:
            part = "xl/worksheets/sheet1.xml"
            found = scan._scan_part(archive, part, scan.SheetScan("S"), scan._Budget("f"))
        return "ok", dict(found.errors)
    except WorkbookError as exc:
        return "refusé", str(exc)
    finally:
        scan._ATTENTION = saved


@pytest.mark.skipif(sys.platform == "emscripten", reason="RE2 has no wheel for Pyodide")
def test_re2_is_installed_where_it_has_a_wheel():
    """Else every test below would compare Python's re with itself."""
    assert scan._ATTENTION is not None


@pytest.mark.parametrize("form", FORMS)
def test_both_fast_paths_agree(form):
    xml = HEAD + FORMS[form] + TAIL if form != "debut-de-partie" else FORMS[form] + HEAD + TAIL
    assert verdict(xml, scan._ATTENTION) == verdict(xml, None)


def test_the_verdicts_are_the_expected_ones():
    """Agreement alone would pass if both were wrong."""
    assert verdict(HEAD + FORMS["proche"] + TAIL, scan._ATTENTION) == ("ok", {})
    assert verdict(HEAD + FORMS["erreur"] + TAIL, scan._ATTENTION) == ("ok", {(2, 2): "#DIV/0!"})
    assert verdict(HEAD + FORMS["erreur-sans-ref"] + TAIL, scan._ATTENTION) == (
        "ok",
        {(2, 2): "#N/A"},
    )
    for form in ("loin", "minuscules", "prefixe", "ligne-50000", "colonne-eu", "colonne-all"):
        outcome, message = verdict(HEAD + FORMS[form] + TAIL, scan._ATTENTION)
        assert outcome == "refusé" and "très loin" in str(message), form
    outcome, message = verdict(HEAD + FORMS["deux-references"] + TAIL, scan._ATTENTION)
    assert outcome == "refusé" and "XML mal formé" in str(message)  # an attribute twice
    for form in ("loin-vide", "ligne-49999", "colonne-et", "minuscules-proches", "zeros-proches"):
        assert verdict(HEAD + FORMS[form] + TAIL, scan._ATTENTION) == ("ok", {}), form


def test_a_plain_sheet_is_read_in_one_pass_without_a_stop_per_cell(monkeypatch):
    """The point of RE2: on cells as programs write them, no Python work per cell."""
    stops = []
    real = scan._CELL
    monkeypatch.setattr(scan, "_CELL", _Spy(real, stops))
    rows = b"".join(
        b'<row r="%d"><c r="A%d" s="1" t="s"><v>%d</v></c><c r="AZ%d" t="n"><v>2.5</v></c></row>'
        % (n, n, n, n)
        for n in range(1, 49_999, 97)
    )
    assert verdict(HEAD + rows + TAIL, scan._ATTENTION) == ("ok", {})
    assert stops == []


class _Spy:
    def __init__(self, real, calls):
        self.real, self.calls = real, calls

    def match(self, *args):
        self.calls.append(args[1:])
        return self.real.match(*args)

    def finditer(self, *args):
        return self.real.finditer(*args)


# what hostile sheets are made of, shuffled by hypothesis
PIECES = st.sampled_from(
    [
        b'<row r="7">',
        b'<row r="50000">',
        b"<row>",
        b"</row>",
        b'<c r="B7">',
        b'<c r="b7" s="1">',
        b'<c r="$B$7">',
        b'<c r="B60000">',
        b'<c r="ZZ49999">',
        b'<c r="ALM3">',
        b'<c r="ET3">',
        b'<c r="EU3">',
        b'<c r="A0">',
        b"<c r='C9'>",
        b'<c  r="D9">',
        b'<c\nr="D9">',
        b'<c r ="E9">',
        b"<c>",
        b'<c t="e">',
        b' t="e"',
        b'<c r="F9" t="e">',
        b'<c r="A7" r="A60000">',
        b'<c s="1" r="XFD1">',
        b"<x:c ",
        b"<x:row ",
        b'r="A60000">',
        b"<c/>",
        b'<c r="G9"/>',
        b"<v>1</v>",
        b"<v>#N/A</v>",
        b"<f>1/0</f>",
        b"<is><t>x</t></is>",
        b"</c>",
        b"<!-- </c> -->",
        b" ",
        b"\t",
        b"c r=",
        b"<row r=",
        b"w r=",
        b":row r=",
        b'<x:row r="9">',
        b"<xxxxxxxxxxxx:c>",
        b"<" + b"y" * 300 + b":c>",
        b"z" * 300 + b":row ",
        b"<c ",
        b'<c r="A1',
        b'<c r="XFD9" a="/>">',
        b'<![CDATA[<row r="5">]]>',
        b'<!--<row r="5">-->',
        b"<x=y:c ",
        b"<x/y:c>",
        b"<x\x0b:c>",
        b'<row\x0b r="5">',
        b"<x=y:v>1</x=y:v>",
        b"</x:c>",
        b"<row/>",
        b'<c r="ZZZ9999999" t="e"/>',
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, min_size=1, max_size=40), st.booleans())
def test_both_fast_paths_agree_on_any_mix(pieces, at_start):
    body = b"".join(pieces)
    xml = body + HEAD + TAIL if at_start else HEAD + body + TAIL
    assert verdict(xml, scan._ATTENTION) == verdict(xml, None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, min_size=1, max_size=12), st.integers(0, 12_000))
def test_both_fast_paths_agree_across_chunks(pieces, offset):
    """A sheet read in several chunks, its odd cell anywhere around a chunk's end."""
    filler = b'<row r="2"><c r="A2"><v>1</v></c></row>'
    xml = HEAD + filler * (offset // len(filler)) + b"".join(pieces) + filler * 300 + TAIL
    saved = scan.CHUNK
    scan.CHUNK = 8192
    try:
        assert verdict(xml, scan._ATTENTION) == verdict(xml, None)
    finally:
        scan.CHUNK = saved


@pytest.mark.parametrize("end", [b"<c ", b"<c r", b"<c r=", b'<c r="A1', b'<c r="AB49999'])
def test_a_part_cut_inside_a_cell_tag_is_refused_by_both(end):
    """RE2 needs the byte after "<c r" that a cut part does not have."""
    for engine in (scan._ATTENTION, None):
        outcome, message = verdict(HEAD + b'<row r="1">' + end, engine)
        assert outcome == "refusé" and "contenu illisible (XML mal formé)" in str(message)


@pytest.mark.parametrize("name_length", [1, 8, 30, 100, 255])
@pytest.mark.parametrize("back", [1, 9, 20, 64, 200, 300])
def test_a_prefixed_far_cell_across_a_chunk_limit_is_refused(name_length, back):
    """Its "<" before the limit, its ":c" after: no chunk may drop it."""
    name = b"x" * name_length
    cell = b"<" + name + b":c><v>1</v></" + name + b":c></row>"
    head = HEAD + b'<row r="60000">'
    chunk = 8192
    xml = head + b" " * (chunk - scan.KEEP - back - len(head)) + cell
    xml += b'<row r="2"><c r="A2"><v>1</v></c></row>' * 400 + TAIL
    saved = scan.CHUNK
    scan.CHUNK = chunk
    try:
        for engine in (scan._ATTENTION, None):
            outcome, message = verdict(xml, engine)
            assert outcome == "refusé" and "très loin" in str(message), (engine, message)
    finally:
        scan.CHUNK = saved


@pytest.mark.parametrize("name_length", [256, 300, 5_000, 20_000])
@pytest.mark.parametrize("chunk", [8192, 1 << 22])
def test_a_prefix_too_long_to_see_sends_the_part_to_the_parser(name_length, chunk):
    """A "<" further back than the fast scans look must not hide a cell: the XML parser
    reads such a part and finds it, whatever the chunk it falls across."""
    name = b"x" * name_length
    cell = b"<" + name + b":c><v>1</v></" + name + b":c></row>"
    xml = HEAD + b'<row r="60000">' + b" " * 3000 + cell
    xml += b'<row r="2"><c r="A2"><v>1</v></c></row>' * 400 + TAIL
    saved = scan.CHUNK
    scan.CHUNK = chunk
    try:
        for engine in (scan._ATTENTION, None):
            outcome, message = verdict(xml, engine)
            assert outcome == "refusé" and "très loin" in str(message), (engine, message)
    finally:
        scan.CHUNK = saved


def test_many_formula_errors_are_all_noted_by_both():
    """Past its budget of stops the RE2 pass hands the part to the re passes."""
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>' % (n, n)
        for n in range(1, scan.ALARM_BUDGET + 500)
    )
    expected = {(n - 1, 0): "#DIV/0!" for n in range(1, scan.ALARM_BUDGET + 500)}
    assert verdict(HEAD + rows + TAIL, scan._ATTENTION) == ("ok", expected)
    assert verdict(HEAD + rows + TAIL, None) == ("ok", expected)


HOSTILE = {  # each took the scan 8 to 45 seconds, its cost growing with the square of n
    "cellules-loin-ouvertes": b'<row r="1">' + b'<c r="A60000">' * 20_000 + b"</c>",
    "cellules-loin-vides": b'<row r="1">'
    + b'<c r="A60000" s="1">' * 20_000
    + b" " * 400_000
    + b"</c>",
    "formules-ouvertes": b'<row r="1">' + b'<c r="A1" t="e"><f>' * 2_000 + b" " * 400_000,
    "erreurs-hors-balise": b'<row r="1">' + b' t="e"' * 100_000,
    "erreurs-sans-fin": b'<row r="1"><c r="A1"' + b' t="e"' * 100_000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_cells_cost_the_scan_linear_time(name):
    xml = HEAD + HOSTILE[name] + TAIL
    for engine in (scan._ATTENTION, None):
        started = time.process_time()
        verdict(xml, engine)
        assert time.process_time() - started < 3, engine


@pytest.mark.parametrize(
    "piece", [b"<c/>", b'<c r="A1" t="e"><v>#N/A</v></c>', b'<c r="A60000"/>', b"<x:c/>"]
)
def test_a_sheet_past_the_stop_budget_is_refused_by_both(piece, monkeypatch):
    """Each place looked at in Python costs a microsecond or two: past millions of them
    the file is refused rather than scanned for minutes."""
    monkeypatch.setattr(scan, "MAX_WORK", 50 * scan.STOP_COST)
    monkeypatch.setattr(scan, "ALARM_BUDGET", 10)
    under = HEAD + b'<row r="1">' + piece * 8 + b"</row>" + TAIL
    over = HEAD + b'<row r="1">' + piece * 250 + b"</row>" + TAIL
    for engine in (scan._ATTENTION, None):
        assert verdict(under, engine)[0] == "ok"
        outcome, message = verdict(over, engine)
        assert outcome == "refusé" and "trop de balises à examiner" in str(message)


# The reader itself, on a workbook holding nothing but the sheet: what the scan accepts, it
# must read into a grid within the limits (else it allocates one up to the far cell).
BOOK_PARTS = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
    b'.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/></Types>',
    "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.'
    b'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org'
    b'/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.'
    b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    b'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/></Relationships>',
}


def book_of(*sheets: bytes) -> bytes:
    """A workbook of one sheet (the first part), the others as parts no sheet names."""
    return book_with({f"xl/worksheets/sheet{n}.xml": xml for n, xml in enumerate(sheets, 1)})


def reader_grid(xml: bytes) -> tuple[int, int] | None:
    """The rows and columns python-calamine allocates for the sheet, its first cell included
    (None when it refuses the sheet)."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(book_of(xml))).get_sheet_by_index(0)
        start = sheet.start or (0, 0)
        return start[0] + sheet.height, start[1] + sheet.width
    except Exception:  # the reader's own refusal, of any kind
        return None


def within_limits(grid: tuple[int, int] | None) -> bool:
    return grid is None or (grid[0] < scan.MAX_ROWS and grid[1] <= scan.MAX_COLUMNS)


# each let a far cell through, or put a formula error where the reader would pad rows up to it
PAST_THE_SCAN = {
    "fin-de-balise-entre-guillemets": b'<row r="1"><c r="XFD1048576" a="/>"><v>1</v></c></row>',
    "ligne-en-commentaire": b'<row r="60000"><!--<row r="5">--><c><v>1</v></c></row>',
    "ligne-en-cdata": b'<row r="60000"><c r="A1"><v>1</v></c><![CDATA[<row r="5">]]>'
    b"<c><v>1</v></c></row>",
    "ligne-en-attribut": b'<row r="60000"><x a="&lt;row r=\'5\'>"/><c><v>1</v></c></row>',
    "prefixe-egal": b'<row r="7"><x=y:c r="A60000"><v>1</v></x=y:c></row>',
    "prefixe-barre": b'<row r="7"><x/y:c r="A60000"><v>1</v></x/y:c></row>',
    "prefixe-tab-vertical": b'<row r="7"><x\x0b:c r="A60000"><v>1</v></x\x0b:c></row>',
    "valeur-prefixe-egal": b'<row r="7"><c r="A60000"><x=y:v>1</x=y:v></c></row>',
    "ligne-tab-vertical": b'<row r="60000"><row\x0b r="5"/><c><v>1</v></c></row>',
    "erreur-loin": b'<row r="1"><c r="A1"><v>1</v></c><c r="ZZZ9999999" t="e"/>'
    b'<c r="B999999" t="e"></c></row>',
    "erreur-loin-sans-ref": b'<row r="1"><c r="A1"/><c/><c t="e"><v>#N/A</v></c></row>'
    b'<row r="70000"><c t="e"/><c t="e"></c></row>',
}


@pytest.mark.parametrize("form", PAST_THE_SCAN)
def test_what_the_scan_accepts_the_reader_reads_within_the_limits(form):
    xml = HEAD + PAST_THE_SCAN[form] + TAIL
    for engine in (scan._ATTENTION, None):
        outcome, found = verdict(xml, engine)
        if outcome == "ok":
            assert within_limits(reader_grid(xml)), engine
            assert all(r < scan.MAX_ROWS and c < scan.MAX_COLUMNS for r, c in found), engine
        else:
            assert "très loin" in found or "illisible" in found, found


def test_a_far_cell_hidden_behind_a_quoted_end_is_refused():
    xml = HEAD + PAST_THE_SCAN["fin-de-balise-entre-guillemets"] + TAIL
    assert reader_grid(xml) == (1_048_576, 16_384)  # what it would have cost
    for engine in (scan._ATTENTION, None):
        outcome, message = verdict(xml, engine)
        assert outcome == "refusé" and "très loin du tableau (XFD1048576)" in message


@pytest.mark.parametrize(
    "form, where",
    [
        ("ligne-en-commentaire", "A60000"),
        ("ligne-en-cdata", "B60000"),
        ("ligne-en-attribut", "A60000"),
    ],
)
def test_a_row_in_a_comment_cdata_or_value_does_not_count(form, where):
    """The reader skips them: the cell after one stays in row 60 000, and is refused."""
    xml = HEAD + PAST_THE_SCAN[form] + TAIL
    assert reader_grid(xml)[0] == 60_000
    for engine in (scan._ATTENTION, None):
        outcome, message = verdict(xml, engine)
        assert outcome == "refusé" and f"très loin du tableau ({where})" in message, message


def test_formula_errors_far_away_are_not_noted():
    """Noted, they would make the reader's rows run up to them."""
    xml = HEAD + PAST_THE_SCAN["erreur-loin"] + TAIL
    for engine in (scan._ATTENTION, None):
        assert verdict(xml, engine) == ("ok", {})
    xml = HEAD + PAST_THE_SCAN["erreur-loin-sans-ref"] + TAIL
    for engine in (scan._ATTENTION, None):
        assert verdict(xml, engine) == ("ok", {(0, 2): "#N/A"})


def test_a_cell_after_a_row_end_goes_to_the_next_row_as_in_the_reader():
    body = b'<row r="2"><c r="C2"><v>1</v></c></row><c t="e"><v>#N/A</v></c>'
    body += b'<row r="5"/><c t="e"><v>#REF!</v></c>'
    xml = HEAD + body + TAIL
    for engine in (scan._ATTENTION, None):
        assert verdict(xml, engine) == ("ok", {(2, 0): "#N/A", (5, 0): "#REF!"})
    # where the reader puts the first error: row 3 (index 2), column A
    only = HEAD + b'<row r="2"></row><c t="e"><v>#N/A</v></c>' + TAIL
    assert reader_grid(only) == (3, 1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, min_size=1, max_size=30))
def test_the_reader_stays_within_the_limits_on_any_accepted_mix(pieces):
    xml = HEAD + b"".join(pieces) + TAIL
    outcome, _ = verdict(xml, scan._ATTENTION)
    if outcome == "ok":
        assert within_limits(reader_grid(xml))


HOSTILE.update(
    {  # each took the scan 45 to 55 seconds: a Python look, at length, per t="e"
        "erreurs-en-une-balise": (b"<" + b't="e"' * 203 + b">") * 20_000,
        "erreurs-en-texte": b'<row r="1"><c r="A1" t="e"><v>' + b't="e"' * 2_000_000,
    }
)


def test_junk_in_many_parts_is_bounded_by_one_budget_for_the_workbook(monkeypatch):
    """The budget is the workbook's, not each part's: three parts of junk, each within it
    alone, are refused together."""
    monkeypatch.setattr(scan, "MAX_WORK", 25_000 * (scan.STOP_COST + scan.NOTE_COST))
    junk = HEAD + b'<row r="1">' + b'<c r="A1" t="e"/>' * 10_000 + TAIL
    assert scan.scan_workbook(book_of(HEAD + TAIL, junk), "f.xlsx")
    with pytest.raises(WorkbookError, match="trop de balises"):
        scan.scan_workbook(book_of(HEAD + TAIL, junk, junk, junk), "f.xlsx")


def test_the_budget_ends_a_workbook_of_junk_within_seconds():
    junk = HEAD + b'<row r="1">' + b'<c r="A1" t="e"/>' * 1_000_000 + TAIL
    started = time.process_time()
    with pytest.raises(WorkbookError, match="trop de balises"):
        scan.scan_workbook(book_of(HEAD + TAIL, junk, junk, junk), "f.xlsx")
    assert time.process_time() - started < 8


def test_a_second_reference_glued_to_a_quote_is_seen():
    """The reader takes the last r of <c r="A1"r="A1048576">: the scan hands the part to the
    XML parser, which refuses an attribute written twice."""
    for glued in (
        b'<c r="A1"r="A1048576">',
        b'<c r="A1" s="1"r=\'A60000\'>',
        b'<c r="A1"r="XFD1">',
    ):
        xml = HEAD + b'<row r="1">' + glued + b"<v>1</v></c></row>" + TAIL
        assert not within_limits(reader_grid(xml))
        for engine in (scan._ATTENTION, None):
            outcome, message = verdict(xml, engine)
            assert outcome == "refusé" and "XML mal formé" in message, (glued, engine)


@pytest.mark.parametrize("start", [b"", b"\xff\xfe"])
def test_a_part_expat_would_read_as_utf16_is_refused(start):
    """Expat would decode it as UTF-16 and see text where the reader, reading bytes, sees
    a far cell."""
    payload = b'<sheetData><c> </c><c r="A1048576"><v>11</v></c></sheetData> '
    xml = start + "<worksheet>".encode("utf-16-le") + payload + "</worksheet>".encode("utf-16-le")
    assert reader_grid(xml) == (1_048_576, 1)
    for engine in (scan._ATTENTION, None):
        outcome, message = verdict(xml, engine)
        assert outcome == "refusé" and "encodage autre que UTF-8" in message


REL_TO = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006'
    b'/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/worksheet" Target=%s/></Relationships>'
)


@pytest.mark.parametrize(
    "target, entry, rid",
    [
        (b'"worksheets/s.png"', "xl/worksheets/S.png", b'r:id="rId1"'),  # case
        (b'"worksheets/s.png"', "xl\\worksheets\\s.png", b'r:id="rId1"'),  # backslashes
        (b"'worksheets/s.png'", "xl/worksheets/s.png", b'r:id="rId1"'),  # other quotes
        (b' "worksheets/s.png"', "xl/worksheets/s.png", b'r:id="rId1"'),  # Target= "…"
        (b'"worksheets/s&#46;png"', "xl/worksheets/s.png", b'r:id="rId1"'),  # an entity
        (b'"worksheets/s.png"', "xl/worksheets/s.png", b"r:id='rId1'"),
        (b'"worksheets/s.png"', "xl/worksheets/s.png", b'x:id="rId1"'),  # another prefix
        (b'"/xl/./worksheets/../worksheets/s.png"', "xl/worksheets/s.png", b'r:id="rId1"'),
    ],
)
def test_a_sheet_under_an_image_name_is_found_as_the_reader_finds_it(target, entry, rid):
    """Images are not scanned (random bytes would look like cells), but one the workbook
    points at as a sheet is, however the path or the attributes are written."""
    far = HEAD + b'<row r="60000"><c r="A60000"><v>1</v></c></row>' + TAIL
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in BOOK_PARTS.items():
            if name == "xl/_rels/workbook.xml.rels":
                data = REL_TO % target
            elif name == "xl/workbook.xml":
                data = data.replace(b'r:id="rId1"', rid)
            archive.writestr(name, data)
        archive.writestr(entry, far)
    with pytest.raises(WorkbookError, match="très loin"):
        scan.scan_workbook(buffer.getvalue(), "f.xlsx")


@pytest.mark.parametrize(
    "name",
    [
        "xl/media/image1.png",
        "xl/embeddings/oleObject1.bin",
        "xl/embeddings/Microsoft_Excel_Worksheet.xlsx",
        "xl/printerSettings/printerSettings1.bin",
    ],
)
def test_a_binary_part_nothing_points_at_is_not_scanned(name):
    """A megabyte of a picture or an embedded document holds "<c " by chance: such a part
    would be refused as unreadable XML."""
    junk = b'\x89PNG<c r="A60000"><v>1</v></c>\x00\xff<c \x01'  # what its bytes may hold
    with pytest.raises(WorkbookError, match="très loin"):  # in a part of another name
        scan.scan_workbook(book_of(HEAD + TAIL, junk), "f.xlsx")
    buffer = io.BytesIO(book_of(HEAD + TAIL))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(name, junk)
    assert list(scan.scan_workbook(buffer.getvalue(), "f.xlsx")) == ["S"]


HOSTILE.update(
    {  # each took the scan 11 to 139 seconds (helper 13)
        "cellules-loin-chevauchees": b'<row r="1">' + b'<c r="A60000" ' * 30_000 + b"a='x'/>",
        "colonne-sans-fin": b'<row r="1"><c r="' + b"B" * 300_000 + b'1"><v>1</v></c></row>',
        # read by the XML parser (a cell without a reference first): what costs it most
        "lignes-vides": b"<row><c><v>1</v></c></row>" + b'<row r="5"/>' * 500_000,
        "elements-vides": b"<row><c><v>1</v></c></row>" + b"<x/>" * 1_000_000,
        "attributs-sans-fin": b'<row r="1"><c><v>1</v></c></row><x '
        + b" ".join(b'a%x=""' % i for i in range(500_000))
        + b"/>",
    }
)


def test_a_tag_too_long_for_memory_is_refused_before_the_parser():
    """Its attributes would fill memory before any handler could count them."""
    xml = HEAD + b'<row r="1"><c><v>1</v></c></row><x ' + b'a=""' * 300_000 + b"/>" + TAIL
    for engine in (scan._ATTENTION, None):
        outcome, message = verdict(xml, engine)
        assert outcome == "refusé" and "balise démesurée" in message


def test_a_workbook_part_of_endless_attributes_costs_little():
    parts = dict(BOOK_PARTS)
    parts["xl/workbook.xml"] = (
        b'<workbook xmlns:r="urn:r"><sheets><sheet '
        + b"a" * 40_000
        + b' name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        archive.writestr("xl/worksheets/sheet1.xml", HEAD + TAIL)
    started = time.process_time()
    with pytest.raises(WorkbookError, match="xl/workbook.xml"):
        scan.scan_workbook(buffer.getvalue(), "f.xlsx")
    assert time.process_time() - started < 1


@pytest.mark.parametrize("cell", [b'<c r="B2" t="e">', b"<c t='e'>"])
def test_only_short_error_codes_are_kept(cell):
    """A formula error's text is said in messages: megabytes of it are not kept."""
    long = HEAD + b'<row r="2"><c r="A2"/>' + cell + b"<v>#" + b"N" * 100_000 + b"</v></c></row>"
    short = HEAD + b'<row r="2"><c r="A2"/>' + cell + b"<v>#SPILL!</v></c></row>" + TAIL
    for engine in (scan._ATTENTION, None):
        assert verdict(long + TAIL, engine) == ("ok", {(1, 1): "#ERREUR"})
        assert verdict(short, engine) == ("ok", {(1, 1): "#SPILL!"})


def test_a_formula_error_in_row_zero_is_not_noted():
    xml = HEAD + b'<row r="1"><c r="A0" t="e"><v>#N/A</v></c></row>' + TAIL
    for engine in (scan._ATTENTION, None):
        assert verdict(xml, engine) == ("ok", {})


def zip_with_blob(flags: int, method: int, blob: str = "xl/worksheets/blob.dat") -> bytes:
    """A workbook whose extra part is encrypted or compressed as no zip reader can read."""
    import struct

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in BOOK_PARTS.items():
            archive.writestr(name, data)
        archive.writestr("xl/worksheets/sheet1.xml", HEAD + TAIL)
        archive.writestr(blob, b"hello")
    raw = bytearray(buffer.getvalue())
    for signature, flag_at, method_at, name_at in (
        (b"PK\x03\x04", 6, 8, 30),
        (b"PK\x01\x02", 8, 10, 46),
    ):
        at = raw.find(signature)
        while at >= 0:
            if raw[at + name_at : at + name_at + len(blob)] == blob.encode():
                raw[at + flag_at : at + flag_at + 2] = struct.pack("<H", flags)
                raw[at + method_at : at + method_at + 2] = struct.pack("<H", method)
            at = raw.find(signature, at + 4)
    return bytes(raw)


@pytest.mark.parametrize("flags, method", [(0, 97), (1, 0)])
def test_a_part_no_zip_reader_reads_is_refused_in_french(flags, method):
    data = zip_with_blob(flags, method)
    scan.check_xlsx_container(data, "f.xlsx")  # not an XML part: its prolog is not read
    with pytest.raises(WorkbookError, match="classeur endommagé"):
        scan.scan_workbook(data, "f.xlsx")


def test_an_encrypted_xml_part_is_refused_by_the_container_check():
    with pytest.raises(WorkbookError, match="archive chiffrée"):
        scan.check_xlsx_container(zip_with_blob(1, 0, "xl/blob.xml"), "f.xlsx")


def book_with(parts: dict[str, bytes], **infos: zipfile.ZipInfo) -> bytes:
    """BOOK_PARTS with ``parts`` over them (and parts given as ZipInfo, with their extras)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**BOOK_PARTS, **parts}.items():
            archive.writestr(infos.get(name, name), data)
    return buffer.getvalue()


FAR_SHEET = HEAD + b'<row r="60000"><c r="A60000"><v>1</v></c></row>' + TAIL


def test_a_sheet_folder_part_is_scanned_whatever_its_name_says():
    """The reader reads sheets only in xl/worksheets (and chart and dialog sheets): every part
    there is scanned, whatever its extension, case or slashes; nothing else is."""
    for name in ("xl/worksheets/x.png", "XL/Worksheets/S.PNG", "xl\\worksheets\\s.bin"):
        with pytest.raises(WorkbookError, match="très loin"):
            scan.scan_workbook(book_with({name: FAR_SHEET}), "f.xlsx")
    for name in ("xl/media/image1.emz", "xl/embeddings/x.mp4", "xl/sharedStrings.xml"):
        assert scan.scan_workbook(book_with({name: FAR_SHEET}), "f.xlsx") == {}


def test_a_sheet_target_written_with_an_entity_is_refused():
    """The reader takes Target as written (no entity undone): no guessing which part it is."""
    rels = REL_TO % b'"worksheets/s&amp;.png"'
    parts = {"xl/_rels/workbook.xml.rels": rels, "xl/worksheets/sheet1.xml": HEAD + TAIL}
    with pytest.raises(WorkbookError, match="référence de feuille écrite avec une entité"):
        scan.scan_workbook(book_with(parts), "f.xlsx")


def test_a_part_name_two_zip_readers_read_apart_is_refused():
    """A Unicode path field (which Python ignores), a non-ASCII name not flagged as UTF-8
    (cp437 here, UTF-8 in the reader's zip library), names equal but for case."""
    unicode_path = zipfile.ZipInfo("xl/media/image1.png")
    target = b"xl/worksheets/sheet1.xml"
    unicode_path.extra = (
        (0x7075).to_bytes(2, "little")
        + (len(target) + 5).to_bytes(2, "little")
        + b"\x01\x00\x00\x00\x00"
        + target
    )
    data = book_with({"xl/media/image1.png": FAR_SHEET}, **{"xl/media/image1.png": unicode_path})
    with pytest.raises(WorkbookError, match="nom d'élément ambigu"):
        scan.check_xlsx_container(data, "f.xlsx")
    cp437 = bytearray(book_with({"xl/worksheets/AB.xml": FAR_SHEET}))
    cp437[:] = cp437.replace(b"xl/worksheets/AB.xml", "xl/worksheets/é.xml".encode())
    with pytest.raises(WorkbookError, match="nom d'élément ambigu"):
        scan.check_xlsx_container(bytes(cp437), "f.xlsx")
    cased = book_with(
        {"xl/worksheets/sheet1.xml": HEAD + TAIL, "XL/worksheets/SHEET1.xml": FAR_SHEET}
    )
    with pytest.raises(WorkbookError, match="élément en double"):
        scan.check_xlsx_container(cased, "f.xlsx")


def test_comments_and_instructions_are_charged_to_the_budget(monkeypatch):
    """The parser meets them without a handler: they are counted by their "<"."""
    monkeypatch.setattr(scan, "MAX_WORK", 200_000)
    junk = HEAD + b"<row><c><v>1</v></c></row>" + b"<?a?>" * 200_000 + TAIL
    assert scan.scan_workbook(book_with({"xl/worksheets/sheet1.xml": junk}), "f.xlsx")
    parts = {f"xl/worksheets/sheet{n}.xml": junk for n in range(1, 5)}
    with pytest.raises(WorkbookError, match="trop de balises"):
        scan.scan_workbook(book_with(parts), "f.xlsx")


def test_elements_nested_too_deep_are_refused():
    """The parser keeps each open element in memory."""
    deep = HEAD + b"<row><c><v>1</v></c></row>" + b"<a>" * 300 + b"</a>" * 300 + TAIL
    for engine in (scan._ATTENTION, None):
        outcome, message = verdict(deep, engine)
        assert outcome == "refusé" and "imbrication démesurée" in message
    book = (
        b'<workbook xmlns:r="urn:r"><sheets>'
        + b"<a>" * 300
        + b"</a>" * 300
        + b"</sheets></workbook>"
    )
    with pytest.raises(WorkbookError, match="imbrication démesurée"):
        scan.scan_workbook(book_with({"xl/workbook.xml": book}), "f.xlsx")


def test_a_workbook_of_endless_sheets_is_refused():
    sheets = b"".join(b'<sheet name="S%d" sheetId="%d" r:id="rId1"/>' % (n, n) for n in range(1001))
    book = b'<workbook xmlns:r="urn:r"><sheets>' + sheets + b"</sheets></workbook>"
    with pytest.raises(WorkbookError, match="plus de 1000 sheet"):
        scan.scan_workbook(book_with({"xl/workbook.xml": book}), "f.xlsx")


@pytest.mark.parametrize("cell", [b'<c r="A%d" t="e"><v>#N/A</v></c>', b"<c t='e'><v>#N/A</v></c>"])
def test_past_so_many_formula_errors_the_workbook_is_refused(cell, monkeypatch):
    """Each becomes an issue to show: millions of them would fill memory."""
    monkeypatch.setattr(scan, "MAX_ERRORS", 20)
    rows = b"".join(
        b'<row r="%d">' % n + (cell % n if b"%d" in cell else cell) + b"</row>"
        for n in range(1, 22)
    )
    for engine in (scan._ATTENTION, None):
        outcome, message = verdict(HEAD + rows + TAIL, engine)
        assert outcome == "refusé" and "plus de 20 cellules en erreur de formule" in message
    few = HEAD + rows[: rows.index(b'<row r="11">')] + TAIL
    parts = workbook_of([(b"S%d" % n, b'r:id="rId%d"' % n) for n in (1, 2, 3)])
    parts.update({f"xl/worksheets/sheet{n}.xml": few for n in (1, 2, 3)})  # 10 each: 30
    with pytest.raises(WorkbookError, match="plus de 20 cellules en erreur"):
        scan.scan_workbook(book_with(parts), "f.xlsx")


WORKSHEET = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def workbook_of(sheets: list[tuple[bytes, bytes]]) -> dict[str, bytes]:
    """workbook.xml and its relationships for sheets given as (name, <sheet> attributes)."""
    rels = b"".join(
        b'<Relationship Id="rId%d" Type="%s" Target="worksheets/sheet%d.xml"/>' % (n, WORKSHEET, n)
        for n in range(1, len(sheets) + 1)
    )
    tags = b"".join(b'<sheet name="%s" sheetId="1" %s/>' % sheet for sheet in sheets)
    return {
        "xl/workbook.xml": b'<workbook xmlns:r="urn:r" xmlns:x="urn:x"><sheets>'
        + tags
        + b"</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/relationships">' + rels + b"</Relationships>",
    }


def test_a_sheet_is_the_part_its_r_id_names_as_in_the_reader():
    """Another prefix's id does not count; the errors of the part the reader reads are the
    sheet's."""
    from python_calamine import CalamineWorkbook

    parts = workbook_of([(b"S", b'x:id="rId2" r:id="rId1"'), (b"T", b'r:id="rId2"')])
    parts["xl/worksheets/sheet1.xml"] = (
        HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>vrai</t></is></c></row>' + TAIL
    )
    parts["xl/worksheets/sheet2.xml"] = (
        HEAD + b'<row r="1"><c r="A1" t="e"><v>#N/A</v></c></row>' + TAIL
    )
    data = book_with(parts)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("S")
    assert sheet.to_python() == [["vrai"]]
    scans = scan.scan_workbook(data, "f.xlsx")
    assert (scans["S"].errors, scans["T"].errors) == ({}, {(0, 0): "#N/A"})


@pytest.mark.parametrize(
    "target, entry",
    [
        (b"media/s.xml", "xl/media/s.xml"),
        (b"MEDIA/S.XML", "xl/media/s.xml"),
        (b"/xl/drawings/s.png", "xl/drawings/s.png"),
        (b"/media/s.xml", "media/s.xml"),  # "/" is the archive's root
        (b"media/s.xml", "xl\\media\\s.xml"),
    ],
)
def test_a_sheet_is_scanned_wherever_it_is_kept(target, entry):
    """The reader reads a sheet wherever its relationship points, outside the sheet folders
    too: the scan follows it there, as the reader does."""
    parts = workbook_of([(b"S", b'r:id="rId1"')])
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"worksheets/sheet1.xml", target
    )
    parts[entry] = FAR_SHEET
    data = book_with(parts)
    assert reader_sheet_rows(data, "S") == 60_000  # what it would have cost
    with pytest.raises(WorkbookError, match="très loin"):
        scan.scan_workbook(data, "f.xlsx")


def reader_sheet_rows(data: bytes, name: str) -> int:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(name)
    return (sheet.start or (0, 0))[0] + sheet.height


def test_of_two_sheets_of_one_name_both_are_scanned():
    """The reader reads the first; workbook.xml could send the scan to the second."""
    parts = workbook_of([(b"S", b'r:id="rId1"'), (b"S", b'r:id="rId2"')])
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"worksheets/sheet1.xml", b"media/s.xml"
    )
    parts["xl/media/s.xml"] = FAR_SHEET
    parts["xl/worksheets/sheet2.xml"] = HEAD + TAIL
    data = book_with(parts)
    assert reader_sheet_rows(data, "S") == 60_000
    with pytest.raises(WorkbookError, match="très loin"):
        scan.scan_workbook(data, "f.xlsx")


def test_a_part_named_as_a_sheet_folder_is_scanned():
    """The reader stops reading the relationships at the first </…:Relationships>: it may
    read as a sheet a part the scan's parser sees no pointer to. "xl/worksheets" is a path
    it takes."""
    rels = (
        b'<Relationships xmlns="urn:r"><Relationship Id="rId1" Type="%s" Target="worksheets"/>'
        b'<x:Relationships xmlns:x="urn:x"/>'
        b'<Relationship Id="rId1" Type="%s" Target="nothing.xml"/></Relationships>'
    ) % (WORKSHEET, WORKSHEET)
    parts = workbook_of([(b"S", b'r:id="rId1"')])
    parts.update({"xl/_rels/workbook.xml.rels": rels, "xl/worksheets": FAR_SHEET})
    data = book_with(parts)
    assert reader_sheet_rows(data, "S") == 60_000
    with pytest.raises(WorkbookError, match="très loin"):
        scan.scan_workbook(data, "f.xlsx")


def test_an_id_given_twice_sends_the_scan_to_both_targets():
    rels = (
        b'<Relationships xmlns="urn:r"><Relationship Id="rId1" Type="%s" Target="media/a.xml"/>'
        b'<Relationship Id="rId1" Type="%s" Target="media/b.xml"/></Relationships>'
    ) % (WORKSHEET, WORKSHEET)
    parts = workbook_of([(b"S", b'r:id="rId1"')])
    parts.update({"xl/_rels/workbook.xml.rels": rels, "xl/media/b.xml": HEAD + TAIL})
    parts["xl/media/a.xml"] = FAR_SHEET
    with pytest.raises(WorkbookError, match="très loin"):
        scan.scan_workbook(book_with(parts), "f.xlsx")


def test_a_part_many_sheets_name_is_scanned_once(monkeypatch):
    """A thousand names for one 10 MB part cost one scan, not a thousand."""
    calls = []
    real = scan._scan_part
    monkeypatch.setattr(scan, "_scan_part", lambda *args: calls.append(args[1]) or real(*args))
    parts = workbook_of([(b"S%d" % n, b'r:id="rId1"') for n in range(300)])
    parts["xl/worksheets/sheet1.xml"] = (
        HEAD + b'<row r="2"><c r="B2" t="e"><v>#N/A</v></c></row>' + TAIL
    )
    scans = scan.scan_workbook(book_with(parts), "f.xlsx")
    assert calls == ["xl/worksheets/sheet1.xml"]
    assert len(scans) == 300 and all(s.errors == {(1, 1): "#N/A"} for s in scans.values())


def with_zip64_trailer(data: bytes, *, plain_says: str = "zip64", shift: int = 0) -> bytes:
    """``data`` (a zip with no comment) with a zip64 end record and locator before its end
    record. ``plain_says``: "zip64" (the end record's fields say 0xFFFF, as zip64 asks) or
    "other" (they keep their values while the zip64 record lists ``shift`` bytes further,
    which Python follows and the other library does not)."""
    import struct

    eocd = data[-22:]
    _, _, _, on_disk, count, size, offset, _ = struct.unpack("<4sHHHHIIH", eocd)
    body = data[:-22]
    record_at = len(body)
    record = struct.pack(
        "<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, on_disk, count, size, offset + shift
    )
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, record_at, 1)
    if plain_says == "zip64":
        eocd = struct.pack(
            "<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0
        )
    # the directory now ends at the zip64 record, where it ended at the end record
    return body + record + locator + eocd


PLAIN_ZIP = book_of(HEAD + TAIL)
ODD_ZIPS = {
    "commentaire au-delà de la fin": PLAIN_ZIP[:-2] + b"\x10\x00",
    "données après la fin": PLAIN_ZIP + b"\x00" * 64,
    "données avant le début": b"PK\x03\x04" + b"\x00" * 60 + PLAIN_ZIP,
    "zip64 qui dit autre chose": with_zip64_trailer(PLAIN_ZIP, plain_says="other", shift=7),
    "zip64 réclamé absent": PLAIN_ZIP[:-6] + b"\xff\xff\xff\xff" + PLAIN_ZIP[-2:],
}


def test_a_zip64_trailer_read_one_way_is_accepted():
    from python_calamine import CalamineWorkbook

    zip64 = with_zip64_trailer(PLAIN_ZIP)
    names = zipfile.ZipFile(io.BytesIO(zip64)).namelist()
    assert names == zipfile.ZipFile(io.BytesIO(PLAIN_ZIP)).namelist()
    assert CalamineWorkbook.from_filelike(io.BytesIO(zip64)).sheet_names == ["S"]
    assert scan.check_xlsx_container(zip64, "f.xlsx") is None
    assert scan.check_xlsx_container(PLAIN_ZIP, "f.xlsx") is None


@pytest.mark.parametrize("form", ODD_ZIPS)
def test_a_zip_two_libraries_could_read_two_ways_is_refused(form):
    """Python's zipfile and the reader's zip library must see one central directory: else
    the scan checks one list of parts and the reader reads another (helper 16 built three
    such files, each with a far sheet only the reader saw)."""
    with pytest.raises(WorkbookError, match="archive anormale \\(sommaire ambigu"):
        scan.check_xlsx_container(ODD_ZIPS[form], "f.xlsx")


def test_two_cells_far_apart_cost_the_reader_a_bounded_rectangle(monkeypatch):
    """The reader allocates every cell of the rectangle up to the furthest one: A1 and
    ALL49999 cost it 2 GB, so the columns stop at ET, and a workbook's rectangles at 12
    million cells in all."""
    from sofi_bulk.excel import reader

    corner = (
        HEAD + b'<row r="1"><c r="A1"><v>1</v></c></row>'
        b'<row r="49999"><c r="ET49999"><v>1</v></c></row>' + TAIL
    )
    assert reader_grid(corner) == (49_999, 150)
    wide = corner.replace(b"ET49999", b"EU49999")
    for engine in (scan._ATTENTION, None):
        outcome, message = verdict(wide, engine)
        assert outcome == "refusé" and "colonne ET" in message
    parts = workbook_of([(b"S%d" % n, b'r:id="rId%d"' % n) for n in (1, 2)])
    parts.update({f"xl/worksheets/sheet{n}.xml": corner for n in (1, 2)})
    book = reader.read_workbook(book_with({**parts, "xl/worksheets/sheet2.xml": HEAD + TAIL}))
    assert len(book.sheets["S1"]) == 49_999
    monkeypatch.setattr(reader, "MAX_CELLS", 10_000_000)
    with pytest.raises(WorkbookError, match="feuille « S2 » : classeur démesuré"):
        reader.read_workbook(book_with(parts))


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "XL/Styles.xml"])
def test_a_part_the_reader_keeps_whole_is_bounded(part):
    """Millions of tiny shared strings would cost the reader gigabytes: 64 MB of them (10
    times what 49 000 sessions need) at most, 16 MB of styles."""
    import random

    rng = random.Random(7)  # not too compressible: within the ratio check
    words = b"".join(b"<si><t>%08x</t></si>" % rng.getrandbits(32) for _ in range(900_000))
    big = b'<sst xmlns="urn:s">' + words * 4 + b"</sst>"  # 72 MB
    data = book_with({"xl/worksheets/sheet1.xml": HEAD + TAIL, part: big})
    with pytest.raises(WorkbookError, match="partie démesurée"):
        scan.check_xlsx_container(data, "f.xlsx")
    small = book_with({"xl/worksheets/sheet1.xml": HEAD + TAIL, part: big[:1_000_000] + b"</sst>"})
    assert scan.check_xlsx_container(small, "f.xlsx") is None
