"""Documentation sections generated from the catalogue, the issue codes and the profile.

    python -m sofi_bulk.docs      # rewrites the marked sections of README.md,
                                  # docs/questions-cariforef.md, docs/lheo.md and
                                  # docs/regles.md

tests/test_docs.py fails when the README is stale, so the documentation cannot drift
from the declarations it describes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.fields import BY_KEY, FIELDS, LEVEL_LABELS, Kind
from sofi_bulk.core.issues import ISSUE_TYPES
from sofi_bulk.core.profile import OpenQuestion, load_profile
from sofi_bulk.core.referentiel_columns import REFERENTIEL_TABLES
from sofi_bulk.core.resources import PACKAGE_DIR
from sofi_bulk.core.rules import EVERY_FIELD, RULE_OF_CODE, RULES, Rule
from sofi_bulk.core.text import fr_number
from sofi_bulk.lheo.identifiers import made, organisme_number, part_of, reference
from sofi_bulk.lheo.mapping import (
    CONTACT_ROLE_BLOCK,
    EXPORTED_FIELDS,
    EXTRAS,
    NOT_EXPORTED,
    REFERENT_ROLES,
    lheo_doc,
)

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


def _fields_read(rule: Rule) -> str:
    """The fields a rule reads, as a reader finds them in the workbook."""
    if rule.reads == EVERY_FIELD:
        said = ["toutes les colonnes"]
    elif rule.kinds:
        kinds = ", ".join(f"« {kind.value} »" for kind in rule.kinds)
        said = [f"les colonnes de type {kinds} ({len(rule.reads)})"]
    else:
        said = [f"{BY_KEY[key].header} (`{key}`)" for key in rule.reads]
    if rule.profile_reads:
        profile = load_profile()
        named = ", ".join(BY_KEY[key].header for key in getattr(profile, rule.profile_reads))
        named = named or "aucune"
        said.append(f"les colonnes de `{rule.profile_reads}` du profil ({profile.label} : {named})")
    return " ; ".join(said) if said else "— (la structure du classeur)"


def _refuses(rule: Rule) -> str:
    if not rule.refuses:
        return "non"
    if set(rule.refuses) == set(rule.codes):
        return "oui"
    return "pour " + ", ".join(f"`{code}`" for code in rule.refuses)


def rules_table() -> str:
    """docs/regles.md: every rule, in the order it runs, with its codes and the fields it reads."""
    lines = [
        "| Règle | Étape | Ce qu'elle vérifie | Codes | Champs lus | Refuse la valeur | Où |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in RULES:
        codes = ", ".join(f"`{code}`" for code in rule.codes) or "— (aucun)"
        lines.append(
            f"| **{_cell(rule.name)}** | {rule.stage.value} | {_cell(rule.description)} "
            f"| {codes} | {_cell(_fields_read(rule))} | {_refuses(rule)} | `{rule.module}` |"
        )
    return "\n".join(lines)


def rules_by_code() -> str:
    """docs/regles.md: each issue code, its severity, the rule that emits it and what the
    rule reads."""
    lines = ["| Code | Gravité | Règle | Champs lus |", "|---|---|---|---|"]
    for code, kind in ISSUE_TYPES.items():
        rule = RULE_OF_CODE[code]
        severity = kind.severity.value + (" (réglable : `severities`)" if kind.adjustable else "")
        lines.append(
            f"| `{code}` | {severity} | {_cell(rule.name)} ({rule.stage.value}, "
            f"`{rule.module}`) | {_cell(_fields_read(rule))} |"
        )
    return "\n".join(lines)


def open_questions() -> str:
    """The README's short list: each open point, today's choice, its setting."""
    profile = load_profile()
    return "\n".join(f"- **{q.sujet}** : {q.choix} ({_where(q)})" for q in profile.open_questions)


def _where(question: OpenQuestion) -> str:
    where = ", ".join(f"`{path}`" for path in question.reglages)
    if where and question.ailleurs:
        return f"réglage {where} ; {question.ailleurs}"
    return f"réglage {where}" if where else question.ailleurs


def questions_detail() -> str:
    """docs/questions-cariforef.md: each point the procedure leaves open, in full."""
    profile = load_profile()
    parts = []
    for n, q in enumerate(profile.open_questions, start=1):
        parts.append(
            f"### {n}. {q.sujet}\n\n"
            f"**Question.** {q.question}\n\n"
            f"**Choix d'aujourd'hui.** {q.choix}\n\n"
            f"**Où il se règle.** {_where(q)[:1].upper() + _where(q)[1:]}."
        )
    return "\n\n".join(parts)


def required_overrides() -> str:
    """Fields the programme does not require as SOFI marks them, and why."""
    profile = load_profile()
    lines = []
    for key, required in profile.required.items():
        fld = BY_KEY[key]
        what = "obligatoire" if required else "facultatif"
        sofi = "marqué d'une étoile" if fld.required else "sans étoile"
        lines.append(
            f"- **{fld.header}** ({sofi} dans SOFI) : {what} pour {profile.label}. "
            f"{profile.required_reasons[key]}"
        )
    return "\n".join(lines) or "- (aucun)"


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


def lheo_fields_table() -> str:
    """docs/lheo.md §2: where every field lands, from the one mapping table."""
    lines = ["| Champ (en-tête) | Niveau | Clé | Élément(s) LHEO |", "|---|---|---|---|"]
    for fld in FIELDS:
        if fld.key in NOT_EXPORTED:
            where = "non exporté (voir §4)"
        else:
            where = "<br>".join(f"`{path}`" for path in EXPORTED_FIELDS[fld.key])
        lines.append(f"| {_cell(fld.header)} | {LEVEL_LABELS[fld.level]} | `{fld.key}` | {where} |")
    return "\n".join(lines)


def lheo_identifiers_table() -> str:
    """docs/lheo.md §1.4: the number of each element, with examples made by the code."""
    siret = "44198765800016"
    rows = [
        ("`formation/@numero`", "la ligne a un code FAS", "le code F", "19482"),
        (
            "",
            "formation nouvelle",
            "`SB-F-` + SIRET de l'organisme + `-` + Réf. action de sa première action "
            "(à défaut, Réf. session de sa première session)",
            made("formation", siret, reference("A-NANTES")),
        ),
        (
            "",
            "autre partie d'une formation coupée (§1.2)",
            "numéro de la formation (précédé de `SB-F-` si c'est un code SOFI) + `-` + Réf. "
            "session de la première session de la partie",
            part_of("formation", "19482", "S003"),
        ),
        ("`action/@numero`", "la ligne a un code A", "le code A", "89393"),
        (
            "",
            "action nouvelle",
            "`SB-A-` + SIRET + `-` + Réf. action (à défaut, Réf. session de sa première session)",
            made("action", siret, reference("A-NANTES")),
        ),
        (
            "",
            "autre partie d'une action coupée (§1.2)",
            "numéro de l'action (précédé de `SB-A-` si c'est un code SOFI) + `-` + Réf. "
            "session de la première session de la partie",
            part_of("action", "89393", "S002"),
        ),
        ("`session/@numero`", "la ligne a un code S", "le code S", "143842"),
        (
            "",
            "session nouvelle",
            "`SB-S-` + SIRET + `-` + Réf. session",
            made("session", siret, reference("S002")),
        ),
        (
            "`organisme-formation-responsable/@numero`, `organisme-formateur/@numero`",
            "le référentiel donne le « Numéro d'organisme »",
            "ce numéro (celui du Carif-Oref)",
            organisme_number({"siret": siret, "numero_organisme": "OF_44_0001"}),
        ),
        (
            "",
            "sinon",
            "`SB-O-` + SIRET",
            organisme_number({"siret": siret}),
        ),
    ]
    lines = ["| Élément | Cas | Numéro | Exemple |", "|---|---|---|---|"]
    lines += [f"| {e} | {c} | {_cell(n)} | `{x}` |" for e, c, n, x in rows]
    return "\n".join(lines)


SECTIONS = {
    "champs": fields_table,
    "controles": checks_table,
    "questions": open_questions,
    "obligatoires": required_overrides,
    "extras": extras_table,
    "referentiel": referentiel_table,
}
QUESTIONS = PACKAGE_DIR.parent / "docs" / "questions-cariforef.md"
QUESTIONS_SECTIONS = {"questions-detail": questions_detail}
LHEO_DOC = PACKAGE_DIR.parent / "docs" / "lheo.md"
LHEO_SECTIONS = {"lheo-champs": lheo_fields_table, "lheo-identifiants": lheo_identifiers_table}
RULES_DOC = PACKAGE_DIR.parent / "docs" / "regles.md"
RULES_SECTIONS = {"regles": rules_table, "regles-codes": rules_by_code}


def render(text: str, sections: dict[str, Callable[[], str]] | None = None) -> str:
    for name, make in (SECTIONS if sections is None else sections).items():
        pattern = re.compile(rf"(<!-- debut:{name} -->\n)(?:.*?\n)?(<!-- fin:{name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"section {name}: markers missing")
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)  # noqa: B023
    return text


def main() -> None:
    if len(sys.argv) > 1:
        targets = [(Path(sys.argv[1]), SECTIONS)]
    else:
        targets = [
            (README, SECTIONS),
            (QUESTIONS, QUESTIONS_SECTIONS),
            (LHEO_DOC, LHEO_SECTIONS),
            (RULES_DOC, RULES_SECTIONS),
        ]
    for path, sections in targets:
        path.write_text(render(path.read_text(encoding="utf-8"), sections), encoding="utf-8")
        print(f"Sections régénérées : {path}")


if __name__ == "__main__":
    main()
