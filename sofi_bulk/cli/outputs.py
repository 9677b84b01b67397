"""Where the command line may write: never over an input, never over the user's work.

A file is replaced only when it holds nothing the tool did not write itself (an untouched
template or annotated copy, a blank référentiel, a submission, an LHEO file), unless
``--ecraser`` says so. The names the tool suggests never pile up suffixes.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sofi_bulk import api
from sofi_bulk.api import BACKUP_SUFFIX, annotated_name, is_annotated
from sofi_bulk.cli.inputs import kind_of
from sofi_bulk.core.errors import UserError


def check_output_path(
    output: Path, inputs: list[Path], force: bool = True, *, instead: str = ""
) -> None:
    """Refuse to write over an input file (``instead``: what to do then), into a folder that
    does not exist, over something that is not a file, or over a file holding the user's
    work (unless ``force``)."""
    out = output.resolve()
    for src in inputs:  # the same file under another name too: a symbolic or hard link
        if src.exists() and (out == src.resolve() or (out.exists() and os.path.samefile(out, src))):
            raise UserError(
                f"{output} : le fichier de sortie ne peut pas être le fichier d'entrée.{instead}"
            )
    if not out.parent.is_dir():
        raise UserError(f"{output} : le dossier {out.parent} n'existe pas.")
    if out.is_dir():
        raise UserError(f"{output} : c'est un dossier ; donnez un nom de fichier.")
    refuse_special(output)
    refuse_if_open(output, "la commande le remplacerait pendant qu'il est ouvert")
    check_overwrite(output, force)  # the path as the user typed it, in the message


def refuse_special(path: Path) -> None:
    """Refuse, from its ``stat`` alone, a path that exists and is not a regular file (a named
    pipe, a device): opened to see what it holds, or written, it would wait forever."""
    try:
        info = path.stat()
    except OSError:
        return  # nothing there (or a dangling link): a new file
    kind = kind_of(info.st_mode)
    if kind is not None:
        raise UserError(
            f"{path} : c'est {kind}, pas un fichier ; la commande n'y écrit pas. Donnez le nom "
            "d'un fichier."
        )


# --- a workbook open in a spreadsheet program ---------------------------------------------------
@dataclass(frozen=True)
class OpenedBy:
    """A spreadsheet program holding a workbook open, as the lock file it keeps beside the
    workbook says: LibreOffice's ``.~lock.NAME#``, Excel's ``~$NAME``."""

    program: str
    lock: Path
    user: str | None  # who opened it, when the lock file says

    def where(self) -> str:
        who = f" par {self.user}" if self.user else ""
        return f"ouvert dans {self.program}{who} (fichier verrou {self.lock.name})"

    def stale(self) -> str:
        return (
            f"Si {self.program} est déjà fermé, ce verrou est resté d'une session interrompue : "
            f"supprimez {self.lock.name}, puis relancez."
        )


def opened_by(path: Path) -> OpenedBy | None:
    """The program that has ``path`` open, from its lock file; None when none is there."""
    for program, lock in (
        ("LibreOffice", path.with_name(f".~lock.{path.name}#")),
        ("Excel", path.with_name(f"~${path.name}")),
    ):
        try:
            info = lock.lstat()
        except OSError:
            continue
        user = None
        if stat.S_ISREG(info.st_mode):  # never opened otherwise (a pipe would never answer)
            with contextlib.suppress(OSError):
                with lock.open("rb") as fh:
                    head = fh.read(512)
                user = _libreoffice_user(head) if program == "LibreOffice" else _excel_user(head)
        return OpenedBy(program, lock, user)
    return None


def _libreoffice_user(head: bytes) -> str | None:
    """« Nom,compte,machine,date,profil; »: the name given in LibreOffice, else the account."""
    fields = head.decode("utf-8", "replace").split(",")
    if len(fields) < 2:
        return None
    return _printable(fields[0]) or _printable(fields[1])


def _excel_user(head: bytes) -> str | None:
    """Excel's owner file: the user's name as a length byte and ANSI text, then (from byte
    54) as a length and UTF-16 text, padded with spaces."""
    if len(head) >= 56 and 0 < head[54] <= 54:
        wide = head[56 : 56 + 2 * head[54]].decode("utf-16-le", "replace")
        if _printable(wide):
            return _printable(wide)
    if head and 0 < head[0] < 54:
        return _printable(head[1 : 1 + head[0]].decode("cp1252", "replace"))
    return None


def _printable(text: str) -> str | None:
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    return text[:60] or None


def refuse_if_open(path: Path, why: str) -> None:
    """Refuse to write into a workbook a spreadsheet program has open: saving from its window
    would then replace what was written (the marks of a check in place)."""
    found = opened_by(path)
    if found is not None:
        raise UserError(
            f"{path} est {found.where()} : {why}. Enregistrez-le et fermez-le dans "
            f"{found.program}, puis relancez. {found.stale()}"
        )


def warn_if_open(path: Path) -> str | None:
    """A warning for a workbook read while a program has it open: what is read is what was
    last saved, not what the window shows."""
    found = opened_by(path)
    if found is None:
        return None
    return (
        f"{path.name} est {found.where()} : le contrôle lit la version enregistrée ; si vous "
        f"l'avez modifié dans {found.program}, enregistrez-le puis relancez."
    )


# --- never overwrite what the user typed ------------------------------------------------------
IN_PLACE_REASON = (
    "a été corrigé et contrôlé sur place (--en-place) : il contient vos corrections, qui "
    "n'existent nulle part ailleurs"
)
USER_WORK_REASON = (
    "contient des données que sofi-bulk n'a pas écrites telles quelles (une saisie, des "
    "corrections, un autre fichier ?)"
)


def _kept_because(path: Path) -> str | None:
    """Why replacing ``path`` could lose the user's work; None for an untouched output of
    sofi-bulk (a template, an annotated copy of another file, a submission, an LHEO file)."""
    found = api.origin(path)
    if found is api.Origin.UNTOUCHED:
        return None
    return IN_PLACE_REASON if found is api.Origin.CORRECTED else USER_WORK_REASON


def check_overwrite(path: Path, force: bool) -> None:
    """Refuse to replace a file that may hold the user's own work, unless asked to."""
    if force or not path.exists() or path.is_dir():
        return
    reason = _kept_because(path)
    if reason is None:
        return
    raise UserError(
        f"{path} existe déjà et {reason}. Choisissez un autre nom de fichier, "
        "ou ajoutez --ecraser pour le remplacer."
    )


