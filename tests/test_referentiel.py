"""The référentiel: .xlsx and CSV forms, queries per lot, French errors with locations."""

from __future__ import annotations

import shutil

import pytest
from openpyxl import load_workbook

from sofi_bulk.core.referentiel import ReferentielError
from sofi_bulk.core.resources import example_referentiel
from sofi_bulk.excel.referentiel import load_referentiel
from tests.conftest import ROOT

CSV = ROOT / "examples" / "referentiel-csv"


def test_xlsx_and_csv_examples_hold_the_same_data(referentiel):
    assert load_referentiel(CSV).fingerprint() == referentiel.fingerprint()


def test_example_is_realistic(referentiel):
    prepa = referentiel.lots_for("PREPA Avenir Sup")
    mandataires = {lot.siret_mandataire for lot in prepa}
    assert len(prepa) >= 4 and len(mandataires) >= 2
    assert len(referentiel.sites) >= 6 and len(referentiel.contacts) >= 6


def test_lots_decide_sites_and_contacts(referentiel):
    lot2 = referentiel.find_lot("pas2025_2")  # case-insensitive
    sites = {s.code for s in referentiel.sites_for(lot2)}
    assert {"36364", "52019"} <= sites  # the mandataire's and the formateur's sites
    assert "41210" not in sites  # another mandataire's
    contacts = {c.id for c in referentiel.contacts_for(lot2)}
    assert "3015" in contacts and "2210" not in contacts


def test_filter_by_siret_and_lot(referentiel):
    assert [lot.numero for lot in referentiel.lots_for("PREPA Avenir Sup", "72312345100012")] == [
        "PAS2025_2",
        "PAS2025_5",
    ]
    assert [
        lot.numero for lot in referentiel.lots_for("PREPA Avenir Sup", numbers=["PAS2025_3"])
    ] == ["PAS2025_3"]


def _copy_csv(tmp_path):
    folder = tmp_path / "ref"
    shutil.copytree(CSV, folder)
    return folder


def test_csv_saved_by_french_excel_cp1252_with_commas(tmp_path):
    folder = _copy_csv(tmp_path)
    for path in folder.glob("*.csv"):
        text = path.read_text(encoding="utf-8").replace(";", ",")
        path.write_bytes(text.encode("cp1252"))
    assert load_referentiel(folder).fingerprint() == load_referentiel(CSV).fingerprint()


@pytest.mark.parametrize(
    "table, old, new, message",
    [
        (
            "lots",
            "44198765800016;48",
            "44198765800017;48",
            r"lots.csv.*ligne 2.*siret_mandataire.*\(F2\).*SIRET",
        ),
        ("sites", "36364;ILF Nantes", ";ILF Nantes", r"sites.csv.*ligne 2.*code_site.*obligatoire"),
        ("lots", "PAS2025_2;", "PAS2025_1;", r"lots.csv.*ligne 3.*deux fois"),
        ("organismes", "52440999944", "5244", r"organismes.csv.*numero_activite.*11 chiffres"),
        ("lots", "48;2025", "quarante;2025", r"places_commandees.*entier"),
    ],
)
def test_malformed_csv_names_file_row_and_column(tmp_path, table, old, new, message):
    folder = _copy_csv(tmp_path)
    path = folder / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ReferentielError, match=message):
        load_referentiel(folder)


def test_missing_column_and_missing_file(tmp_path):
    folder = _copy_csv(tmp_path)
    path = folder / "contacts.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("id_contact", "matricule"), encoding="utf-8"
    )
    with pytest.raises(ReferentielError, match="colonne obligatoire « ID contact » absente"):
        load_referentiel(folder)
    (folder / "sites.csv").unlink()
    with pytest.raises(ReferentielError, match="table « sites » introuvable"):
        load_referentiel(folder)


def test_empty_referentiel_is_refused(tmp_path):
    folder = _copy_csv(tmp_path)
    path = folder / "lots.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(ReferentielError, match="aucun lot"):
        load_referentiel(folder)


def test_mandataire_must_be_an_organisme(tmp_path):
    folder = _copy_csv(tmp_path)
    path = folder / "organismes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join(line for line in lines if not line.startswith("49281345600018")) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferentielError, match="49281345600018 est absent"):
        load_referentiel(folder)


def test_xlsx_errors_name_the_sheet(tmp_path):
    book = load_workbook(example_referentiel())
    book["sites"]["C3"] = "123"
    path = tmp_path / "ref.xlsx"
    book.save(path)
    with pytest.raises(
        ReferentielError, match=r"feuille « sites », ligne 3, colonne « siret » \(C3\)"
    ):
        load_referentiel(path)
    del book["contacts"]
    book.save(path)
    with pytest.raises(ReferentielError, match="table « contacts » introuvable"):
        load_referentiel(path)


def test_numbers_typed_into_the_xlsx_are_repaired(tmp_path):
    book = load_workbook(example_referentiel())
    ws = book["sites"]
    ws["C2"] = 44198765800016  # SIRET as a number
    ws["E2"] = 4400  # a postal code that lost its leading zero
    path = tmp_path / "ref.xlsx"
    book.save(path)
    ref = load_referentiel(path)
    assert ref.sites["36364"].siret == "44198765800016"
    assert ref.sites["36364"].code_postal == "04400"


