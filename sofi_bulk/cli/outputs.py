"""Where the command line may write: never over an input, never over the user's work.

A file is replaced only when it holds nothing the tool did not write itself (an untouched
template or annotated copy, a submission, an LHEO file), unless ``--ecraser`` says so.
"""

from __future__ import annotations

import json
from pathlib import Path

from sofi_bulk.core.errors import UserError


def check_output_path(output: Path, inputs: list[Path], force: bool = True) -> None:
    """Refuse to write over an input file, into a folder that does not exist, or over a
    file holding the user's work (unless ``force``)."""
    out = output.resolve()
    for src in inputs:
        if src.exists() and out == src.resolve():
            raise UserError(
                f"{output} : le fichier de sortie ne peut pas être le fichier d'entrée."
            )
    if not out.parent.is_dir():
        raise UserError(f"{output} : le dossier {out.parent} n'existe pas.")
    if out.is_dir():
        raise UserError(f"{output} : c'est un dossier ; donnez un nom de fichier.")
    check_overwrite(out, force)


# --- never overwrite what the user typed ------------------------------------------------------
def _regenerable(path: Path) -> bool:
    """True when replacing ``path`` loses nothing: an untouched output of sofi-bulk."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            from sofi_bulk.excel.reader import read_workbook

            book = read_workbook(path)
            stamped = book.meta.get("content_fingerprint")
            from sofi_bulk.core.workbook import content_fingerprint

            return bool(stamped) and stamped == content_fingerprint(book.sheets)
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            return isinstance(data, dict) and str(
                data.get("header", {}).get("format", "")
            ).startswith("sofi-bulk/soumission")
        if suffix == ".xml":
            from defusedxml.ElementTree import parse

            return parse(path).getroot().tag == "{http://lheo.gouv.fr/2.3}lheo"
    except (UserError, OSError, ValueError, AttributeError):
        return False
    except Exception:  # any parser failure means: not one of ours
        return False
    return False


def check_overwrite(path: Path, force: bool) -> None:
    """Refuse to replace a file that may hold the user's own work, unless asked to."""
    if force or not path.exists() or path.is_dir():
        return
    if _regenerable(path):
        return
    raise UserError(
        f"{path} existe déjà et contient des données que sofi-bulk n'a pas écrites telles quelles "
        "(une saisie, des corrections, un autre fichier ?). Choisissez un autre nom de fichier, "
        "ou ajoutez --ecraser pour le remplacer."
    )
