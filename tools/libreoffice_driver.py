#!/usr/bin/python3
"""UNO driver for LibreOffice Calc, run with Debian's /usr/bin/python3 (python3-uno).

A tool, not a test and not part of the installed package: the project venv has no
``uno`` module, so ``tests/lo/__init__.py`` (the tests' client) runs this script as a
subprocess; it can also be run by hand in script mode (below).

It starts one private, headless ``soffice.bin`` (fresh profile directory, fr-FR
locale, no file locking), connects to it over a named pipe, then serves
requests.

Protocol (persistent mode, the default): one JSON object per line on stdin,
``{"id": 1, "op": "open", "args": {...}}``; one JSON object per line on stdout,
``{"id": 1, "ok": true, "result": ...}`` or
``{"id": 1, "ok": false, "error": "...", "error_type": "...", "traceback": "..."}``.
The first line written (id 0) is a greeting with the soffice pid and timings.
EOF on stdin, the ``quit`` op or SIGTERM close LibreOffice and delete the profile.

Script mode: ``libreoffice_driver.py --script FILE`` (``-`` for stdin) reads a JSON list of
``{"op": ..., "args": ...}`` objects, runs them in order and prints a JSON list
of results. Open documents are addressed by the handle returned by ``open``;
in script mode ``"doc": "$last"`` means the most recently opened document.
"""

import argparse
import contextlib
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import uno  # noqa: E402  (python3-uno)
from com.sun.star.beans import PropertyValue  # noqa: E402
from com.sun.star.connection import NoConnectException  # noqa: E402

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

XLSX_FILTER = "Calc MS Excel 2007 XML"
PDF_FILTER = "calc_pdf_Export"
SCRATCH_SHEET = "__lo_driver_scratch__"
SEP = "\x01"  # joins values computed in a scratch cell

# com.sun.star.util.NumberFormat flags
NF_DATE = 2
NF_TIME = 4
# com.sun.star.sheet.ReferenceFlags
REF_SHEET_RELATIVE = 16
REF_SHEET_3D = 64
# com.sun.star.sheet.CellFlags: VALUE|DATETIME|STRING|FORMULA
CONTENT_FLAGS = 1 | 2 | 4 | 16
# com.sun.star.sheet.CellFlags: VALUE|DATETIME|STRING|ANNOTATION|FORMULA|HARDATTR|STYLES|OBJECTS|
# EDITATTR|FORMATTED
CLEAR_ALL = 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 | 256 | 512
# LibreOffice's detective draws at most this many circles (SC_DET_MAXCIRCLE).
MAX_CIRCLES = 1000
# Layer of detective objects (SC_LAYER_INTERN).
DETECTIVE_LAYER_ID = 2

_REGISTRY_ITEMS = [  # (configuration path, property, value) of the private profile
    ("/org.openoffice.Setup/L10N", "ooSetupSystemLocale", "{locale}"),
    ("/org.openoffice.Setup/L10N", "ooLocale", "{locale}"),
    ("/org.openoffice.Office.Linguistic/General", "DefaultLocale", "{locale}"),
    ("/org.openoffice.Office.Common/Misc", "UseLocking", "false"),
    ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
    ("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay", "false"),
    ("/org.openoffice.Office.Recovery/AutoSave", "Enabled", "false"),
    ("/org.openoffice.Office.Recovery/RecoveryInfo", "Enabled", "false"),
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
]
_NAMESPACES = (
    'xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
REGISTRY_TEMPLATE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f"<oor:items {_NAMESPACES}>\n"
    + "".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse">'
        f"<value>{value}</value></prop></item>\n"
        for path, name, value in _REGISTRY_ITEMS
    )
    + "</oor:items>\n"
)


class DriverError(Exception):
    """An error meant for the caller (no traceback needed)."""


class AlertError(DriverError):
    """An entry rejected by the cell's validity error alert."""

    def __init__(self, message, details):
        super().__init__(message)
        self.details = details


def log(*parts):
    print("[lo-driver]", *parts, file=sys.stderr, flush=True)


def pv(name, value):
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


# ---------------------------------------------------------------------------
# A1 helpers
# ---------------------------------------------------------------------------


