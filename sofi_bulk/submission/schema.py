"""The submission's JSON Schema: generated from the models, and checked with jsonschema.

    python -m sofi_bulk.submission.schema      # rewrites schemas/submission.schema.json

Its errors are turned into French lines naming the JSON path, for a submission read back
from a file.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from sofi_bulk.core.resources import PACKAGE_DIR, submission_schema
from sofi_bulk.submission.models import submission_schema as model_schema


def schema_text() -> str:
    return json.dumps(model_schema(), ensure_ascii=False, indent=2) + "\n"


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """The same schema with every local $ref replaced by its target: resolving thousands
    of $ref at validation time costs more than the checks themselves."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline_refs(defs[ref.rsplit("/", 1)[-1]], defs)
            siblings = {k: _inline_refs(v, defs) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings}
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


@cache
def _schema_validator() -> Any:
    schema = json.loads(submission_schema().read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    flat = _inline_refs(schema, schema.get("$defs", {}))
    return cls(flat, format_checker=cls.FORMAT_CHECKER)


def check_schema(data: dict[str, Any]) -> None:
    """Assert that a submission we built matches the published schema (a bug otherwise)."""
    validator = _schema_validator()
    if not validator.is_valid(data):
        errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.path])
        first = errors[0]
        where = "/".join(str(p) for p in first.path)
        raise AssertionError(
            f"submission does not match its JSON Schema at {where}: {first.message}"
        )


@cache
def _submission_validator() -> Any:
    schema = json.loads(submission_schema().read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_problems(data: Any) -> list[str]:
    """French lines (JSON path : reason) for everything the schema refuses in ``data``."""
    errors = sorted(
        _submission_validator().iter_errors(data),
        key=lambda e: (list(map(str, e.path)), e.validator),
    )
    found = [f"{where} : {reason}" for e in errors for where, reason in _schema_problems(e)]
    return list(dict.fromkeys(found))


def _json_path(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(racine)"


def _schema_problems(error: jsonschema.ValidationError) -> list[tuple[str, str]]:
    """(JSON path, French reason) for a JSON Schema error; nullable fields: the non-null branch."""
    path = _json_path(error.absolute_path)
    if error.validator in ("anyOf", "oneOf") and error.context:
        useful = [
            e for e in error.context if not (e.validator == "type" and e.validator_value == "null")
        ]
        if useful:
            return _schema_problems(min(useful, key=lambda e: len(list(e.relative_path))))
    v, value, instance = error.validator, error.validator_value, error.instance
    if v == "not" and isinstance(error.schema, dict) and "description" in error.schema:
        return [(path, error.schema["description"])]  # a rule of the procedure, said in French
    if v == "required":
        name = error.message.split("'")[1] if "'" in error.message else "?"
        return [(_join(path, name), "champ obligatoire absent.")]
    if v == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        return [
            (_join(path, k), "champ inconnu d'une soumission sofi-bulk ; retirez-le.")
            for k in sorted(set(instance) - known)
        ]
    shown = json.dumps(instance, ensure_ascii=False)
    shown = shown if len(shown) <= 60 else shown[:60] + "…"
    types = {
        "string": "un texte",
        "integer": "un nombre entier",
        "number": "un nombre",
        "array": "une liste",
        "object": "un objet",
        "boolean": "vrai/faux",
        "null": "null",
    }
    wanted = (
        types.get(value, value)
        if isinstance(value, str)
        else " ou ".join(str(types.get(t, t)) for t in value)
        if isinstance(value, list)
        else value
    )
    messages = {
        "type": f"{shown} n'est pas {wanted}.",
        "enum": f"valeur {shown} non admise (valeurs admises : {', '.join(map(str, value or []))})."
        if isinstance(value, list)
        else "",
        "const": f"valeur {shown} non admise (attendu : {value}).",
        "maxLength": f"texte trop long ({len(instance) if isinstance(instance, str) else '?'} "
        "caractères, "
        f"{value} au plus).",
        "minLength": "texte vide.",
        "minimum": f"{shown} est inférieur au minimum ({value}).",
        "maximum": f"{shown} dépasse le maximum ({value}).",
        "minItems": f"liste vide ou trop courte ({value} élément(s) au moins).",
        "pattern": f"{shown} n'a pas la forme attendue.",
        "format": f"{shown} n'est pas une date valide (AAAA-MM-JJ)."
        if value == "date"
        else f"{shown} n'est pas au format {value}.",
    }
    return [(path, messages.get(v) or f"valeur {shown} refusée (règle « {v} » du schéma).")]


def _join(path: str, name: str) -> str:
    return name if path == "(racine)" else f"{path}.{name}"


def main() -> None:
    target = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else PACKAGE_DIR.parent / "schemas" / "submission.schema.json"
    )
    target.write_text(schema_text(), encoding="utf-8")
    print(f"Schéma écrit : {target}")


if __name__ == "__main__":
    main()
