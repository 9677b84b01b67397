"""A terminal that never fails on the tool's own output, and shows long steps while they run.

On Windows, a report redirected to a file or a pipe is encoded in cp1252, which has no ✔ ✖ ⚠;
in a C locale, stdout is ASCII. ``make_streams_safe`` gives stdout and stderr an error
handler that writes plain symbols instead (✔ → OK, ✖ → X, ⚠ → !) and, where even accents
cannot be encoded, the letter without its accent: the output is always written, whatever
the console or pipe. JSON output stays exact (``json_text``: escaped when it must be).

A closed pipe (``| head``) silences the rest of the output without stopping the command.

``Steps`` shows, on stderr and only when stderr is a terminal, the step under way (reading,
checking, writing the copy) with its elapsed time; it vanishes once done, so it never
mixes with the report or the JSON on stdout.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

from rich.console import Console

ERROR_HANDLER = "sofi_bulk_plain"
PLAIN = {
    "✔": "OK",
    "✖": "X",
    "⚠": "!",
    "•": "-",
    "…": "...",
    "«": '"',
    "»": '"',
    "’": "'",
    "‘": "'",
    "–": "-",
    "—": "-",
    "→": "->",
    "×": "x",
    "€": "EUR",
    "œ": "oe",
    "Œ": "OE",
    "\u00a0": " ",
    "\u202f": " ",
}


def plain(text: str) -> str:
    """``text`` with plain ASCII stand-ins for symbols and accented letters."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif ch in PLAIN:
            out.append(PLAIN[ch])
        else:
            bare = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(bare or "?")
    return "".join(out)


def _fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return plain(error.object[error.start : error.end]), error.end


codecs.register_error(ERROR_HANDLER, _fallback)


def wrap_width(console: Console) -> int | None:
    """The width to break lines at, between words, on a terminal (its own, or COLUMNS);
    None for a pipe or a file, where a line stays whole (one issue, one line for grep)."""
    return console.width if console.is_terminal else None


class TermConsole(Console):
    """A rich console that outlives a closed pipe (``validate … | head``): the rest of its
    output is dropped, and the command goes on, so the annotated copy is still written. Its
    lines break between words on a terminal (``wrap_width``), never inside a word."""

    @property
    def soft_wrap(self) -> bool:
        return wrap_width(self) is None

    @soft_wrap.setter
    def soft_wrap(self, value: bool) -> None:
        """Set by rich's constructor; the width decides instead."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.file.fileno())


console = TermConsole(highlight=False)  # reports, results
err_console = TermConsole(stderr=True, highlight=False)  # steps, warnings, errors


def make_streams_safe() -> None:
    """Let stdout and stderr write any text: what their encoding lacks becomes plain."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        with contextlib.suppress(ValueError, OSError, AttributeError, LookupError):
            reconfigure(errors=ERROR_HANDLER)


def json_text(data: Any) -> str:
    """JSON for stdout: readable accents when stdout can encode them, escapes otherwise."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return json.dumps(data, ensure_ascii=True, indent=2)
    return text


class Steps:
    """The steps of a long command, shown on stderr while they run (terminals only)."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled and console.is_terminal

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        ) as progress:
            progress.add_task(label, total=None)
            yield
