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
    """Write through a temporary file in the same folder, then rename: never half a file."""
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
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; give the usual rights
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
