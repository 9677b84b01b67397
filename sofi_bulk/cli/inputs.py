"""What the command line reads: a path that names a file, checked before anything else.

A misspelt name is said to be missing, with the nearest names of its folder (« Vouliez-vous
dire saisie.xlsx ? »), before any output is looked at; a named pipe or a device is refused
from its ``stat`` alone, never opened (reading one would wait forever).
"""

from __future__ import annotations

import difflib
import stat
from pathlib import Path

from sofi_bulk.core.errors import UserError, os_reason

MAX_LISTED = 2_000  # names of a folder compared with a misspelt one


def nearest(path: Path) -> list[str]:
    """Names of ``path``'s folder close to its own, the closest first."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        names = []
        for entry in folder.iterdir():
            names.append(entry.name)
            if len(names) >= MAX_LISTED:
                break
    except OSError:
        return []
    typed = path.name.casefold()
    by_case = [n for n in names if n.casefold() == typed or Path(n).stem.casefold() == typed]
    close = difflib.get_close_matches(path.name, names, n=2, cutoff=0.75)
    return list(dict.fromkeys(by_case + close))


def suggestion(path: Path) -> str:
    """« Vouliez-vous dire saisie.xlsx ? », or nothing when no name is close."""
    names = nearest(path)
    if not names:
        return ""
    shown = " ou ".join(str(path.with_name(n)) for n in names)
    return f" Vouliez-vous dire {shown} ?"


def kind_of(mode: int) -> str | None:
    """What a path that is not a regular file is, in French; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "un dossier"
    if stat.S_ISFIFO(mode):
        return "un tube nommé"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "un périphérique"
    if stat.S_ISSOCK(mode):
        return "une prise réseau (socket)"
    return "un fichier spécial"


def check_input(path: Path, *, folder_ok: bool = False, what: str = "fichier") -> None:
    """Refuse, in one French line, a path that names nothing readable as a file (or a
    folder, when ``folder_ok``): missing (with the nearest names), a pipe, a device."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if not path.parent.is_dir() and str(path.parent) not in ("", "."):
            raise UserError(f"{path} : le dossier {path.parent} n'existe pas.") from None
        raise UserError(f"{path} : {what} introuvable.{suggestion(path)}") from None
    except OSError as exc:
        raise UserError(f"{path} : lecture impossible ({os_reason(exc)}).") from None
    kind = kind_of(info.st_mode)
    if kind is None or (folder_ok and stat.S_ISDIR(info.st_mode)):
        return
    if stat.S_ISDIR(info.st_mode):
        raise UserError(f"{path} : c'est un dossier ; donnez le chemin d'un {what}.")
    raise UserError(
        f"{path} : c'est {kind}, pas un fichier ; il n'est pas lu. Donnez le chemin d'un {what}."
    )
