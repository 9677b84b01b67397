"""JSON from a user's file, refused in French whatever is wrong with it.

Python's own reasons are English (« Is a directory », « 'utf-8' codec can't decode… »,
« Exceeds the limit (4300 digits) for integer string conversion »), and an integer of
thousands of digits stops ``json.loads`` with a bare ValueError: each becomes
``JsonUnreadable`` with a French reason, for the caller to put in its own sentence. A path
that is not a regular file (a named pipe, a device) is never opened: reading one waits
forever.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

from sofi_bulk.core.errors import UserError, os_reason
from sofi_bulk.core.text import fr_number

MAX_JSON_BYTES = 200 * 1024 * 1024


class JsonUnreadable(UserError):
    """A JSON file or text that cannot be read; the message is the French reason alone."""


def parse_json(raw: bytes | str) -> Any:
    """The JSON value of ``raw`` (UTF-8, with or without its BOM)."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        return json.loads(text)
    except UnicodeDecodeError:
        raise JsonUnreadable(
            "ce n'est pas un texte UTF-8 (enregistré en Windows-1252 ?) ; enregistrez-le en UTF-8"
        ) from None
    except json.JSONDecodeError as exc:
        raise JsonUnreadable(
            f"JSON invalide, ligne {exc.lineno}, colonne {exc.colno} : syntaxe incorrecte"
        ) from None
    except ValueError:  # an integer past Python's limit of digits
        raise JsonUnreadable(
            f"un nombre y a plus de {fr_number(sys.get_int_max_str_digits())} chiffres"
        ) from None
    except RecursionError:
        raise JsonUnreadable("JSON imbriqué trop profondément") from None


def read_json(path: Path, limit: int = MAX_JSON_BYTES) -> Any:
    """The JSON value of the file at ``path``, checked from its ``stat`` before it is opened."""
    try:
        info = path.stat()
    except OSError as exc:
        raise JsonUnreadable(os_reason(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise JsonUnreadable("c'est un dossier, pas un fichier")
    if not stat.S_ISREG(info.st_mode):
        raise JsonUnreadable("ce n'est pas un fichier ordinaire (tube nommé, périphérique ?)")
    if info.st_size > limit:
        raise JsonUnreadable(f"fichier trop volumineux ({info.st_size // 2**20} Mio)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JsonUnreadable(os_reason(exc)) from None
    return parse_json(raw)
