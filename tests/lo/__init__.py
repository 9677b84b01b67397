"""Drive LibreOffice Calc (headless, fr-FR) from pytest.

The project venv cannot import ``uno`` (python3-uno only works with Debian's
/usr/bin/python3), so the UNO code lives in the tool ``tools/libreoffice_driver.py``
and runs as a subprocess; this module talks to it with JSON lines over stdin/stdout. One
``LibreOffice`` instance = one driver process = one private soffice process
with a fresh profile (fr-FR locale), removed when closed.

Usage::

    from tests.lo import LibreOffice, pdf_to_png

    with LibreOffice() as lo:
        doc = lo.open("/tmp/x.xlsx")
        doc.type("Sessions", "M2", "10/02/2025")      # typed like a French user
        doc.list_entries("Sessions", "C2")            # dropdown entries
        doc.pick("Sessions", "C2", "PAS2025_1")       # pick an entry (must be in the list)
        doc.invalid_cells("Sessions")                 # Detective > Mark invalid data
        doc.cell("Sessions", "M2")["date"]            # '2025-02-10'
        doc.save_xlsx("/tmp/y.xlsx")
        doc.export_pdf("/tmp/y.pdf", sheet="Sessions")
        doc.close()

LibreOffice being absent is an error (RuntimeError), never a skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

__all__ = [
    "LibreOffice",
    "Document",
    "LibreOfficeError",
    "ValidationAlert",
    "pdf_to_png",
    "DRIVER",
    "REQUIRED_APT_PACKAGES",
]

DRIVER = Path(__file__).resolve().parents[2] / "tools" / "libreoffice_driver.py"
REQUIRED_APT_PACKAGES = ("libreoffice-calc", "python3-uno", "poppler-utils")
DEFAULT_PYTHON = os.environ.get("LO_PYTHON", "/usr/bin/python3")


class LibreOfficeError(RuntimeError):
    """An operation failed inside LibreOffice / the driver."""

    def __init__(self, message: str, *, op: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.op = op
        self.details = details or {}


class ValidationAlert(LibreOfficeError):
    """An entry rejected by the cell's validity error alert (type/pick with
    alert=True). ``alert`` holds error_style, error_title, error_message."""

    @property
    def alert(self) -> dict:
        return self.details.get("alert") or {}


def _check_installed(python: str) -> None:
    if shutil.which("soffice") is None and not os.path.exists(
        "/usr/lib/libreoffice/program/soffice.bin"
    ):
        raise RuntimeError(
            "LibreOffice is not installed (no 'soffice'): apt-get install -y "
            + " ".join(REQUIRED_APT_PACKAGES)
        )
    if not os.path.exists(python):
        raise RuntimeError(
            f"{python} not found: the LibreOffice driver needs Debian's python3 with python3-uno"
        )


class LibreOffice:
    """A running headless LibreOffice (one soffice process, private profile).

    ``start_timeout``: seconds allowed for soffice to start and accept the
    connection. ``timeout``: default seconds allowed per operation; on timeout
    the driver and soffice are killed and ``TimeoutError`` is raised.
    """

    def __init__(
        self,
        *,
        locale: str = "fr-FR",
        python: str = DEFAULT_PYTHON,
        start_timeout: float = 90.0,
        timeout: float = 60.0,
    ):
        self.locale = locale
        self.python = python
        self.start_timeout = start_timeout
        self.timeout = timeout
        self.info: dict[str, Any] = {}
        self.timings: list[tuple[str, float]] = []  # (op, seconds) measured client-side
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue = queue.Queue()
        self._next_id = 1
        self._lock = threading.Lock()
        self._stderr = None
        self._docs: list[Document] = []

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> LibreOffice:
        if self._proc is not None:
            return self
        _check_installed(self.python)
        t0 = time.monotonic()
        # Closed in close(); not a context manager because it outlives start().
        self._stderr = tempfile.TemporaryFile(prefix="lo-driver-stderr-")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [
                self.python,
                str(DRIVER),
                "--locale",
                self.locale,
                "--start-timeout",
                str(self.start_timeout),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={
                k: v
                for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
            },
            start_new_session=True,
        )
        reader = threading.Thread(target=self._read_stdout, args=(self._proc,), daemon=True)
        reader.start()
        hello = self._receive(0, self.start_timeout + 15, "start")
        if not hello.get("ok"):
            self._kill()
            raise RuntimeError(
                f"LibreOffice failed to start: {hello.get('error')}\n{self._stderr_tail()}"
            )
        self.info = dict(hello["result"])
        self.info["start_s"] = round(time.monotonic() - t0, 3)
        self.timings.append(("start", time.monotonic() - t0))
        return self

    def close(self) -> None:
        """Close all documents, stop soffice and the driver, remove the profile."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                with contextlib.suppress(Exception):
                    self.call("quit", timeout=30)
                with contextlib.suppress(Exception):
                    proc.stdin.close()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self._kill()
        finally:
            self._proc = None
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None

    def __enter__(self) -> LibreOffice:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- transport -----------------------------------------------------------

    def _read_stdout(self, proc: subprocess.Popen) -> None:
        for raw in proc.stdout:
            try:
                self._lines.put(json.loads(raw.decode("utf-8")))
            except ValueError:
                self._lines.put(
                    {"id": None, "ok": False, "error": f"bad line from driver: {raw[:200]!r}"}
                )
        self._lines.put(None)  # EOF

    def _stderr_tail(self, limit: int = 4000) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.flush()
            size = self._stderr.seek(0, os.SEEK_END)
            self._stderr.seek(max(0, size - limit))
            return self._stderr.read().decode("utf-8", "replace")
        except Exception:
            return ""

    def _kill(self) -> None:
        """Kill the driver and the soffice it started (by pid / process group id)."""
        pids = []
        if self.info.get("soffice_pid"):
            pids.append(int(self.info["soffice_pid"]))
        if self._proc is not None:
            pids.append(self._proc.pid)
        for pid in pids:
            # Both were started with start_new_session=True: their process
            # group id is their pid and contains only them and their children.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=10)
        profile = self.info.get("profile")
        if (
            profile
            and os.path.isdir(profile)
            and os.path.basename(profile).startswith("lo-driver-profile-")
        ):
            shutil.rmtree(profile, ignore_errors=True)

    def _receive(self, want_id: int, timeout: float, op: str) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tail = self._stderr_tail()
                self._kill()
                self._proc = None
                raise TimeoutError(
                    f"LibreOffice op {op!r} did not answer within {timeout:.0f} s\n{tail}"
                )
            try:
                msg = self._lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if msg is None:
                tail = self._stderr_tail()
                self._kill()
                self._proc = None
                raise LibreOfficeError(f"LibreOffice driver exited during {op!r}\n{tail}", op=op)
            if msg.get("id") == want_id:
                return msg

    def call(self, op: str, timeout: float | None = None, **args: Any) -> Any:
        """Run one driver op and return its result (raises LibreOfficeError)."""
        if self._proc is None or self._proc.poll() is not None:
            raise LibreOfficeError(
                "LibreOffice is not running (call start() or use 'with LibreOffice()')", op=op
            )
        with self._lock:
            req_id = self._next_id
            self._next_id += 1
            t0 = time.monotonic()
            line = json.dumps({"id": req_id, "op": op, "args": args}, ensure_ascii=True) + "\n"
            try:
                self._proc.stdin.write(line.encode("ascii"))
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                raise LibreOfficeError(
                    f"LibreOffice driver is gone: {exc}\n{self._stderr_tail()}", op=op
                ) from exc
            msg = self._receive(req_id, timeout or self.timeout, op)
            self.timings.append((op, time.monotonic() - t0))
        if not msg.get("ok"):
            details = {k: v for k, v in msg.items() if k not in ("id", "ok")}
            text = f"LibreOffice {op} failed: {msg.get('error')}"
            if msg.get("traceback"):
                text += "\n" + msg["traceback"]
            cls = ValidationAlert if msg.get("error_type") == "AlertError" else LibreOfficeError
            raise cls(text, op=op, details=details)
        return msg.get("result")

    # -- documents -----------------------------------------------------------

    def open(
        self, path: str | os.PathLike, *, hidden: bool = True, read_only: bool = False
    ) -> Document:
        res = self.call("open", path=os.fspath(path), hidden=hidden, read_only=read_only)
        doc = Document(self, res["doc"], res["path"], has_view=res["has_view"])
        self._docs.append(doc)
        return doc

    def timing_summary(self) -> dict[str, dict[str, float]]:
        """{op: {"count", "total_s", "mean_s", "max_s"}} over this instance's calls."""
        out: dict[str, dict[str, float]] = {}
        for op, secs in self.timings:
            d = out.setdefault(op, {"count": 0, "total_s": 0.0, "max_s": 0.0})
            d["count"] += 1
            d["total_s"] += secs
            d["max_s"] = max(d["max_s"], secs)
        for d in out.values():
            d["mean_s"] = d["total_s"] / d["count"]
        return out


