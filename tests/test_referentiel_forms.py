"""The référentiel as the Région really writes it: French headers and their variants, title
rows above the headers, extra columns, sheets and files named freely, in .xlsx, .ods, .xls
(made by the real LibreOffice here) or a semicolon cp1252 CSV folder; all give the same
référentiel as the bundled example, and a template with every lot, site, contact, place and
year. Unknown columns are warnings naming each one; missing columns are all reported at once.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from sofi_bulk.core.layout import LOT_LIST
from sofi_bulk.core.referentiel import Referentiel, ReferentielError, match_tables
from sofi_bulk.core.referentiel_columns import REFERENTIEL_TABLES, header_key
from sofi_bulk.excel.help_sheet import LOT_HEADERS
from sofi_bulk.excel.referentiel import load_referentiel
from tests.conftest import run_cli

TITLE = "Extraction Région Pays de la Loire – PREPA Avenir Sup – 2025"
SHEETS = {
    "lots": "Lots 2025",
    "organismes": "Organismes de formation",
    "sites": "Sites",
    "contacts": "Contacts",
}
HEADERS = {  # how a Région staff member writes them: variants, never the technical names
    "lots": {
        "numero": "N° de lot",
        "programme": "Programme",
        "intitule": "Intitulé du lot",
        "id_action_cr": "ID Action CR",
        "of_mandataire_cr": "OF mandataire CR",
        "siret_mandataire": "SIRET du mandataire",
        "places": "Places commandées",
        "annee": "Année de campagne",
        "siret_formateurs": "SIRET formateurs",
    },
    "organismes": {
        "siret": "SIRET",
        "nom": "Nom de l'organisme",
        "raison_sociale": "Raison sociale",
        "numero_activite": "NDA",
        "adresse": "Adresse",
        "code_postal": "Code postal",
        "ville": "Ville",
        "telephone": "Tél.",
        "email": "E-mail",
        "numero_organisme": "Identifiant organisme",
    },
    "sites": {
        "code": "Code site",
        "libelle": "Libellé du site",
        "siret": "SIRET",
        "adresse": "Adresse",
        "code_postal": "CP",
        "ville": "Commune",
        "code_insee": "Code commune INSEE",
        "latitude": "Latitude",
        "longitude": "Longitude (WGS 84)",
    },
    "contacts": {
        "id": "Identifiant contact",
        "nom": "NOM",
        "prenom": "Prénom",
        "email": "Courriel",
        "telephone": "Téléphone",
        "siret": "SIRET",
    },
}
EXTRA = "Commentaire interne"


def region_rows(ref: Referentiel, table: str) -> list[list]:
    """A title row, a blank row, the headers (columns in reverse order, an extra column in
    the middle), then the data."""
    attrs = list(reversed(HEADERS[table]))
    header = [HEADERS[table][a] for a in attrs]
    header.insert(2, EXTRA)
    rows: list[list] = [[TITLE], [], header]
    for obj in getattr(ref, table).values():
        values = []
        for a in attrs:
            value = getattr(obj, a)
            values.append(" ; ".join(value) if isinstance(value, tuple) else value)
        values.insert(2, "à revoir")
        rows.append(values)
    return rows


def write_region_xlsx(ref: Referentiel, path: Path) -> Path:
    book = Workbook()
    book.remove(book.active)
    book.create_sheet("Notes").append(["Fichier transmis par la Région"])
    for table, sheet in SHEETS.items():
        ws = book.create_sheet(sheet)
        for row in region_rows(ref, table):
            ws.append(row)
            for cell in ws[ws.max_row]:
                cell.number_format = "@"
    book.save(path)
    return path


def write_region_csv(ref: Referentiel, folder: Path) -> Path:
    """Semicolon-separated, Windows-1252, as a French Excel saves « CSV (point-virgule) »."""
    folder.mkdir()
    for table in SHEETS:
        lines = [";".join(str(v) for v in row) for row in region_rows(ref, table)]
        name = f"Extraction_Region_{table.capitalize()}_2025.csv"
        (folder / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return folder


def soffice_convert(source: Path, fmt: str, workdir: Path) -> Path:
    """Convert with the real LibreOffice (a private profile); fails when it is missing."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) est requis : apt-get install libreoffice-calc"
    profile = (workdir / "lo-profile").as_uri()
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(workdir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = workdir / f"{source.stem}.{fmt}"
    assert done.returncode == 0 and out.exists(), done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def region(tmp_path_factory, referentiel) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("region")
    xlsx = write_region_xlsx(referentiel, folder / "extraction-region.xlsx")
    return {
        "xlsx": xlsx,
        "ods": soffice_convert(xlsx, "ods", folder),
        "xls": soffice_convert(xlsx, "xls", folder),
        "csv": write_region_csv(referentiel, folder / "csv"),
    }


@pytest.mark.parametrize("form", ["xlsx", "ods", "xls", "csv"])
def test_the_region_file_in_every_form_gives_the_example_referentiel(region, referentiel, form):
    ref = load_referentiel(region[form])
    assert ref.fingerprint() == referentiel.fingerprint()
    assert ref.readings["lots"].header_row == 3  # below the title rows
    extra = [w for w in ref.warnings if EXTRA in w]
    assert len(extra) == 4 and all("non reconnue" in w for w in extra), ref.warnings
    assert any(f"« {EXTRA} » (C)" in w for w in extra)  # named with its column letter
    if form != "csv":
        assert any("« Notes » ignorée" in w for w in ref.warnings)


def test_a_template_from_the_region_csv_offers_every_lot_site_contact_place_and_year(
    region, referentiel, tmp_path, capsys
):
    out = tmp_path / "saisie.xlsx"
    assert run_cli("template", "--referentiel", str(region["csv"]), "-o", str(out)) == 0
    captured = capsys.readouterr()
    assert "Modèle écrit" in captured.out
    assert EXTRA in captured.err and "non reconnue" in captured.err  # the warnings reach the user
    book = load_workbook(out, read_only=True)
    lists = [[c for c in col if c is not None] for col in zip(*book["Listes"].values, strict=False)]
    by_name = {col[0]: col[1:] for col in lists if col}
    prepa = referentiel.lots_for("PREPA Avenir Sup")
    assert by_name[LOT_LIST] == [lot.numero for lot in prepa]
    for i, lot in enumerate(prepa, start=1):
        assert by_name[f"Sites_{i}"] == [s.display for s in referentiel.sites_for(lot)]
        assert by_name[f"Contacts_{i}"] == [c.display for c in referentiel.contacts_for(lot)]
    aide = [list(r) for r in book["Aide"].values]
    header = next(r for r in aide if "Numéro lot CR" in r)
    number, places, year = (header.index(h) for h in LOT_HEADERS[:3])
    lot_rows = {r[number]: r for r in aide if len(r) > number and r[number] in referentiel.lots}
    for lot in prepa:
        assert lot_rows[lot.numero][places] == lot.places
        assert lot_rows[lot.numero][year] == lot.annee


def test_header_variants_are_one_header():
    assert header_key("Numéro de lot") == header_key("NUMERO_LOT") == header_key("N° lot")
    assert header_key("Places commandées") == header_key("places_commandees")
    assert header_key("SIRET formateurs") == header_key("siret_formateur")
    assert header_key(" Année  de campagne ") == header_key("annee_campagne")


def test_no_two_columns_of_a_table_share_an_accepted_header():
    for table in REFERENTIEL_TABLES.values():
        seen: dict[str, str] = {}
        for col in table.columns:
            for header in col.headers:
                key = header_key(header)
                assert seen.setdefault(key, col.name) == col.name, (table.name, header)


def test_table_names_are_found_in_free_names_and_ambiguities_are_said():
    found = match_tables(
        "ref", ["extraction_lots.csv", "OF.csv", "sites.csv", "Contacts.CSV"], "fichier"
    )
    assert found.found == {
        "lots": "extraction_lots.csv",
        "organismes": "OF.csv",
        "sites": "sites.csv",
        "contacts": "Contacts.CSV",
    }
    older = match_tables("ref", ["Lots", "Lots 2024", "Organismes", "Sites", "Contacts"])
    assert older.found["lots"] == "Lots" and not older.problems
    assert older.warnings == [
        "Référentiel ref : feuille « Lots 2024 » ignorée (la table « lots » est lue dans « Lots »)."
    ]
    twice = match_tables("ref", ["lots-2024.csv", "lots-2025.csv"], "fichier")
    assert any("plusieurs fichiers CSV pour la table « lots »" in p for p in twice.problems)
    assert any("table « sites » introuvable" in p for p in twice.problems)


def _csv_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ref"
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples" / "referentiel-csv", folder)
    return folder


def test_every_missing_column_is_reported_at_once_with_the_accepted_headers(tmp_path):
    folder = _csv_folder(tmp_path)
    for table, old, new in (
        ("lots", "numero_lot;programme", "lot_region;prog"),
        ("sites", "code_site;libelle", "identifiant;designation"),
    ):
        path = folder / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ReferentielError) as caught:
        load_referentiel(folder)
    problems = caught.value.problems
    missing = [p for p in problems if "colonne obligatoire" in p]
    assert len(missing) == 4, problems  # lots: numéro, programme ; sites: code, libellé
    lot = next(p for p in missing if "« Numéro de lot »" in p)
    assert "lots.csv" in lot and "ligne 1" in lot and "N° de lot" not in lot
    assert "Numéro lot CR" in lot and "numero_lot" in lot  # the headers accepted