def col_letters(col):
    """0-based column index -> letters (0 -> A)."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def a1(col, row):
    return f"{col_letters(col)}{row + 1}"


def addr_a1(address):
    """com.sun.star.table.CellAddress -> 'C2'."""
    return a1(address.Column, address.Row)


# ---------------------------------------------------------------------------
# soffice process
# ---------------------------------------------------------------------------


def find_soffice_bin():
    override = os.environ.get("LO_SOFFICE")
    if override:
        return override
    candidates = []
    which = shutil.which("soffice")
    if which:
        candidates.append(os.path.join(os.path.dirname(os.path.realpath(which)), "soffice.bin"))
    candidates.append("/usr/lib/libreoffice/program/soffice.bin")
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    if which:
        return which
    raise DriverError(
        "LibreOffice (soffice) not found; install the Debian packages libreoffice-calc and "
        "python3-uno"
    )


class Office:
    """One private soffice process plus the UNO connection to it."""

    def __init__(self, locale, start_timeout):
        self.locale = locale
        self.start_timeout = start_timeout
        self.proc = None
        self.profile = None
        self.ctx = None
        self.smgr = None
        self.desktop = None
        self.dispatcher = None
        self.docs = {}
        self.next_doc = 1
        self.startup_s = None
        self.version = None

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        t0 = time.monotonic()
        binary = find_soffice_bin()
        self.profile = tempfile.mkdtemp(prefix="lo-driver-profile-")
        user = os.path.join(self.profile, "user")
        os.makedirs(user)
        with open(os.path.join(user, "registrymodifications.xcu"), "w", encoding="utf-8") as fh:
            fh.write(REGISTRY_TEMPLATE.format(locale=self.locale))
        pipe = f"lo_driver_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
        cmd = [
            binary,
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
            "-env:UserInstallation=" + uno.systemPathToFileUrl(self.profile),
        ]
        env = dict(os.environ)
        env.setdefault("SAL_USE_VCLPLUGIN", "svp")
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"
        deadline = t0 + self.start_timeout
        restarts = 0
        self.proc = self._spawn(cmd, env)
        while True:
            try:
                self.ctx = resolver.resolve(url)
                break
            except NoConnectException:
                pass
            rc = self.proc.poll()
            if rc is not None:
                # soffice.bin exits with 81 after initialising a fresh profile
                # and expects to be restarted (oosplash normally does this).
                if rc == 81 and restarts < 3:
                    restarts += 1
                    self.proc = self._spawn(cmd, env)
                    continue
                raise DriverError(f"soffice exited with code {rc} during start-up")
            if time.monotonic() > deadline:
                raise DriverError(
                    f"soffice did not accept a connection within {self.start_timeout:.0f} s"
                )
            time.sleep(0.05)
        self.smgr = self.ctx.ServiceManager
        self.desktop = self.smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
        self.dispatcher = self.smgr.createInstanceWithContext(
            "com.sun.star.frame.DispatchHelper", self.ctx
        )
        try:
            cp = self.smgr.createInstanceWithContext(
                "com.sun.star.configuration.ConfigurationProvider", self.ctx
            )
            node = cp.createInstanceWithArguments(
                "com.sun.star.configuration.ConfigurationAccess",
                (pv("nodepath", "/org.openoffice.Setup/Product"),),
            )
            self.version = node.getByName("ooSetupVersionAboutBox")
            node = cp.createInstanceWithArguments(
                "com.sun.star.configuration.ConfigurationAccess",
                (pv("nodepath", "/org.openoffice.Setup/L10N"),),
            )
            configured = node.getByName("ooSetupSystemLocale")
            if configured != self.locale:
                raise DriverError(f"profile locale not applied: {configured!r}")
        except DriverError:
            raise
        except Exception as exc:  # version is informative only
            log("could not read configuration:", exc)
        self.startup_s = time.monotonic() - t0

    @staticmethod
    def _spawn(cmd, env):
        # Own session: soffice gets its own process group, so that it can be
        # stopped (by our pid / our group id) without touching anything else.
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr.fileno(),
            stderr=sys.stderr.fileno(),
            env=env,
            start_new_session=True,
        )

    def stop(self):
        for handle in list(self.docs):
            with contextlib.suppress(Exception):
                self.docs.pop(handle).close(True)
        if self.desktop is not None:
            # The bridge dies with the process: DisposedException etc.
            with contextlib.suppress(Exception):
                self.desktop.terminate()
            self.desktop = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log("soffice did not exit, killing pid", self.proc.pid)
                self.proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=10)
            # Children of soffice (if any) live in its process group.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc = None
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    # -- documents ---------------------------------------------------------

    def doc(self, handle):
        try:
            return self.docs[handle]
        except KeyError:
            raise DriverError(f"unknown document handle {handle!r}") from None


# ---------------------------------------------------------------------------
# Cell / sheet helpers
# ---------------------------------------------------------------------------


def get_sheet(doc, sheet):
    sheets = doc.Sheets
    if isinstance(sheet, int):
        if not 0 <= sheet < sheets.Count:
            raise DriverError(f"no sheet at index {sheet}")
        return sheets.getByIndex(sheet)
    if not sheets.hasByName(sheet):
        raise DriverError(
            "no sheet named {!r} (sheets: {})".format(sheet, ", ".join(sheets.ElementNames))
        )
    return sheets.getByName(sheet)


def get_cell(sheet_obj, ref):
    ref = ref.replace("$", "").strip()
    if not re.fullmatch(r"[A-Za-z]{1,3}[0-9]{1,7}", ref):
        raise DriverError(f"expected a single cell reference like 'B3', got {ref!r}")
    try:
        return sheet_obj.getCellRangeByName(ref.upper())
    except Exception:
        raise DriverError(f"invalid cell reference {ref!r}") from None


def null_date(doc):
    nd = doc.NullDate
    return datetime.datetime(nd.Year, nd.Month, nd.Day)


def serial_to_datetime(doc, value):
    return null_date(doc) + datetime.timedelta(days=value)


def number_format_info(doc, key):
    try:
        fmt = doc.NumberFormats.getByKey(key)
        return fmt.FormatString, fmt.Type
    except Exception:
        return None, 0


def cell_info(doc, cell):
    ctype = cell.Type.value  # EMPTY / VALUE / TEXT / FORMULA
    fmt_string, fmt_type = number_format_info(doc, cell.NumberFormat)
    info = {
        "address": addr_a1(cell.CellAddress),
        "type": ctype,
        "value": None,
        "string": cell.getString(),
        "formula": None,
        "input": None,
        "format": fmt_string,
        "date": None,
        "datetime": None,
        "error": None,
    }
    numeric = False
    if ctype == "VALUE":
        info["value"] = cell.getValue()
        numeric = True
    elif ctype == "TEXT":
        info["value"] = cell.getString()
    elif ctype == "FORMULA":
        info["formula"] = cell.getFormula()
        err = cell.getError()
        if err:
            info["error"] = err
            info["value"] = None
        else:
            rtype = (
                cell.FormulaResultType2
            )  # com.sun.star.sheet.FormulaResult: VALUE=1, STRING=2, ERROR=4
            if rtype == 1:
                info["value"] = cell.getValue()
                numeric = True
            else:
                info["value"] = cell.getString()
        info["result_type"] = {1: "VALUE", 2: "TEXT", 4: "ERROR"}.get(cell.FormulaResultType2, "?")
    if ctype != "EMPTY":
        # What the input line shows (locale syntax).
        with contextlib.suppress(Exception):
            info["input"] = cell.FormulaLocal
    if numeric and fmt_type & (NF_DATE | NF_TIME):
        try:
            dt = serial_to_datetime(doc, info["value"])
            info["datetime"] = dt.isoformat(timespec="seconds")
            if fmt_type & NF_DATE:
                info["date"] = dt.date().isoformat()
        except (OverflowError, ValueError):
            pass
    return info


def rgb_hex(color):
    if color is None or color < 0:
        return None
    return "#%06X" % (color & 0xFFFFFF)


# ---------------------------------------------------------------------------
# Typing through Calc's input path
# ---------------------------------------------------------------------------


def enter_string(office, doc, sheet_obj, cell, text):
    """Enter ``text`` in ``cell`` the way typing + Enter does (locale-aware).

    Uses the view: select the cell and dispatch .uno:EnterString, which runs
    ScViewFunc::EnterData (number/date recognition with the document locale,
    formulas compiled in the UI grammar). Falls back to the FormulaLocal
    property (same parser, without the view) when the document has no view.
    Returns the method used.
    """
    if sheet_obj.isProtected():
        prot = cell.CellProtection
        if prot.IsLocked:
            raise DriverError(
                f"cell {addr_a1(cell.CellAddress)} is protected (sheet {sheet_obj.Name} is "
                "protected)"
            )
    ctrl = doc.getCurrentController()
    frame = ctrl.getFrame() if ctrl is not None else None
    if ctrl is None or frame is None:
        cell.FormulaLocal = text
        return "FormulaLocal"
    prev_active = ctrl.getActiveSheet()
    was_hidden = not sheet_obj.IsVisible
    try:
        if was_hidden:
            sheet_obj.IsVisible = True  # a hidden sheet cannot be the active sheet
        if prev_active is None or prev_active.Name != sheet_obj.Name:
            ctrl.setActiveSheet(sheet_obj)
        ctrl.select(cell)
        sel = ctrl.getSelection()
        sel_addr = getattr(sel, "CellAddress", None)
        target = cell.CellAddress
        if (
            sel_addr is None
            or sel_addr.Sheet != target.Sheet
            or sel_addr.Column != target.Column
            or sel_addr.Row != target.Row
        ):
            raise DriverError(f"could not select {sheet_obj.Name}.{addr_a1(target)} in the view")
        office.dispatcher.executeDispatch(
            frame, ".uno:EnterString", "", 0, (pv("StringName", text),)
        )
    finally:
        if prev_active is not None and prev_active.Name != sheet_obj.Name:
            ctrl.setActiveSheet(prev_active)
        if was_hidden:
            sheet_obj.IsVisible = False
    return "dispatch"


def apply_alert(office, doc, sheet_obj, cell):
    """Emulate Calc's validity error alert after an entry.

    EnterString does not run the alert (the input handler does, on Enter), and
    under --headless any message box is answered "Cancel", which rejects the
    entry for every alert style. So: if the cell's rule shows an error message
    and the Detective finds the new content invalid, undo the entry and report
    the rejection. Returns None when accepted, else the alert details.
    """
    val = cell.Validation
    if val.Type.value == "ANY" or not val.ShowErrorMessage:
        return None
    target = cell.CellAddress
    res = invalid_cells(doc, sheet_obj, include_empty=True)
    if a1(target.Column, target.Row) not in res["cells"]:
        if res["limit_reached"]:
            raise DriverError("cannot check the alert: more than 1000 invalid cells on the sheet")
        return None
    doc.getUndoManager().undo()  # the entry is the last undo action
    return {
        "error_style": val.ErrorAlertStyle.value,
        "error_title": val.ErrorTitle,
        "error_message": val.ErrorMessage,
    }


# ---------------------------------------------------------------------------
# Validation lists
# ---------------------------------------------------------------------------

_INLINE_ITEM = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))\s*')


def parse_inline_list(formula):
    """'"a";"b";3' -> ['a', 'b', '3'] ; None if not a plain constant list."""
    items = []
    pos = 0
    n = len(formula)
    while True:
        m = _INLINE_ITEM.match(formula, pos)
        if not m:
            return None
        if m.group(1) is not None:
            items.append(("s", m.group(1).replace('""', '"')))
        else:
            items.append(("n", m.group(2)))
        pos = m.end()
        if pos == n:
            return items
        if formula[pos] != ";":
            return None
        pos += 1


def format_inline_number(text, decimal_sep):
    value = float(text)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value).replace(".", decimal_sep)


def validation_info(cell):
    val = cell.Validation
    vtype = val.Type.value
    src = val.getSourcePosition()
    info = {
        "type": vtype,
        "operator": val.getOperator().value,
        "formula1": val.getFormula1(),
        "formula2": val.getFormula2(),
        "source": addr_a1(src),
        "allow_blank": bool(val.IgnoreBlankCells),
        "show_list": int(val.ShowList),
        "show_error": bool(val.ShowErrorMessage),
        "error_style": val.ErrorAlertStyle.value,
        "error_title": val.ErrorTitle,
        "error_message": val.ErrorMessage,
        "show_input": bool(val.ShowInputMessage),
        "input_title": val.InputTitle,
        "input_message": val.InputMessage,
    }
    return val, info


def formula_for_cell(doc, val, cell, scratch_sheet_index):
    """Formula1 of ``val`` (stored relative to its source position) rewritten
    for ``cell``, as text to evaluate in a scratch cell.

    Relative rows/columns are resolved for ``cell``. Sheet references are made
    absolute and the text is printed as seen from the scratch sheet, so a
    reference to the target's own sheet keeps its sheet name when the scratch
    cell lives on another (temporary) sheet.
    """
    parser = doc.createInstance("com.sun.star.sheet.FormulaParser")
    parser.CompileEnglish = True
    # The formula belongs to the cell's sheet; SourcePosition.Sheet is not
    # reliable for documents imported from xlsx (it may name another sheet).
    src = val.getSourcePosition()
    src.Sheet = cell.CellAddress.Sheet
    tokens = list(parser.parseFormula(val.getFormula1(), src))

    def absolute_sheet(ref):
        if ref.Flags & REF_SHEET_RELATIVE:
            ref.Sheet = src.Sheet + ref.RelativeSheet
            ref.RelativeSheet = 0
            ref.Flags &= ~REF_SHEET_RELATIVE
        ref.Flags |= REF_SHEET_3D
        return ref

    for tok in tokens:
        data = tok.Data
        if data is None:
            continue
        name = type(data).__name__
        if name.endswith("SingleReference"):
            tok.Data = absolute_sheet(data)
        elif name.endswith("ComplexReference"):
            data.Reference1 = absolute_sheet(data.Reference1)
            data.Reference2 = absolute_sheet(data.Reference2)
            tok.Data = data
    target = cell.CellAddress
    pos = uno.createUnoStruct("com.sun.star.table.CellAddress")
    pos.Sheet = scratch_sheet_index
    pos.Column = target.Column
    pos.Row = target.Row
    return parser.printFormula(tuple(tokens), pos)


@contextlib.contextmanager
def undo_locked(doc):
    """Keep the helper's own changes (Detective marks, scratch cells) off the
    document's undo stack."""
    undo = doc.getUndoManager()
    undo.lock()
    try:
        yield
    finally:
        undo.unlock()


