"""French phrases built around a name: « de » elided and merged with the name's article."""

from __future__ import annotations

import pytest

from sofi_bulk.core.text import article, de


@pytest.mark.parametrize(
    ("name", "with_de", "with_article"),
    [
        ("Institut Ligérien de Formation", "de l'Institut Ligérien de Formation", None),
        ("Horizons Compétences", "d'Horizons Compétences", "Horizons Compétences"),
        ("Atlantique Compétences", "d'Atlantique Compétences", "Atlantique Compétences"),
        ("Bretagne Formation", "de Bretagne Formation", "Bretagne Formation"),
        ("AFPA", "d'AFPA", "AFPA"),
        ("Centre de formation X", "du Centre de formation X", "le Centre de formation X"),
        ("Maison familiale rurale", "de la Maison familiale rurale", None),
        ("Établissement Y", "de l'Établissement Y", "l'Établissement Y"),
        ("Le Centre Y", "du Centre Y", "Le Centre Y"),
        ("Les Compagnons du Devoir", "des Compagnons du Devoir", None),
        ("La Maison Z", "de la Maison Z", None),
        ("L'Atelier", "de L'Atelier", "L'Atelier"),
        ("Hauts Formation", "de Hauts Formation", None),  # h aspiré: no elision
        ("  Institut   X ", "de l'Institut X", "l'Institut X"),
    ],
)
def test_de_and_article(name, with_de, with_article):
    assert de(name) == with_de
    if with_article is not None:
        assert article(name) == with_article