# --- names the tool suggests: never a pile of suffixes (sofi_bulk.files, through the api) ---


def correction_command(path: Path) -> str:
    """What to run to check a workbook and see its marks: in place for an annotated copy,
    else into its annotated copy."""
    if is_annotated(path):
        return f"sofi-bulk validate {path.name} --en-place"
    return f"sofi-bulk validate {path.name} -o {annotated_name(path)}"


def backup_path(path: Path) -> Path:
    """Where ``validate --en-place`` keeps the file as it was: beside it."""
    stem = (
        path.stem[: -len(BACKUP_SUFFIX)] if path.stem.lower().endswith(BACKUP_SUFFIX) else path.stem
    )
    return path.with_name(f"{stem}{BACKUP_SUFFIX}{path.suffix}")


def check_backup(backup: Path, force: bool, source: Path | None = None) -> None:
    """An earlier backup may be replaced only when it is a workbook of sofi-bulk (the backup
    of an earlier run): never a file of the user that happens to bear the name, and never
    through a link, whose target would be written instead (the checked workbook itself, if
    the link leads there: its original would be lost)."""
    source_target = os.path.realpath(source) if source is not None else None
    if backup.is_symlink() or (
        source is not None and source.is_symlink() and source_target == os.path.realpath(backup)
    ):
        target = os.path.realpath(backup)
        same = source_target == target
        what = f"le classeur contrôlé {source} lui-même" if same else target
        raise UserError(
            f"{backup} est un lien vers {what} : la sauvegarde y serait écrite"
            f"{' et son original perdu' if same else ''}. Supprimez ou renommez {backup}, "
            "puis relancez."
        )
    refuse_special(backup)
    if force or not backup.exists():
        return
    if backup.is_file() and _is_tool_workbook(backup):
        return
    raise UserError(
        f"{backup} existe déjà et n'est pas une sauvegarde faite par sofi-bulk. Renommez-le "
        "ou déplacez-le, ou ajoutez --ecraser pour le remplacer."
    )


def _is_tool_workbook(path: Path) -> bool:
    """A workbook made by sofi-bulk: a template or an annotated copy (its ``_meta`` sheet)."""
    try:
        meta = api.read(path).meta
    except Exception:  # unreadable: not one of ours
        return False
    return bool(meta.get("format")) and bool(meta.get("programme"))
