"""The four buttons of the Excel add-in (xlwings Lite): check and mark the open workbook in
place, erase the marks, export the JSON submission and the LHEO file to ``/data``.

Everything is computed before the workbook is touched; whatever goes wrong ends in one
French alert, never a traceback in the task pane, and an unexpected failure takes back
the changes it had queued (xlwings Lite applies them only when the script returns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sofi_bulk.api import (
    ADDIN_BUTTONS,
    ValidationResult,
    check,
    plan,
    to_submission,
    write_lheo,
    write_submission,
)
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.text import counts, fr_number, plural
from sofi_bulk.lite.painter import MAX_LINKS, MAX_NOTES, Painted, Painter
from sofi_bulk.lite.reader import read_book

DATA_DIR = Path("/data")  # Lite's only folder, downloadable from its Files panel
TITLE = "sofi-bulk"
# the label xlwings Lite shows on each script's button (``@script(name=...)`` in main.py)
BUTTONS = ADDIN_BUTTONS  # each script's label, as the Aide sheet names it too


def alert(book: Any, text: str, *, critical: bool = False) -> None:
    book.app.alert(text, title=TITLE, buttons="ok", mode="critical" if critical else "info")


def _actions(book: Any) -> list[Any] | None:
    """xlwings' queue of actions for Excel (applied when the script returns), if reachable."""
    try:
        queue = book.json()["actions"]
    except Exception:  # not an xlwings Book: nothing to take back
        return None
    return queue if isinstance(queue, list) else None


def guarded(action: Callable[[Any], str], book: Any) -> str:
    """Run one button: its French summary as an alert, or one French alert for any failure,
    with the workbook left as it was."""
    queue = _actions(book)
    before = len(queue) if queue is not None else 0
    try:
        message = action(book)
    except Exception as exc:
        if queue is not None:
            del queue[before:]  # nothing half-painted reaches Excel
        if isinstance(exc, UserError):
            text, critical = str(exc), True
        else:
            text, critical = (
                "sofi-bulk a rencontré une erreur inattendue "
                f"({type(exc).__name__}) ; le classeur n'a pas été modifié. Signalez-la avec "
                "le classeur en cause, ou contrôlez-le avec « sofi-bulk validate ».",
                True,
            )
        alert(book, text, critical=critical)
        return text
    alert(book, message)
    return message


def _check(book: Any) -> ValidationResult:
    return check(read_book(book))


# --- the buttons --------------------------------------------------------------------------
def control(book: Any, *, checked_at: dt.datetime | None = None) -> str:
    """Check the workbook, clear an earlier run's marks, paint the new ones."""
    result = _check(book)
    annotation = plan(result, checked_at=checked_at)
    done = Painter(book, annotation).paint()
    return control_summary(annotation.summary, result, done)


def control_summary(summary: str, result: ValidationResult, done: Painted) -> str:
    lines = [f"Contrôle terminé : {summary}."]
    if result.errors or result.warnings:
        lines.append(
            "Les cellules en cause sont colorées (rouge : erreur, orange : avertissement) ; la "
            "feuille « Erreurs » les liste toutes, avec un lien vers chacune."
        )
    else:
        lines.append("Vous pouvez exporter la soumission et le fichier LHEO.")
    if done.notes_unsupported:
        lines.append(
            "Votre version d'Excel ne permet pas d'ajouter des notes : lisez les messages dans "
            "la feuille « Erreurs »."
        )
    elif done.notes_skipped:
        lines.append(
            f"Notes posées sur {plural(done.notes, 'cellule')} (au plus {fr_number(MAX_NOTES)}, "
            "et jamais par-dessus une note existante) : la feuille « Erreurs » donne le message "
            "de chaque cellule."
        )
    if done.links_skipped:
        lines.append(
            f"Liens vers les {fr_number(MAX_LINKS)} premières lignes de la feuille « Erreurs » "
            "seulement ; les suivantes donnent la cellule à atteindre."
        )
    return "\n".join(lines)


def erase(book: Any) -> str:
    """Remove the marks of the last check (fills, notes, statuses, « Erreurs » sheet)."""
    result = _check(book)
    done = Painter(book, plan(result)).erase()
    if not done.deleted_sheets:
        return (
            "Colonne « Contrôle » vidée. Aucune feuille « Erreurs » : il n'y avait pas d'autre "
            "marque du contrôle à effacer."
        )
    return (
        "Marques du contrôle effacées : couleurs, notes, colonne « Contrôle » et feuille "
        "« Erreurs »."
    )


def _refusal(result: ValidationResult) -> UserError:
    return UserError(
        f"Export refusé : {counts(len(result.errors), len(result.warnings))}. Cliquez sur "
        f"« {BUTTONS['controler']} », corrigez les cellules en rouge, puis recommencez. Rien "
        "n'a été écrit."
    )


def export_submission(book: Any, folder: Path | None = None) -> str:
    """Write the JSON submission to ``folder/soumission.json`` (nothing while errors remain)."""
    result = _check(book)
    if not result.ok:
        raise _refusal(result)
    data = to_submission(result)
    target = (folder or DATA_DIR) / "soumission.json"
    write_submission(data, target)
    n, f = data["header"]["session_count"], len(data["formations"])
    return (
        f"Soumission écrite : {target} ({plural(n, 'session')}, {plural(f, 'formation')}). "
        "Téléchargez-la depuis le panneau Files de xlwings Lite." + _warnings(result)
    )


def export_lheo(book: Any, folder: Path | None = None) -> str:
    """Write the LHEO 2.3 file, validated by the official XSD, to ``folder/offre.xml``."""
    result = _check(book)
    if not result.ok:
        raise _refusal(result)
    target = (folder or DATA_DIR) / "offre.xml"
    write_lheo(result, target)
    return (
        f"Fichier LHEO 2.3 écrit et validé par le XSD officiel : {target} "
        f"({plural(len(result.sessions), 'session')}). Téléchargez-le depuis le panneau Files "
        "de xlwings Lite." + _warnings(result)
    )


def _warnings(result: ValidationResult) -> str:
    if not result.warnings:
        return ""
    return f"\n{plural(len(result.warnings), 'avertissement')} : voir « {BUTTONS['controler']} »."
