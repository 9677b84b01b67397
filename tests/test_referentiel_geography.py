"""The référentiel's optional columns for LHEO's readers: a site's commune (INSEE code) and
coordinates, an organisme's Carif-Oref number. Read under any accepted header, refused with
the cell when wrong, listed by « referentiel verifier » when missing, and left out of an
embedded copy when empty (an older workbook keeps its fingerprint)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from sofi_bulk.core.referentiel import Referentiel, ReferentielError, as_record, geography_gaps
from sofi_bulk.core.referentiel_columns import REFERENTIEL_TABLES
from sofi_bulk.excel.referentiel import load_referentiel
from tests.conftest import ROOT, run_cli

CSV = ROOT / "examples" / "referentiel-csv"
NEW = {"code_insee", "latitude", "longitude", "numero_organisme"}


def _folder(tmp_path, table: str, edit) -> object:
    folder = tmp_path / "ref"
    shutil.copytree(CSV, folder)
    path = folder / f"{table}.csv"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def test_the_example_gives_communes_and_coordinates(referentiel):
    site = referentiel.sites["36364"]
    assert (site.code_insee, site.latitude, site.longitude) == ("44109", "47.2130", "-1.5585")
    assert site.located
    lacking = referentiel.sites["52019"]
    assert lacking.code_insee == "44184" and not lacking.located


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("Code INSEE commune;Latitude;Longitude", ("44109", "47.2130", "-1.5585")),
        ("Code commune INSEE;Lat;Lng", ("44109", "47.2130", "-1.5585")),
        ("COG;LATITUDE (WGS 84);longitude wgs84", ("44109", "47.2130", "-1.5585")),
        ("code_insee_commune;latitude;longitude", ("44109", "47.2130", "-1.5585")),
    ],
)
def test_geography_columns_are_read_under_their_accepted_headers(tmp_path, headers, expected):
    folder = _folder(
        tmp_path,
        "sites",
        lambda text: text.replace("code_insee_commune;latitude;longitude", headers, 1),
    )
    ref = load_referentiel(folder)
    site = ref.sites["36364"]
    assert (site.code_insee, site.latitude, site.longitude) == expected
    assert not ref.warnings


def test_values_as_spreadsheets_write_them_are_understood(tmp_path):
    folder = _folder(
        tmp_path,
        "sites",
        lambda text: text.replace("44109;47.2130;-1.5585", "2a004;47,2130; -1,5585", 1).replace(
            "85191;46.6705", "1004;4.66705E+01", 1
        ),
    )
    ref = load_referentiel(folder)
    assert (ref.sites["36364"].code_insee, ref.sites["36364"].latitude) == ("2A004", "47.2130")
    assert ref.sites["36364"].longitude == "-1.5585"
    assert ref.sites["41250"].code_insee == "01004"  # a leading zero lost by a spreadsheet
    assert ref.sites["41250"].latitude == "46.6705"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("44109;47.2130", "4410;47.2130", None),  # four digits: a lost zero, accepted
        ("44109;47.2130", "441090;47.2130", r"ligne 2.*code_insee_commune.*\(G2\).*INSEE"),
        ("44109;47.2130", "2C004;47.2130", r"code INSEE de commune « 2C004 » invalide"),
        ("47.2130;-1.5585", "97.2130;-1.5585", r"\(H2\).*latitude « 97.2130 » invalide"),
        ("47.2130;-1.5585", "47.2130;-181", r"\(I2\).*longitude « -181 » invalide"),
        ("47.2130;-1.5585", "47.2130;ouest", r"longitude « ouest » invalide.*-180 et 180"),
    ],
)
def test_wrong_geography_is_refused_naming_the_cell(tmp_path, old, new, message):
    folder = _folder(tmp_path, "sites", lambda text: text.replace(old, new, 1))
    if message is None:
        assert load_referentiel(folder).sites["36364"].code_insee == "04410"
        return
    with pytest.raises(ReferentielError, match=message):
        load_referentiel(folder)


def test_an_organisme_number_is_read_and_exported_in_the_copy(tmp_path):
    folder = _folder(
        tmp_path,
        "organismes",
        lambda text: text.replace("email\n", "email;Numéro d'organisme\n", 1).replace(
            "contact@ilf-formation.fr\n", "contact@ilf-formation.fr;OF_44_0001\n", 1
        ),
    )
    ref = load_referentiel(folder)
    assert ref.organismes["44198765800016"].numero_organisme == "OF_44_0001"
    assert ref.organismes["49281345600018"].numero_organisme == ""
    copy = json.loads(ref.to_json())
    numbers = {o["siret"]: o.get("numero_organisme") for o in copy["organismes"]}
    assert numbers["44198765800016"] == "OF_44_0001"
    assert "numero_organisme" not in next(
        o for o in copy["organismes"] if o["siret"] == "49281345600018"
    )
    assert Referentiel.from_json(ref.to_json()).fingerprint() == ref.fingerprint()


def test_columns_added_for_lheo_leave_an_older_copy_its_fingerprint(referentiel):
    """A workbook made before these columns carries a copy without them: read back, the copy
    must give the same JSON, hence the same fingerprint, or the check would refuse it."""
    sites = {
        k: replace(s, code_insee="", latitude="", longitude="")
        for k, s in referentiel.sites.items()
    }
    organismes = {k: replace(o, numero_organisme="") for k, o in referentiel.organismes.items()}
    bare = Referentiel(referentiel.lots, organismes, sites, referentiel.contacts)
    copy = json.loads(bare.to_json())
    assert not any(NEW & item.keys() for table in copy.values() for item in table)
    assert Referentiel.from_json(bare.to_json()).fingerprint() == bare.fingerprint()
    assert "code_insee" in as_record(referentiel.sites["36364"])
    flagged = {c.attr for t in REFERENTIEL_TABLES.values() for c in t.columns if c.omit_empty}
    assert flagged == NEW


def test_geography_gaps_name_the_columns_and_the_sites(referentiel):
    assert [
        (columns, [s.code for s in sites]) for columns, sites in geography_gaps(referentiel)
    ] == [("« Latitude » et « Longitude »", ["52019"])]
    sites = dict(referentiel.sites)
    sites["36364"] = replace(sites["36364"], code_insee="", longitude="")
    ref = Referentiel(referentiel.lots, referentiel.organismes, sites, referentiel.contacts)
    assert [(columns, [s.code for s in found]) for columns, found in geography_gaps(ref)] == [
        ("« Code INSEE commune »", ["36364"]),
        ("« Latitude » et « Longitude »", ["36364", "52019"]),
    ]


def test_verifier_lists_the_sites_without_geography(tmp_path, capsys):
    assert run_cli("referentiel", "verifier", str(CSV)) == 0
    out = capsys.readouterr().out
    block = out.split("Géographie des sites (fichier LHEO)")[1]
    assert "1 site sans « Latitude » et « Longitude » : 52019" in block
    assert "Code INSEE" not in block
    folder = _folder(
        tmp_path,
        "sites",
        lambda text: "\n".join(line.rsplit(";", 3)[0] for line in text.splitlines()) + "\n",
    )
    assert run_cli("referentiel", "verifier", str(folder)) == 0  # optional: still usable
    block = capsys.readouterr().out.split("Géographie des sites (fichier LHEO)")[1]
    assert "8 sites sans « Code INSEE commune » : 36364, 36371, 36402, 41210" in block
    assert "8 sites sans « Latitude » et « Longitude »" in block
