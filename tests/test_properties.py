"""Property-based tests: whatever a cell holds, every parser gives a value or a CellError,
never another exception; text in is text out; and the workbook writer stores any text so
that it reads back the same, never as a formula."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from sofi_bulk.core.fields import FIELDS, Kind
from sofi_bulk.core.parse import (
    CellError,
    parse_date,
    parse_email,
    parse_number,
    parse_scalar,
    parse_time,
    parse_url,
)
from sofi_bulk.core.values import FormulaError
from sofi_bulk.excel.values import put

# what a reader can hand over: text (typed, pasted, with control characters), numbers
# (NaN, infinities, huge), booleans, dates, times, formula errors
cell_values = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
    st.from_regex(r"[0-9 ,.\-/:h€%]{1,14}", fullmatch=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.datetimes(),
    st.times(),
    st.sampled_from([FormulaError("#DIV/0!"), FormulaError("#N/A")]),
)
ONE_FIELD_PER_KIND = {f.kind: f for f in reversed(FIELDS)}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(raw=cell_values, kind=st.sampled_from(sorted(ONE_FIELD_PER_KIND, key=str)))
def test_every_field_kind_gives_a_value_or_a_cell_error(raw, kind):
    fld = ONE_FIELD_PER_KIND[kind]
    try:
        parse_scalar(fld, raw)
    except CellError as err:
        assert err.code  # an issue code the checks can report


@FAST
@given(raw=cell_values)
def test_every_value_parser_gives_a_value_or_a_cell_error(raw):
    url_field = next(f for f in FIELDS if f.kind is Kind.URL)
    email_field = next(f for f in FIELDS if f.kind is Kind.EMAIL)
    for parse in (
        parse_number,
        parse_date,
        parse_time,
        lambda r: parse_email(r, email_field),
        lambda r: parse_url(r, url_field),
    ):
        with contextlib.suppress(CellError):
            parse(raw)


@FAST
@given(text=st.text(max_size=200))
def test_text_in_is_text_out(text):
    long_text = next(f for f in FIELDS if f.kind is Kind.LONGTEXT and f.max_length == 3000)
    try:
        out = parse_scalar(long_text, text)
    except CellError as err:
        assert err.code in ("caracteres-invalides", "texte-trop-long")
    else:
        assert isinstance(out, str) and out.strip() == out


texts = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"),
    max_size=80,
)


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            texts,
            st.sampled_from(
                ["=1+1", "+cmd", "-2", "@SUM(1)", "_x0041_", "a_x005F_x0001_b", "\x01", "\r\n"]
            ),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_the_writer_stores_any_text_as_text_that_reads_back_the_same(values):
    book = Workbook()
    ws = book.active
    for i, value in enumerate(values, start=1):
        put(ws.cell(row=i, column=1), value)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet  # no formula, whatever the text
    buffer.seek(0)
    rows = (
        CalamineWorkbook.from_filelike(buffer)
        .get_sheet_by_index(0)
        .to_python(skip_empty_area=False)
    )
    read = [row[0] if row else "" for row in rows]
    read += [""] * (len(values) - len(read))  # an empty text is an empty cell
    assert read == values