class Scratch:
    """A temporary cell used to evaluate formulas, removed on exit.

    Placed in the last column of the target's row on the same sheet, or on a
    temporary sheet appended at the end when the sheet is protected. The
    document's modified flag is restored afterwards.
    """

    def __init__(self, doc, sheet_obj, row):
        self.doc = doc
        self.sheet = sheet_obj
        self.row = row
        self.temp_sheet = False
        self.cell = None
        self.modified = None

    def __enter__(self):
        self.modified = self.doc.isModified()
        self.undo = self.doc.getUndoManager()
        self.undo.lock()
        try:
            target = self.sheet
            if target.isProtected():
                sheets = self.doc.Sheets
                sheets.insertNewByName(SCRATCH_SHEET, sheets.Count)
                target = sheets.getByName(SCRATCH_SHEET)
                self.temp_sheet = True
            self.sheet_index = target.RangeAddress.Sheet
            cell = target.getCellByPosition(target.Columns.Count - 1, self.row)
            if cell.Type.value != "EMPTY":
                raise DriverError(f"scratch cell {addr_a1(cell.CellAddress)} is not empty")
            self.cell = cell
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def value(self, formula, array=False):
        """(string result, error code) of ``formula`` (API syntax, no '=')."""
        if array:
            rng = self.cell.getSpreadsheet().getCellRangeByPosition(
                self.cell.CellAddress.Column, self.row, self.cell.CellAddress.Column, self.row
            )
            rng.setArrayFormula("=" + formula)
        else:
            self.cell.setFormula("=" + formula)
        err = self.cell.getError()
        out = self.cell.getString()
        self.cell.getSpreadsheet().getCellRangeByPosition(
            self.cell.CellAddress.Column, self.row, self.cell.CellAddress.Column, self.row
        ).clearContents(CLEAR_ALL)
        return out, err

    def __exit__(self, *exc):
        try:
            if self.temp_sheet:
                self.doc.Sheets.removeByName(SCRATCH_SHEET)
            elif self.cell is not None:  # only set once known to be empty
                addr = self.cell.CellAddress
                self.sheet.getCellRangeByPosition(
                    addr.Column, addr.Row, addr.Column, addr.Row
                ).clearContents(CLEAR_ALL)
        finally:
            if self.modified is not None and not self.modified:
                self.doc.setModified(False)
            self.undo.unlock()
        return False