def test_unknown_format(tmp_path):
    path = tmp_path / "ref.docx"
    path.write_bytes(b"x")
    with pytest.raises(ReferentielError, match="format non reconnu"):
        load_referentiel(path)
    with pytest.raises(ReferentielError, match="introuvable"):
        load_referentiel(tmp_path / "absent.xlsx")


def test_sites_and_contacts_are_found_as_users_type_them(referentiel):
    assert referentiel.find_site("36364").code == "36364"
    assert referentiel.find_site("36364 - ILF Nantes - Principal").code == "36364"
    assert referentiel.find_site("ilf nantes - principal").code == "36364"  # the libellé alone
    assert referentiel.find_site("ILF Nantes") is None
    assert referentiel.find_contact("1902 - Claire Martin").id == "1902"
    assert referentiel.find_contact("Claire Martin").id == "1902"
    assert referentiel.find_contact("MARTIN Claire").id == "1902"
    assert referentiel.find_contact("Claire") is None


def test_each_table_s_class_has_its_columns_as_fields_in_order():
    """The columns declare the tables; the classes carry the same attributes, in the same
    order (the submission's JSON Schema lists them so)."""
    from dataclasses import fields

    from sofi_bulk.core.referentiel import MODELS
    from sofi_bulk.core.referentiel_columns import REFERENTIEL_TABLES

    assert list(MODELS) == list(REFERENTIEL_TABLES)
    for name, table in REFERENTIEL_TABLES.items():
        assert [f.name for f in fields(MODELS[name])] == [c.attr for c in table.columns]


def test_the_embedded_copy_round_trips_and_refuses_values_of_the_wrong_kind():
    import json

    from sofi_bulk.core.referentiel import Referentiel

    ref = load_referentiel()
    text = ref.to_json()
    again = Referentiel.from_json(text, source=ref.source)
    assert again == ref and again.fingerprint() == ref.fingerprint()
    assert all(isinstance(lot.siret_formateurs, tuple) for lot in again.lots.values())
    for table, attr, value in [
        ("lots", "places", "12"),
        ("lots", "places", True),
        ("lots", "annee", 2025.0),
        ("lots", "siret_formateurs", "44198765800016"),
        ("lots", "siret_formateurs", ["4419876580001"]),
        ("lots", "siret_mandataire", "4419876580001x"),
        ("sites", "siret", "44198765800017"),  # 14 digits, a wrong key
        ("sites", "siret", 44198765800016),
        ("sites", "libelle", None),
        ("contacts", "nom", ["Martin"]),
        ("organismes", "inconnu", "x"),
    ]:
        data = json.loads(text)
        data[table][0][attr] = value
        with pytest.raises((ValueError, TypeError)):
            Referentiel.from_json(json.dumps(data))
    data = json.loads(text)
    del data["sites"][0]["siret"]
    with pytest.raises(TypeError):
        Referentiel.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"lots": {}, "organismes": [], "sites": [], "contacts": []}',
        '{"lots": [7], "organismes": [], "sites": [], "contacts": []}',
        '{"lots": ["ab"], "organismes": [], "sites": [], "contacts": []}',
        '{"lots": [[[[1], 2]]], "organismes": [], "sites": [], "contacts": []}',
        '{"lots": [[["numero", "1"]]], "organismes": [], "sites": [], "contacts": []}',
        '{"lots": [{"1": 2}], "organismes": [], "sites": [], "contacts": []}',
        '{"lots": [], "organismes": [], "sites": []}',
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_a_damaged_embedded_copy_raises_only_what_the_check_turns_into_a_message(text):
    """``sofi_bulk.core.context`` turns these exceptions into « copie du référentiel
    illisible »: nothing else may escape, whatever the copy holds."""
    from sofi_bulk.core.referentiel import Referentiel

    with pytest.raises((ValueError, KeyError, TypeError, AttributeError, RecursionError)):
        Referentiel.from_json(text)


def test_an_embedded_lot_whose_organisme_is_missing_is_refused():
    """The rules look the lot's mandataire up among the organismes, as a référentiel read
    from a file guarantees: an edited copy without it is refused, not a KeyError later."""
    import json

    from sofi_bulk.core.referentiel import Referentiel

    data = json.loads(load_referentiel().to_json())
    data["organismes"] = []
    with pytest.raises(ValueError, match="organisme absent"):
        Referentiel.from_json(json.dumps(data))


def test_a_damaged_embedded_copy_is_one_french_line_through_the_check():
    """A lone surrogate in the copy, an absent organisme: the check says « illisible »."""
    import json

    import sofi_bulk
    from sofi_bulk.core.errors import WorkbookError
    from sofi_bulk.excel.reader import read_workbook

    book = read_workbook(ROOT / "examples" / "saisie-exemple.xlsx")
    assert "Nantes" in book.referentiel_json
    missing = json.loads(book.referentiel_json)
    missing["organismes"] = []
    for copy in (book.referentiel_json.replace("Nantes", "Nan\\ud800tes"), json.dumps(missing)):
        sheets = dict(book.sheets)
        sheets["_meta"] = [
            ["clé", "valeur"],
            *([k, v] for k, v in book.meta.items()),
            ["referentiel_json", copy],
        ]
        with pytest.raises(WorkbookError, match="copie du référentiel .* est illisible"):
            sofi_bulk.check(sheets, name="exemple.xlsx")