class Document:
    """An open spreadsheet inside a ``LibreOffice`` instance.

    ``sheet`` arguments are sheet names (or 0-based indexes); cells are A1
    strings such as ``"B3"``.
    """

    def __init__(self, lo: LibreOffice, handle: str, path: str, *, has_view: bool = True):
        self.lo = lo
        self.handle = handle
        self.path = path
        self.has_view = has_view
        self.closed = False

    def _call(self, op: str, **args: Any) -> Any:
        if self.closed:
            raise LibreOfficeError(f"document {self.path} is closed", op=op)
        return self.lo.call(op, doc=self.handle, **args)

    # -- input -----------------------------------------------------------

    def type(self, sheet: str | int, cell: str, text: str, *, alert: bool = False) -> dict:
        """Enter ``text`` as typed in the cell then Enter (fr-FR parsing).

        Goes through Calc's view (.uno:EnterString): '10/02/2025' becomes a
        date, '12,5' a number, '12.5' text, '=...' a formula, '' clears.
        This path does not run the validity error alert: an invalid value is
        stored. With ``alert=True``, if the cell's rule shows an error message
        and the new value is invalid, the entry is undone and ValidationAlert
        is raised (what Calc does for "Stop"; headless answers "Cancel" to
        Warning/Information boxes too).
        Returns the cell() info after entry (plus "method").
        """
        return self._call("type", sheet=sheet, cell=cell, text=str(text), alert=alert)

    def list_entries(self, sheet: str | int, cell: str) -> list[str]:
        """Entries of the cell's validation dropdown, as LibreOffice computes
        them for that cell (relative refs, defined names, INDIRECT...). Empty
        cells of a source range are skipped; a formula in error gives []."""
        return self._call("list_entries", sheet=sheet, cell=cell)["entries"]

    def list_info(self, sheet: str | int, cell: str) -> dict:
        """Like list_entries() with details: kind (inline/range/array/error),
        the formula rewritten for the cell and the resolved range."""
        return self._call("list_entries", sheet=sheet, cell=cell)

    def pick(
        self,
        sheet: str | int,
        cell: str,
        value: str | None = None,
        *,
        index: int | None = None,
        alert: bool = False,
    ) -> dict:
        """Choose a dropdown entry (by value or by index) and enter it through
        the typing path. Raises LibreOfficeError if the value is not listed."""
        if (value is None) == (index is None):
            raise ValueError("give exactly one of value or index")
        return self._call("pick", sheet=sheet, cell=cell, value=value, index=index, alert=alert)

    # -- checks ----------------------------------------------------------

    def validation(self, sheet: str | int, cell: str) -> dict:
        """The cell's validation as LibreOffice sees it (type, operator,
        formula1/2 in API syntax, source, allow_blank, messages...)."""
        return self._call("validation", sheet=sheet, cell=cell)

    def invalid_cells(
        self, sheet: str | int, *, include_empty: bool = True, allow_truncated: bool = False
    ) -> list[str]:
        """Cells LibreOffice circles with Detective > Mark Invalid Data, in
        reading order ("A1" strings). The marks are removed afterwards.

        LibreOffice also circles EMPTY cells whose rule does not allow blanks
        (openpyxl's default allow_blank=False); ``include_empty=False`` drops
        them. LibreOffice stops at 1000 circles: reaching that raises unless
        ``allow_truncated``.
        """
        res = self.invalid_info(sheet, include_empty=include_empty)
        if res["limit_reached"] and not allow_truncated:
            raise LibreOfficeError(
                f"LibreOffice stopped at {res['circles']} invalid-data circles on {sheet!r}: the "
                "list is truncated",
                op="invalid_cells",
                details=res,
            )
        return res["cells"]

    def invalid_info(self, sheet: str | int, *, include_empty: bool = True) -> dict:
        """Raw result: {"cells": [...], "circles": n, "limit_reached": bool}."""
        return self._call("invalid_cells", sheet=sheet, include_empty=include_empty)

    # -- reading ---------------------------------------------------------

    def cell(self, sheet: str | int, cell: str) -> dict:
        """{"type": EMPTY/VALUE/TEXT/FORMULA, "value", "string" (displayed),
        "formula" (API syntax), "input" (input-line text, fr-FR), "format",
        "date"/"datetime" (ISO, for date/time formatted numbers), "error",
        "result_type" (formulas only)}."""
        return self._call("cell", sheet=sheet, cell=cell)

    def value(self, sheet: str | int, cell: str) -> Any:
        return self.cell(sheet, cell)["value"]

    def sheets(self) -> list[dict]:
        """[{"name", "index", "visible", "protected"}] in tab order."""
        return self._call("sheets")

    def note(self, sheet: str | int, cell: str) -> str | None:
        """Text of the cell's note (comment), or None."""
        return self._call("note", sheet=sheet, cell=cell)

    def background(self, sheet: str | int, cell: str) -> str | None:
        """Cell background colour as '#RRGGBB', or None if transparent."""
        return self._call("background", sheet=sheet, cell=cell)

    def defined_names(self) -> dict[str, str]:
        """Workbook-level named ranges: {name: content in Calc syntax}."""
        return self._call("defined_names")

    def save_xlsx(self, path: str | os.PathLike) -> Path:
        """Store a copy as .xlsx ("Calc MS Excel 2007 XML"); the document
        stays open and keeps its original location."""
        return Path(self._call("save", path=os.fspath(path)))

    def export_pdf(self, path: str | os.PathLike, sheet: str | int | None = None) -> Path:
        """Export to PDF: the given sheet only, or all visible sheets."""
        return Path(self._call("export_pdf", path=os.fspath(path), sheet=sheet))

    def close(self) -> None:
        if not self.closed and self.lo.alive:
            self.lo.call("close", doc=self.handle)
        self.closed = True

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def pdf_to_png(
    pdf: str | os.PathLike,
    png_prefix: str | os.PathLike,
    *,
    dpi: int = 60,
    first_page: int | None = None,
    last_page: int | None = None,
    timeout: float = 60.0,
) -> list[Path]:
    """Render PDF pages to PNG with pdftoppm (poppler-utils).

    Files are ``<png_prefix>-<page>.png`` (pdftoppm pads the page number);
    returns them sorted by page.
    """
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise RuntimeError("pdftoppm not found: apt-get install -y poppler-utils")
    prefix = Path(png_prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    cmd = [exe, "-png", "-r", str(dpi)]
    if first_page is not None:
        cmd += ["-f", str(first_page)]
    if last_page is not None:
        cmd += ["-l", str(last_page)]
    cmd += [os.fspath(pdf), os.fspath(prefix)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"pdftoppm failed ({proc.returncode}): {proc.stderr.strip()}")
    pages = [
        p
        for p in prefix.parent.glob(prefix.name + "-*.png")
        if p.stem[len(prefix.name) + 1 :].isdigit()
    ]
    return sorted(pages, key=lambda p: int(p.stem[len(prefix.name) + 1 :]))