def range_entries(doc, rng):
    """Strings LibreOffice lists for the cells of ``rng``: row by row, empty
    cells (and formulas giving "") skipped."""
    found = []
    # Only non-empty cells: whole-column sources stay cheap.
    content = rng.queryContentCells(CONTENT_FLAGS)
    for block in content.getRangeAddresses():
        sub = rng.getSpreadsheet().getCellRangeByPosition(
            block.StartColumn, block.StartRow, block.EndColumn, block.EndRow
        )
        for r, row in enumerate(sub.getDataArray()):
            for c, value in enumerate(row):
                if isinstance(value, str):
                    text = value
                else:
                    one = sub.getCellByPosition(c, r)
                    # LibreOffice lists numbers of a range with their input-line
                    # form (a date as 04/03/2025, 12.5 as 12,5); for a formula,
                    # its result as displayed.
                    text = one.FormulaLocal if one.Type.value == "VALUE" else one.getString()
                if text != "":
                    found.append((block.StartRow + r, block.StartColumn + c, text))
    found.sort()
    return [text for _, _, text in found]


def list_entries(office, doc, sheet_obj, cell):
    """Dropdown entries LibreOffice computes for ``cell`` (LIST validation)."""
    val, info = validation_info(cell)
    if info["type"] != "LIST":
        raise DriverError(
            "cell {}.{} has no list validation (type {})".format(
                sheet_obj.Name, addr_a1(cell.CellAddress), info["type"]
            )
        )
    formula1 = val.getFormula1()
    inline = parse_inline_list(formula1)
    if inline is not None:
        # Constant list: entries as written ("a";"b"); numbers in locale form.
        dec = "," if office.locale.split("-")[0] in DECIMAL_COMMA_LANGS else "."
        return {
            "entries": [v if kind == "s" else format_inline_number(v, dec) for kind, v in inline],
            "kind": "inline",
            "formula": formula1,
        }
    with Scratch(doc, sheet_obj, cell.CellAddress.Row) as scratch:
        formula = formula_for_cell(doc, val, cell, scratch.sheet_index)
        probe = (
            'SHEET({f})&"{s}"&ROW(INDEX({f};1;1))&"{s}"&COLUMN(INDEX({f};1;1))&"{s}"'
            '&ROWS({f})&"{s}"&COLUMNS({f})'
        )
        text, err = scratch.value(probe.format(f=formula, s=SEP))
        if not err:
            tab, row, col, nrows, ncols = (int(float(x)) for x in text.split(SEP))
            target_sheet = doc.Sheets.getByIndex(tab - 1)
            rng = target_sheet.getCellRangeByPosition(
                col - 1, row - 1, col - 1 + ncols - 1, row - 1 + nrows - 1
            )
            return {
                "entries": range_entries(doc, rng),
                "kind": "range",
                "formula": formula,
                "range": (
                    f"{target_sheet.Name}.{a1(col - 1, row - 1)}:"
                    f"{a1(col + ncols - 2, row + nrows - 2)}"
                ),
            }
        # Not a reference: evaluate as an array and join the values.
        text, err2 = scratch.value(f'TEXTJOIN("{SEP}";0;{formula})', array=True)
        if err2:
            # LibreOffice shows no usable entries when the formula fails
            # (e.g. INDIRECT on an unknown name while the parent cell is empty).
            return {"entries": [], "kind": "error", "formula": formula, "error": err2}
        return {
            "entries": [x for x in text.split(SEP) if x != ""],
            "kind": "array",
            "formula": formula,
        }


