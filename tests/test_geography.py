"""The INSEE tables behind adresse/departement and adresse/region: the facts they must hold,
and the département of a postcode, Corsica and overseas included."""

from __future__ import annotations

import pytest

from sofi_bulk.lheo.geography import (
    departement_of,
    departements,
    overseas_collectivities,
    region_of,
    regions,
)


def test_the_tables_hold_101_departements_and_18_regions():
    deps = departements()
    assert len(deps) == 101
    assert len([d for d in deps if len(d) == 2]) == 96  # metropolitan, 2A and 2B included
    assert sorted(d for d in deps if len(d) == 3) == ["971", "972", "973", "974", "976"]
    assert "20" not in deps and {"2A", "2B"} <= deps.keys()
    assert len(regions()) == 18
    assert set(deps.values()) == set(regions())  # every région has a département, and back
    assert sorted(overseas_collectivities()) == [
        "975",
        "977",
        "978",
        "984",
        "986",
        "987",
        "988",
        "989",
    ]
    assert not overseas_collectivities().keys() & deps.keys()


@pytest.mark.parametrize(
    ("region", "name", "count"),
    [
        ("52", "Pays de la Loire", 5),
        ("11", "Île-de-France", 8),
        ("53", "Bretagne", 4),
        ("94", "Corse", 2),
        ("75", "Nouvelle-Aquitaine", 12),
        ("84", "Auvergne-Rhône-Alpes", 12),
        ("06", "Mayotte", 1),
    ],
)
def test_known_regions_and_their_departement_counts(region, name, count):
    assert regions()[region] == name
    assert sum(1 for r in departements().values() if r == region) == count


def test_pays_de_la_loire_is_region_52():
    assert [d for d, r in departements().items() if r == "52"] == ["44", "49", "53", "72", "85"]


@pytest.mark.parametrize(
    ("postcode", "insee", "departement", "region"),
    [
        ("44000", None, "44", "52"),  # Nantes
        ("49100", None, "49", "52"),  # Angers
        ("53000", None, "53", "52"),  # Laval
        ("72000", None, "72", "52"),  # Le Mans
        ("85000", None, "85", "52"),  # La Roche-sur-Yon
        ("01000", None, "01", "84"),  # a leading zero kept
        ("75015", None, "75", "11"),
        ("20000", None, "2A", "94"),  # Ajaccio
        ("20169", None, "2A", "94"),  # Bonifacio
        ("20200", None, "2B", "94"),  # Bastia
        ("20600", None, "2B", "94"),  # Bastia, Furiani
        ("97110", None, "971", "01"),  # Pointe-à-Pitre
        ("97200", None, "972", "02"),
        ("97300", None, "973", "03"),
        ("97400", None, "974", "04"),  # Saint-Denis de La Réunion
        ("97600", None, "976", "06"),  # Mamoudzou
        ("97500", None, "975", None),  # Saint-Pierre-et-Miquelon: no région
        ("98800", None, "988", None),  # Nouméa
        ("97133", "97701", "977", None),  # Saint-Barthélemy: its INSEE code settles it
        ("20167", "2A004", "2A", "94"),
        ("44000", "44109", "44", "52"),
        ("44000", "2b033", "2B", "94"),  # the commune's code wins over the postcode
        ("98000", None, None, None),  # Monaco: not France
        ("00100", None, None, None),
        ("4400", None, None, None),
        ("", None, None, None),
        (None, None, None, None),
        ("ABCDE", None, None, None),
        ("44000", "99999", "44", "52"),  # an unknown INSEE code: the postcode decides
    ],
)
def test_departement_and_region_of_an_address(postcode, insee, departement, region):
    assert departement_of(postcode, insee) == departement
    assert region_of(departement) == region
