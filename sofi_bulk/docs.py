"""README sections generated from the catalogue, the issue codes and the profile.

    python -m sofi_bulk.docs      # rewrites the marked sections of README.md

tests/test_docs.py fails when the README is stale, so the documentation cannot drift
from the declarations it describes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.fields import BY_KEY, FIELDS, LEVEL_LABELS, Kind
from sofi_bulk.core.issues import ISSUE_TYPES
from sofi_bulk.core.profile import load_profile
from sofi_bulk.core.referentiel_columns import REFERENTIEL_TABLES
from sofi_bulk.core.resources import PACKAGE_DIR
from sofi_bulk.core.text import fr_number
from sofi_bulk.lheo.mapping import CONTACT_ROLE_BLOCK, EXTRAS, REFERENT_ROLES, lheo_doc

README = PACKAGE_DIR.parent / "README.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def fields_table() -> str:
    profile = load_profile()
    lines = [
        "| Feuille | Colonne | Niveau | Obl. | Type | Valeurs / limites | LHEO 2.3 |",
        "|---|---|---|---|---|---|---|",
    ]
    for fld in FIELDS:
        if fld.kind is Kind.CODE:
            limits = f"liste « {table_of(fld).title} »"
        elif fld.max_length:
            limits = f"≤ {fld.max_length} car."
        elif fld.min_value is not None and fld.max_value is not None:
            limits = f"{fr_number(fld.min_value)} à {fr_number(fld.max_value)}"
        else:
            limits = ""
        if fld.key in profile.fixed:
            limits = (limits + ", " if limits else "") + "**imposé**"
        elif fld.key in profile.defaults:
            limits = (limits + ", " if limits else "") + "pré-rempli"
        required = "oui" if profile.is_required(fld.key) else ""
        lheo = lheo_doc(fld.key)
        lines.append(
            f"| {fld.sheet} | {_cell(fld.header)} | {LEVEL_LABELS[fld.level]} | {required} | "
            f"{fld.kind.value} "
            f"| {_cell(limits)} | `{_cell(lheo)}` |"
        )
    return "\n".join(lines)


def checks_table() -> str:
    lines = ["| Code | Gravité | Contrôle |", "|---|---|---|"]
    for code, kind in ISSUE_TYPES.items():
        lines.append(f"| `{code}` | {kind.severity.value} | {_cell(kind.title)} |")
    return "\n".join(lines)


def open_questions() -> str:
    profile = load_profile()
    return "\n".join(
        f"- **{BY_KEY[key].header if key in BY_KEY else key}** : {text}"
        for key, text in profile.open_questions.items()
    )


def extras_table() -> str:
    """The LHEO extension blocks and their stable keys, from the mapping table."""
    lines = ["| Conteneur `extras/@info` (où) | Clés `extra/@info` |", "|---|---|"]
    for name, block in EXTRAS.items():
        keys = ", ".join(f"`{e.info}`" + (f" ({e.note})" if e.note else "") for e in block.extras)
        lines.append(f"| `{name}` ({block.where}) | {keys} |")
    info, holder, key = CONTACT_ROLE_BLOCK
    roles = ", ".join(f"`{role}`" for role, _ in REFERENT_ROLES.values())
    lines.append(f"| `{info}` ({holder}) | `{key}` : {roles} |")
    return "\n".join(lines)


def referentiel_table() -> str:
    """The référentiel's columns: the label, the technical name and every header accepted."""
    lines = [
        "| Feuille (ou fichier) | En-tête | Obl. | Autres en-têtes acceptés | Contenu |",
        "|---|---|---|---|---|",
    ]
    for table in REFERENTIEL_TABLES.values():
        for col in table.columns:
            others = ", ".join(h for h in col.headers if h != col.title)
            lines.append(
                f"| {table.label} | {_cell(col.title)} | {'oui' if col.required else ''} | "
                f"{_cell(others)} | {_cell(col.help)} |"
            )
    return "\n".join(lines)


SECTIONS = {
    "champs": fields_table,
    "controles": checks_table,
    "questions": open_questions,
    "extras": extras_table,
    "referentiel": referentiel_table,
}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- debut:{name} -->\n)(?:.*?\n)?(<!-- fin:{name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README: section {name} markers missing")
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)  # noqa: B023
    return text


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else README
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"Sections régénérées : {path}")


if __name__ == "__main__":
    main()
