"""A submission as a JSON file: written the same way by every face, read back with
French reasons for anything that is not a coherent sofi-bulk submission."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

from sofi_bulk.core.comparisons import COMPARISONS, comparable
from sofi_bulk.core.errors import UserError, os_reason
from sofi_bulk.core.fields import BY_KEY, Kind
from sofi_bulk.core.identity import CREATION, DESACTIVATION, INACTIVE, MODIFICATION, FasCode
from sofi_bulk.core.profile import available_profiles
from sofi_bulk.core.text import fr_number, plural
from sofi_bulk.submission.models import FORMAT, READ_FORMATS

MAX_JSON_BYTES = 200 * 1024 * 1024
# where the rows of a child sheet sit inside a session of the submission
CHILD_LISTS = {
    "information_collective": "informations_collectives",
    "periode_inscription": "periodes_inscription",
}


EXPANDED_DEPTH = 5  # header, codes, formations → actions → sessions: each session on its line


def dumps(data: dict[str, Any]) -> str:
    """The submission as a JSON file people can read: indented down to the sessions, one
    line per session. Python's fast encoder only writes compact JSON, so the outer levels
    are laid out here and each session is encoded in one go (ten times faster than
    ``indent=2`` on a large offer)."""
    parts: list[str] = []
    _emit(data, 0, parts)
    parts.append("\n")
    return "".join(parts)


def _emit(node: Any, depth: int, out: list[str]) -> None:
    if depth > EXPANDED_DEPTH or not isinstance(node, dict | list) or not node:
        out.append(json.dumps(node, ensure_ascii=False, separators=(", ", ": ")))
        return
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(node, dict):
        out.append("{")
        for i, (key, value) in enumerate(node.items()):
            out.append(
                ("," if i else "") + "\n" + inner + json.dumps(key, ensure_ascii=False) + ": "
            )
            _emit(value, depth + 1, out)
        out.append("\n" + pad + "}")
    else:
        out.append("[")
        for i, value in enumerate(node):
            out.append(("," if i else "") + "\n" + inner)
            _emit(value, depth + 1, out)
        out.append("\n" + pad + "]")


def check_submission(data: dict[str, Any]) -> list[str]:
    """What a schema cannot say about a submission read back from a file (French)."""
    problems = []
    header = data["header"]
    if header["programme"] not in available_profiles():
        problems.append(
            f"header.programme : programme « {header['programme']} » inconnu "
            f"(programmes connus : {', '.join(available_profiles())})."
        )
    sessions = [
        (f, a, s)
        for f, formation in enumerate(data["formations"])
        for a, action in enumerate(formation["actions"])
        for s, _ in enumerate(action["sessions"])
    ]
    if header["session_count"] != len(sessions):
        problems.append(
            f"header.session_count : {header['session_count']} annoncée(s), {len(sessions)} "
            "présente(s)."
        )
    problems += _identity_problems(data) + _numbering_problems(data) + _code_problems(data)
    for f, a, s in sessions:
        session = data["formations"][f]["actions"][a]["sessions"][s]
        where = f"formations[{f}].actions[{a}].sessions[{s}]"
        for c in COMPARISONS:
            if c.json_message is None:  # a comparison the sheet's check alone makes
                continue
            group = BY_KEY[c.key].group
            if group in CHILD_LISTS:
                rows = [
                    (f"{where}.{CHILD_LISTS[group]}[{k}]", row)
                    for k, row in enumerate(session.get(CHILD_LISTS[group], []))
                ]
            else:
                rows = [(where, session)]
            for path, row in rows:
                value = row.get(c.key)
                other = (row if c.scope == "row" else session).get(c.other)
                if value is None or other is None:
                    continue
                value, other = comparable(value), comparable(other)
                if type(value) is type(other) and not c.holds(value, other):
                    problems.append(f"{path}.{c.key} : {c.json_message}")
    return problems


def _identity_problems(data: dict[str, Any]) -> list[str]:
    """The SOFI codes of each level agree with the session's FAS code and operation."""
    problems = []
    for f, formation in enumerate(data["formations"]):
        for a, action in enumerate(formation["actions"]):
            for s, session in enumerate(action["sessions"]):
                where = f"formations[{f}].actions[{a}].sessions[{s}]"
                fas = FasCode.parse(session["fas_code"]) if session.get("fas_code") else None
                found = (
                    formation.get("sofi_code"),
                    action.get("sofi_code"),
                    session.get("sofi_code"),
                )
                wanted = (fas.formation, fas.action, fas.session) if fas else (None, None, None)
                if found != wanted:
                    shown = "-".join(p or "…" for p in found)
                    problems.append(
                        f"{where}.fas_code : « {session.get('fas_code') or ''} » ne correspond "
                        f"pas aux codes SOFI de la formation, de l'action et de la session "
                        f"({shown})."
                    )
                if session.get("session_state") == INACTIVE and not session.get("sofi_code"):
                    problems.append(
                        f"{where}.session_state : « inactif » sur une session sans code SOFI ; "
                        "seule une session existante peut être désactivée."
                    )
                if "session_state" in session and data["header"]["format"] != FORMAT:
                    problems.append(
                        f"{where}.session_state : absent du format « "
                        f"{data['header']['format']} » (il vient avec « {FORMAT} »)."
                    )
                operation = MODIFICATION if session.get("sofi_code") else CREATION
                if operation == MODIFICATION and session.get("session_state") == INACTIVE:
                    operation = DESACTIVATION
                if session["operation"] != operation:
                    has = "a un" if session.get("sofi_code") else "n'a pas de"
                    problems.append(
                        f"{where}.operation : « {session['operation']} » alors que la session "
                        f"{has} code SOFI."
                    )
    return problems


