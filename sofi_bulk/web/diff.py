"""What changed between two deposits of an organisation: sessions added, removed, and
changed field by field. Sessions are matched by their FAS code, then, for those without
one on either side, by their session reference. Field names are the template's column
headers (from the catalogue), values are shown as the user typed them (dates jj/mm/aaaa)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sofi_bulk import api
from sofi_bulk.core.text import fr_date

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NESTED = {"dispositif", "referents"}
_CHILDREN = {
    "informations_collectives": "Information collective",
    "periodes_inscription": "Période d'inscription",
}


def label(key: str) -> str:
    return api.column_header(key)


def show(value: Any) -> str:
    """A JSON value as a person reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return fr_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    if isinstance(value, dict):
        for key, name in (("code", "libelle"), ("siret", "nom"), ("id", "nom")):
            if key in value:
                extra = " ".join(str(value.get(k) or "") for k in ("prenom", name)).strip()
                return f"{value[key]} - {extra}" if extra else str(value[key])
        return ", ".join(f"{k} : {show(v)}" for k, v in value.items())
    return str(value)


def flatten(formation: dict[str, Any], action: dict[str, Any], session: dict[str, Any]) -> dict:
    """One session and the formation and action it belongs to, as column -> value."""
    flat: dict[str, str] = {}
    for key, value in formation.items():
        if key != "actions":
            flat[label(key)] = show(value)
    for key, value in action.items():
        if key != "sessions":
            flat[label(key)] = show(value)
    for key, value in session.items():
        if key in _NESTED and isinstance(value, dict):
            for sub, item in value.items():
                flat[label(sub)] = show(item)
        elif key in _CHILDREN and isinstance(value, list):
            for n, child in enumerate(value, start=1):
                for sub, item in child.items():
                    flat[f"{_CHILDREN[key]} {n} : {label(sub)}"] = show(item)
        else:
            flat[label(key)] = show(value)
    return flat


def sessions(submission: dict[str, Any] | None) -> list[tuple[str, str, dict[str, str]]]:
    """(FAS code, session reference, flattened fields) of every session, in order."""
    out = []
    for formation in (submission or {}).get("formations", []):
        for action in formation.get("actions", []):
            for session in action.get("sessions", []):
                out.append(
                    (
                        str(session.get("fas_code") or ""),
                        str(session.get("session_ref") or ""),
                        flatten(formation, action, session),
                    )
                )
    return out


def _name(fas: str, ref: str) -> str:
    if fas and ref:
        return f"{ref} (code FAS {fas})"
    return ref or f"code FAS {fas}"


def compare(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """The difference between two submissions, as JSON-ready data."""
    old = sessions(before)
    new = sessions(after)
    matched: list[tuple[int, int]] = []
    free_old = set(range(len(old)))
    by_fas = {fas: i for i, (fas, _, _) in enumerate(old) if fas}
    unmatched_new = []
    for j, (fas, _, _) in enumerate(new):
        i = by_fas.get(fas) if fas else None
        if i is not None and i in free_old:
            matched.append((i, j))
            free_old.discard(i)
        else:
            unmatched_new.append(j)
    by_ref: dict[str, int] = {}
    for i in sorted(free_old):
        by_ref.setdefault(old[i][1], i)
    still_new = []
    for j in unmatched_new:
        fas, ref, _ = new[j]
        i = by_ref.get(ref) if ref else None
        if i is not None and i in free_old and not (fas and old[i][0]):
            matched.append((i, j))
            free_old.discard(i)
        else:
            still_new.append(j)
    changed = []
    unchanged = 0
    for i, j in sorted(matched, key=lambda pair: pair[1]):
        a, b = old[i][2], new[j][2]
        fields = [
            [key, a.get(key, ""), b.get(key, "")]
            for key in dict.fromkeys([*a, *b])
            if a.get(key, "") != b.get(key, "")
        ]
        if fields:
            changed.append({"session": _name(new[j][0], new[j][1]), "fields": fields})
        else:
            unchanged += 1
    return {
        "added": [_name(new[j][0], new[j][1]) for j in still_new],
        "removed": [_name(old[i][0], old[i][1]) for i in sorted(free_old)],
        "changed": changed,
        "unchanged": unchanged,
    }