DECIMAL_COMMA_LANGS = {
    "fr",
    "de",
    "es",
    "it",
    "pt",
    "nl",
    "pl",
    "ru",
    "sv",
    "da",
    "nb",
    "fi",
    "cs",
    "tr",
}


# ---------------------------------------------------------------------------
# Detective
# ---------------------------------------------------------------------------


def invalid_cells(doc, sheet_obj, include_empty=True, keep_marks=False):
    with undo_locked(doc):
        return _invalid_cells(doc, sheet_obj, include_empty, keep_marks)


def _invalid_cells(doc, sheet_obj, include_empty, keep_marks):
    modified = doc.isModified()
    sheet_obj.clearArrows()
    sheet_obj.showInvalid()
    page = sheet_obj.DrawPage
    found = {}
    circles = 0
    try:
        for i in range(page.Count):
            shape = page.getByIndex(i)
            if shape.ShapeType != "com.sun.star.drawing.EllipseShape":
                continue
            if shape.LayerID != DETECTIVE_LAYER_ID:
                continue
            circles += 1
            anchor = shape.Anchor
            addr = getattr(anchor, "CellAddress", None)
            if addr is None:
                raise DriverError("detective circle not anchored to a cell")
            if not include_empty and anchor.Type.value == "EMPTY":
                continue
            found[(addr.Row, addr.Column)] = a1(addr.Column, addr.Row)
    finally:
        if not keep_marks:
            sheet_obj.clearArrows()
            if not modified:
                doc.setModified(False)
    return {
        "cells": [found[k] for k in sorted(found)],
        "circles": circles,
        "limit_reached": circles >= MAX_CIRCLES,
    }


