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
    "colonne-all": b'<row r="7"><c r="ALL7"><v>1</v></c></row>',
    "colonne-alm": b'<row r="7"><c r="ALM7"><v>1</v></c></row>',
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
            found = scan._scan_part(archive, "xl/worksheets/sheet1.xml", scan.SheetScan("S"), "f")
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
    for form in ("loin", "deux-references", "minuscules", "prefixe", "ligne-50000", "colonne-alm"):
        outcome, message = verdict(HEAD + FORMS[form] + TAIL, scan._ATTENTION)
        assert outcome == "refusé" and "très loin" in str(message), form
    for form in ("loin-vide", "ligne-49999", "colonne-all", "minuscules-proches", "zeros-proches"):
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
        assert outcome == "refusé" and "balise de cellule illisible" in str(message)


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
def test_a_prefix_too_long_to_see_is_refused(name_length, chunk):
    """A "<" further back than the scan looks must not hide a cell: such a name is
    refused, whatever the chunk it falls across."""
    name = b"x" * name_length
    cell = b"<" + name + b":c><v>1</v></" + name + b":c></row>"
    xml = HEAD + b'<row r="60000">' + b" " * 3000 + cell
    xml += b'<row r="2"><c r="A2"><v>1</v></c></row>' * 400 + TAIL
    saved = scan.CHUNK
    scan.CHUNK = chunk
    try:
        for engine in (scan._ATTENTION, None):
            outcome, message = verdict(xml, engine)
            assert outcome == "refusé" and "illisible" in str(message), (engine, message)
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
    monkeypatch.setattr(scan, "MAX_STOPS", 50)
    monkeypatch.setattr(scan, "ALARM_BUDGET", 10)
    under = HEAD + b'<row r="1">' + piece * 20 + b"</row>" + TAIL
    over = HEAD + b'<row r="1">' + piece * 60 + b"</row>" + TAIL
    for engine in (scan._ATTENTION, None):
        assert verdict(under, engine)[0] == "ok"
        outcome, message = verdict(over, engine)
        assert outcome == "refusé" and "plus de 50 balises à examiner" in str(message)
