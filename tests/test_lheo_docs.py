"""docs/lheo.md and docs/questions-cariforef.md say what the LHEO export does with numbers
and geography: the examples of the identifier table are made by the code itself."""

from __future__ import annotations

from sofi_bulk.docs import LHEO_DOC, LHEO_SECTIONS, QUESTIONS, render
from sofi_bulk.lheo.identifiers import PREFIX, made, part_of


def test_the_identifier_rule_and_its_examples_are_in_the_lheo_doc():
    text = LHEO_DOC.read_text(encoding="utf-8")
    assert render(text, LHEO_SECTIONS) == text, "run python -m sofi_bulk.docs"
    rule = text.split("### 1.4 Identifiants")[1].split("### 1.5")[0]
    for example in (
        made("session", "44198765800016", "S002"),
        part_of("action", "89393", "S002"),
        f"{PREFIX}-O-44198765800016",
    ):
        assert f"`{example}`" in rule
    geography = text.split("### 1.5 Géographie des adresses")[1].split("### 1.6")[0]
    for fact in ("`52` pour les Pays de la Loire", "`2A`", "`2B`", "`971`", "INSEE"):
        assert fact in geography


def test_the_open_question_on_numbers_is_asked():
    text = QUESTIONS.read_text(encoding="utf-8")
    section = text.split("## Identifiants du fichier LHEO")[1]
    assert "Quel numéro pour ce qui n'est pas encore dans SOFI ?" in section
    assert f"`{PREFIX}-`" in section and "sofi_bulk/lheo/identifiers.py" in section