# ---------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------


def op_ping(office, args):
    return {"pong": True, "version": office.version, "locale": office.locale}


def op_open(office, args):
    path = os.path.abspath(args["path"])
    if not os.path.isfile(path):
        raise DriverError(f"no such file: {path}")
    props = [
        pv("Hidden", bool(args.get("hidden", True))),
        pv("ReadOnly", bool(args.get("read_only", False))),
        pv("MacroExecutionMode", 0),  # NEVER_EXECUTE
        pv("UpdateDocMode", 0),  # NO_UPDATE
    ]
    doc = office.desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(path), "_blank", 0, tuple(props)
    )
    if doc is None:
        raise DriverError(f"LibreOffice could not load {path}")
    if not doc.supportsService("com.sun.star.sheet.SpreadsheetDocument"):
        doc.close(True)
        raise DriverError(f"{path} is not a spreadsheet")
    handle = f"doc{office.next_doc}"
    office.next_doc += 1
    office.docs[handle] = doc
    has_view = doc.getCurrentController() is not None
    return {"doc": handle, "path": path, "has_view": has_view}


def op_close(office, args):
    doc = office.docs.pop(args["doc"], None)
    if doc is None:
        raise DriverError("unknown document handle {!r}".format(args["doc"]))
    doc.close(True)
    return True