def test_a_siret_in_exact_scientific_notation_is_restored_and_a_rounded_one_refused(tmp_path):
    folder = _csv_folder(tmp_path)
    path = folder / "sites.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(";44198765800016;", ";4,4198765800016E+13;", 1), encoding="utf-8")
    assert load_referentiel(folder).sites["36364"].siret == "44198765800016"
    path.write_text(text.replace(";44198765800016;", ";4,41988E+13;", 1), encoding="utf-8")
    with pytest.raises(ReferentielError) as caught:
        load_referentiel(folder)
    (problem,) = caught.value.problems
    assert "fichier « sites.csv », ligne 2, colonne « siret » (C2)" in problem
    assert "notation scientifique" in problem and "6 chiffres sur 14" in problem
    assert "format Texte" in problem


def test_the_example_row_of_the_blank_referentiel_is_skipped_with_a_warning(tmp_path):
    folder = _csv_folder(tmp_path)
    path = folder / "lots.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    example = [str(c.example) for c in REFERENTIEL_TABLES["lots"].columns]
    lines.insert(1, ";".join(example))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ref = load_referentiel(folder)
    assert "EXEMPLE_1" not in ref.lots
    assert any("ligne 2 : ligne d'exemple" in w for w in ref.warnings)


def test_sites_of_no_lot_and_headless_columns_are_warnings(tmp_path):
    folder = _csv_folder(tmp_path)
    path = folder / "sites.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append("77777;Site orphelin;55555555500013;;;;;;;en trop")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ref = load_referentiel(folder)
    assert "77777" in ref.sites
    assert any("1 site d'aucun lot" in w and f"ligne {len(lines)}" in w for w in ref.warnings)
    assert any("colonne J remplie mais sans en-tête" in w for w in ref.warnings)


def test_unicode_text_and_a_declared_separator(tmp_path, referentiel):
    """Excel's « Texte Unicode » (UTF-16, tabs) and a « sep=, » first line."""
    folder = _csv_folder(tmp_path)
    for i, path in enumerate(sorted(folder.glob("*.csv"))):
        text = path.read_text(encoding="utf-8")
        if i % 2:
            path.write_bytes(text.replace(";", "\t").encode("utf-16"))
        else:
            path.write_text("sep=,\n" + text.replace(";", ","), encoding="utf-8")
    assert load_referentiel(folder).fingerprint() == referentiel.fingerprint()
