"""Atomic writes: every output goes to a temporary file in the same folder, then is
renamed over the target, so a reader never sees half a file and a failure leaves the
old one in place. And the names the tool suggests for what it writes beside a workbook,
the same in every face: never a pile of suffixes."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import BinaryIO

from sofi_bulk.core.errors import UserError


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename: never half a file.
    A file replaced keeps its permissions (and a read-only one is refused); a symbolic link
    is written through, to the file it names."""
    if path.is_symlink():
        path = path.resolve()
    mode = None
    if path.exists():
        if not os.access(path, os.W_OK):
            raise UserError(
                f"{path} : fichier en lecture seule ; retirez la protection ou choisissez un "
                "autre nom, puis recommencez."
            )
        mode = path.stat().st_mode & 0o7777
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserError(
            f"{path} : écriture impossible dans {path.parent} (droits d'accès ?)."
        ) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        if mode is None:  # a new file: mkstemp creates 0600; give the usual rights
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise UserError(
            f"{path} : écriture impossible (fichier ouvert dans Excel, disque plein, "
            "droits d'accès ?). Fermez-le ou choisissez un autre nom, puis recommencez."
        ) from exc
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_out(data: bytes, target: str | Path | BinaryIO) -> None:
    """Bytes to a path, atomically (``write_bytes_atomic``), or to a binary file object."""
    if isinstance(target, str | Path):
        write_bytes_atomic(Path(target), data)
    else:
        target.write(data)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    def write(target: Path) -> None:
        target.write_bytes(data)

    write_atomic(path, write)


ANNOTATED_SUFFIX = "-annotee"
BACKUP_SUFFIX = ".sauvegarde"
_ANNOTATED = re.compile(rf"{ANNOTATED_SUFFIX}(?:-\d+)?$", re.IGNORECASE)


def base_stem(name: str | PurePath) -> str:
    """The name of the user's workbook without the suffixes the tool adds: « saisie » for
    saisie.xlsx, saisie-annotee.xlsx, saisie-annotee-2.xlsx or saisie-annotee.sauvegarde.xlsx."""
    stem = PurePath(name).stem
    if stem.lower().endswith(BACKUP_SUFFIX):
        stem = stem[: -len(BACKUP_SUFFIX)]
    return _ANNOTATED.sub("", stem) or stem


def is_annotated(name: str | PurePath) -> bool:
    """A name of an annotated copy (saisie-annotee.xlsx, saisie-annotee-2.xlsx)."""
    return bool(_ANNOTATED.search(PurePath(name).stem))


def annotated_name(name: str | PurePath) -> str:
    """The annotated copy's name: saisie.xlsx -> saisie-annotee.xlsx, never -annotee-annotee."""
    return f"{base_stem(name)}{ANNOTATED_SUFFIX}.xlsx"