def op_type(office, args):
    doc = office.doc(args["doc"])
    sheet_obj = get_sheet(doc, args["sheet"])
    cell = get_cell(sheet_obj, args["cell"])
    text = str(args["text"])
    method = enter_string(office, doc, sheet_obj, cell, text)
    return after_entry(office, doc, sheet_obj, cell, text, method, args.get("alert", False))


def after_entry(office, doc, sheet_obj, cell, text, method, alert):
    rejected = apply_alert(office, doc, sheet_obj, cell) if alert else None
    if rejected is not None:
        raise AlertError(
            f"{text!r} rejected in {sheet_obj.Name}.{addr_a1(cell.CellAddress)} by the "
            f"validity alert ({rejected['error_style']}): {rejected['error_message']}",
            rejected,
        )
    info = cell_info(doc, cell)
    info["method"] = method
    return info


def op_list_entries(office, args):
    doc = office.doc(args["doc"])
    sheet_obj = get_sheet(doc, args["sheet"])
    cell = get_cell(sheet_obj, args["cell"])
    return list_entries(office, doc, sheet_obj, cell)


def op_pick(office, args):
    doc = office.doc(args["doc"])
    sheet_obj = get_sheet(doc, args["sheet"])
    cell = get_cell(sheet_obj, args["cell"])
    entries = list_entries(office, doc, sheet_obj, cell)["entries"]
    if args.get("index") is not None:
        index = int(args["index"])
        if not -len(entries) <= index < len(entries):
            raise DriverError(
                f"index {index} out of range for list of {addr_a1(cell.CellAddress)}: {entries!r}"
            )
        choice = entries[index]
    else:
        choice = args.get("value")
        if choice not in entries:
            raise DriverError(
                f"{choice!r} is not in the list of {sheet_obj.Name}.{addr_a1(cell.CellAddress)}: "
                f"{entries!r}"
            )
    method = enter_string(office, doc, sheet_obj, cell, choice)
    info = after_entry(office, doc, sheet_obj, cell, choice, method, args.get("alert", False))
    info["picked"] = choice
    return info


def op_validation(office, args):
    doc = office.doc(args["doc"])
    cell = get_cell(get_sheet(doc, args["sheet"]), args["cell"])
    return validation_info(cell)[1]


def op_invalid_cells(office, args):
    doc = office.doc(args["doc"])
    sheet_obj = get_sheet(doc, args["sheet"])
    return invalid_cells(
        doc,
        sheet_obj,
        include_empty=args.get("include_empty", True),
        keep_marks=args.get("keep_marks", False),
    )


def op_cell(office, args):
    doc = office.doc(args["doc"])
    return cell_info(doc, get_cell(get_sheet(doc, args["sheet"]), args["cell"]))


def op_sheets(office, args):
    doc = office.doc(args["doc"])
    out = []
    for i in range(doc.Sheets.Count):
        sh = doc.Sheets.getByIndex(i)
        out.append(
            {
                "name": sh.Name,
                "index": i,
                "visible": bool(sh.IsVisible),
                "protected": bool(sh.isProtected()),
            }
        )
    return out


def op_note(office, args):
    doc = office.doc(args["doc"])
    cell = get_cell(get_sheet(doc, args["sheet"]), args["cell"])
    text = cell.getAnnotation().getString()
    return text if text else None


def op_background(office, args):
    doc = office.doc(args["doc"])
    cell = get_cell(get_sheet(doc, args["sheet"]), args["cell"])
    if cell.IsCellBackgroundTransparent:
        return None
    return rgb_hex(cell.CellBackColor)


def op_defined_names(office, args):
    doc = office.doc(args["doc"])
    names = doc.NamedRanges
    return {n: names.getByName(n).getContent() for n in names.ElementNames}


def _store(doc, path, filter_name, filter_data=None):
    path = os.path.abspath(path)
    props = [pv("FilterName", filter_name), pv("Overwrite", True)]
    if filter_data:
        props.append(
            pv("FilterData", uno.Any("[]com.sun.star.beans.PropertyValue", tuple(filter_data)))
        )
    modified = doc.isModified()
    doc.storeToURL(uno.systemPathToFileUrl(path), tuple(props))
    if modified:
        doc.setModified(True)
    return path