# each numbered level: its name and its parent's, with their articles (French elision)
_NUMBERED = {"action": ("l'action", "la formation"), "session": ("la session", "l'action")}


def _numbering_problems(data: dict[str, Any]) -> list[str]:
    """SOFI numbers are unique across SOFI: an action code belongs to one formation code, a
    session code to one action code (as the check says of the workbook's FAS codes). Whether
    a modified session had ended is the check's business: the file keeps no check date."""
    problems = []
    parents: dict[tuple[str, str], tuple[str, str]] = {}  # (level, code) -> parent code, path
    for f, formation in enumerate(data["formations"]):
        for a, action in enumerate(formation["actions"]):
            where = f"formations[{f}].actions[{a}]"
            numbered = [("action", action.get("sofi_code"), formation.get("sofi_code"), where)]
            numbered += [
                ("session", s.get("sofi_code"), action.get("sofi_code"), f"{where}.sessions[{k}]")
                for k, s in enumerate(action["sessions"])
            ]
            for level, code, parent, path in numbered:
                if not code or not parent:
                    continue
                other, first = parents.setdefault((level, code), (parent, path))
                if other != parent:
                    name, above = _NUMBERED[level]
                    problems.append(
                        f"{path}.sofi_code : {name} SOFI {code} est ici de {above} {parent}, "
                        f"mais de {above} {other} en {first} ; un numéro SOFI désigne un seul "
                        "objet dans tout SOFI."
                    )
    return problems


def _code_problems(data: dict[str, Any]) -> list[str]:
    """Every code of the offer is described in ``codes``."""
    problems = []
    described = data.get("codes", {})

    def visit(node: Any, path: str) -> None:
        if isinstance(node, list):
            for k, item in enumerate(node):
                visit(item, f"{path}[{k}]")
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            fld = BY_KEY.get(key)
            if fld is not None and fld.kind is Kind.CODE and not isinstance(value, dict):
                for code in value if isinstance(value, list) else [value]:
                    if code not in described.get(key, {}).get("values", {}):
                        problems.append(
                            f"{here} : le code « {code} » n'est pas décrit dans codes.{key}."
                        )
            else:
                visit(value, here)

    visit(data["formations"], "formations")
    return problems


def loads_submission(raw: bytes, name: str, *, fast: bool = False) -> dict[str, Any]:
    """A submission from the bytes of a JSON file, refusing anything else plainly.

    ``fast``: the document is first checked by the models the JSON Schema is generated from
    (pydantic, strict, in Rust: a large offer in a fraction of the schema's time); only a
    document they refuse goes through the schema, for its French reasons."""
    from sofi_bulk.submission.schema import schema_problems

    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UserError(
            f"{name} : ce n'est pas un fichier JSON (texte UTF-8 attendu) ; donnez la soumission "
            "écrite par « sofi-bulk export » ou le classeur .xlsx."
        ) from None
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{name} : ce n'est pas un JSON valide (ligne {exc.lineno}, colonne {exc.colno} : "
            "syntaxe incorrecte) ; donnez la soumission écrite par « sofi-bulk export »."
        ) from None
    except RecursionError:
        raise UserError(
            f"{name} : JSON imbriqué à l'excès ; ce n'est pas une soumission sofi-bulk."
        ) from None
    except ValueError:  # an integer past Python's limit of digits
        digits = fr_number(sys.get_int_max_str_digits())
        raise UserError(
            f"{name} : un nombre y a plus de {digits} chiffres ; ce n'est pas une soumission "
            "sofi-bulk."
        ) from None
    header = data.get("header") if isinstance(data, dict) else None
    version = header.get("format") if isinstance(header, dict) else None
    if (
        isinstance(version, str)
        and version.startswith("sofi-bulk/soumission")
        and version not in READ_FORMATS
    ):
        raise UserError(
            f"{name} : soumission au format « {version} », que cette version de sofi-bulk ne lit "
            f"pas (elle lit « {' », « '.join(READ_FORMATS)} »). Exportez-la à nouveau depuis le "
            "classeur : sofi-bulk export saisie.xlsx -o soumission.json."
        )
    found = [] if fast and _models_accept(raw) else schema_problems(data)
    if found:
        lines = "\n".join(f"- {line}" for line in found[:20])
        more = f"\n- … et {len(found) - 20} autre(s)." if len(found) > 20 else ""
        raise UserError(
            f"{name} : ce n'est pas une soumission sofi-bulk valide "
            f"({plural(len(found), 'problème')}) "
            f":\n{lines}{more}"
        )
    problems = check_submission(data)
    if problems:
        raise UserError(
            f"{name} : soumission incohérente :\n" + "\n".join(f"- {p}" for p in problems)
        )
    return data


def _models_accept(raw: bytes) -> bool:
    from pydantic import ValidationError

    from sofi_bulk.submission.models import Submission

    try:
        Submission.model_validate_json(raw, strict=True)
    except (ValidationError, ValueError, RecursionError):
        return False
    return True


def load_submission_json(path: Path) -> dict[str, Any]:
    """Read a submission JSON written by « sofi-bulk export »."""
    name = path.name
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe is never opened: it would not end
            raise UserError(
                f"{name} : ce n'est pas un fichier ordinaire (dossier, tube nommé, "
                "périphérique ?) ; donnez la soumission écrite par « sofi-bulk export »."
            )
        if path.stat().st_size > MAX_JSON_BYTES:
            raise UserError(
                f"{name} : fichier trop volumineux pour une soumission "
                f"({path.stat().st_size // 2**20} Mio)."
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{name} : fichier introuvable.") from None
    except OSError as exc:
        raise UserError(f"{name} : fichier illisible ({os_reason(exc)}).") from exc
    return loads_submission(raw, name)
