"""Atomic writes: every output goes to a temporary file in the same folder, then is
renamed over the target, so a reader never sees half a file and a failure leaves the
old one in place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

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


def write_bytes_atomic(path: Path, data: bytes) -> None:
    def write(target: Path) -> None:
        target.write_bytes(data)

    write_atomic(path, write)