def op_save(office, args):
    doc = office.doc(args["doc"])
    return _store(doc, args["path"], args.get("filter") or XLSX_FILTER)


def op_export_pdf(office, args):
    doc = office.doc(args["doc"])
    data = []
    if args.get("sheet") is not None:
        data.append(pv("Selection", get_sheet(doc, args["sheet"])))
    return _store(doc, args["path"], PDF_FILTER, data)


def op_quit(office, args):
    return True


OPS = {
    "ping": op_ping,
    "open": op_open,
    "close": op_close,
    "type": op_type,
    "list_entries": op_list_entries,
    "pick": op_pick,
    "validation": op_validation,
    "invalid_cells": op_invalid_cells,
    "cell": op_cell,
    "sheets": op_sheets,
    "note": op_note,
    "background": op_background,
    "defined_names": op_defined_names,
    "save": op_save,
    "export_pdf": op_export_pdf,
    "quit": op_quit,
}


def run_op(office, request):
    op = request.get("op")
    args = request.get("args") or {}
    fn = OPS.get(op)
    t0 = time.monotonic()
    try:
        if fn is None:
            raise DriverError(f"unknown op {op!r}")
        result = fn(office, args)
        return {"ok": True, "result": result, "elapsed": round(time.monotonic() - t0, 4)}
    except DriverError as exc:
        return {
            "ok": False,
            "error": str(exc),
            "error_type": type(exc).__name__,
            "alert": getattr(exc, "details", None),
            "elapsed": round(time.monotonic() - t0, 4),
        }
    except Exception as exc:  # UNO exceptions carry a Message
        msg = getattr(exc, "Message", None) or str(exc) or type(exc).__name__
        return {
            "ok": False,
            "error": f"{type(exc).__name__}: {msg}",
            "error_type": type(exc).__name__,
            "traceback": traceback.format_exc(),
            "elapsed": round(time.monotonic() - t0, 4),
        }


# ---------------------------------------------------------------------------
# Main loops
# ---------------------------------------------------------------------------


def serve(office, out):
    for raw in sys.stdin.buffer:
        raw = raw.strip()
        if not raw:
            continue
        try:
            request = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            out.write(json.dumps({"id": None, "ok": False, "error": f"bad JSON: {exc}"}) + "\n")
            out.flush()
            continue
        response = run_op(office, request)
        response["id"] = request.get("id")
        out.write(json.dumps(response, ensure_ascii=True, default=str) + "\n")
        out.flush()
        if request.get("op") == "quit":
            break


def run_script(office, ops, out):
    results = []
    last = None
    for request in ops:
        args = dict(request.get("args") or {})
        if args.get("doc") == "$last":
            args["doc"] = last
        response = run_op(office, {"op": request.get("op"), "args": args})
        if request.get("op") == "open" and response["ok"]:
            last = response["result"]["doc"]
        results.append(response)
    out.write(json.dumps(results, ensure_ascii=True, default=str) + "\n")
    out.flush()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--locale", default="fr-FR")
    parser.add_argument("--start-timeout", type=float, default=60.0)
    parser.add_argument(
        "--script", help="JSON file with a list of ops ('-' = stdin); prints a JSON list"
    )
    opts = parser.parse_args()

    # Keep the protocol channel clean: anything else printing to fd 1
    # (LibreOffice, UNO bridges) ends up on stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    office = Office(opts.locale, opts.start_timeout)
    try:
        try:
            office.start()
        except Exception as exc:
            msg = str(exc) if isinstance(exc, DriverError) else f"{type(exc).__name__}: {exc}"
            out.write(
                json.dumps({"id": 0, "ok": False, "error": "LibreOffice start failed: " + msg})
                + "\n"
            )
            out.flush()
            return 2
        hello = {
            "driver_pid": os.getpid(),
            "soffice_pid": office.proc.pid,
            "profile": office.profile,
            "version": office.version,
            "locale": office.locale,
            "startup_s": round(office.startup_s, 3),
        }
        if opts.script:
            with sys.stdin if opts.script == "-" else open(opts.script, encoding="utf-8") as fh:
                ops = json.load(fh)
            run_script(office, ops, out)
        else:
            out.write(json.dumps({"id": 0, "ok": True, "result": hello}) + "\n")
            out.flush()
            serve(office, out)
        return 0
    finally:
        office.stop()


if __name__ == "__main__":
    sys.exit(main())
