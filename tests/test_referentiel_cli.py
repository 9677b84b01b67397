"""« sofi-bulk referentiel modele / verifier », and référentiels that are hostile or broken:
each refusal is one French line naming the file, the sheet or line, and the column, with
no traceback and nothing written."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sofi_bulk.core.referentiel_columns import REFERENTIEL_TABLES
from sofi_bulk.excel.referentiel import load_referentiel
from tests.conftest import run_cli, run_process

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CSV = ROOT / "examples" / "referentiel-csv"
EXAMPLE_XLSX = ROOT / "examples" / "referentiel-exemple.xlsx"


# --- the two commands ---------------------------------------------------------------------------
def test_the_blank_referentiel_filled_with_the_example_gives_the_example(tmp_path, referentiel):
    blank = tmp_path / "referentiel.xlsx"
    assert run_cli("referentiel", "modele", "-o", str(blank)) == 0
    assert run_cli("referentiel", "modele", "-o", str(blank)) == 0  # untouched: replaced
    book = load_workbook(blank)
    assert book.sheetnames == ["Aide", "Lots", "Organismes", "Sites", "Contacts"]
    for table in REFERENTIEL_TABLES.values():
        ws = book[table.label]
        assert [c.value for c in ws[1]] == [c.title for c in table.columns]
        assert [c.value for c in ws[2]] == [c.example for c in table.columns]
        siret = next(i for i, c in enumerate(table.columns, 1) if "siret" in c.kind)
        assert ws.cell(row=50, column=siret).number_format == "@"  # never 4,41988E+13
        assert ws["A1"].comment is not None and "Autres en-têtes acceptés" in ws["A1"].comment.text
        ws.delete_rows(2)  # the Région replaces the example row by its data
        for obj in getattr(referentiel, table.name).values():
            row = []
            for col in table.columns:
                value = getattr(obj, col.attr)
                row.append(" ; ".join(value) if isinstance(value, tuple) else value)
            ws.append(row)
    book.save(blank)
    assert run_cli("referentiel", "modele", "-o", str(blank)) == 2  # filled: never replaced
    ref = load_referentiel(blank)
    assert ref.fingerprint() == referentiel.fingerprint() and ref.warnings == []


def test_verifier_says_what_it_understood(tmp_path, capsys):
    folder = tmp_path / ("extraction-de-la-region-" * 3)  # a long path: its line stays whole
    shutil.copytree(EXAMPLE_CSV, folder)
    lots = folder / "lots.csv"
    lots.write_text(
        lots.read_text(encoding="utf-8").replace("siret_formateurs", "siret_formateurs;note", 1),
        encoding="utf-8",
    )
    assert run_cli("referentiel", "verifier", str(folder)) == 0
    out = capsys.readouterr().out
    assert f"{folder} : 6 lots, 3 organismes, 8 sites, 6 contacts ; 1 avertissement" in out
    assert "G « places_commandees » → places_commandees" in out  # the column each header became
    block = out.split("PAS2025_2 :")[1].split("PAS2025_3 :")[0]
    assert "mandataire : 44198765800016 - Institut Ligérien de Formation" in block
    assert "formateurs : 72312345100012 - Atelier Parcours Emploi" in block
    assert "places commandées : 24 ; année de campagne : 2025" in block
    assert "5 sites :" in block and "3 contacts :" in block
    assert "« note » (J)" in out and "Référentiel utilisable" in out
    assert run_cli("referentiel", "verifier", str(folder), "-q") == 0
    assert capsys.readouterr().out.count("\n") == 1


def test_verifier_refuses_what_the_template_would_refuse(tmp_path, capsys):
    folder = tmp_path / "ref"
    shutil.copytree(EXAMPLE_CSV, folder)
    contacts = folder / "contacts.csv"
    head, *rows = contacts.read_text(encoding="utf-8").splitlines()
    kept = [r for r in rows if not r.endswith(";44198765800016")]
    contacts.write_text("\n".join([head, *kept]) + "\n", encoding="utf-8")
    assert run_cli("referentiel", "verifier", str(folder)) == 2
    captured = capsys.readouterr()
    assert "0 contact" in captured.out and "le modèle de ce lot serait refusé" in captured.out
    assert "le lot PAS2025_1 n'a aucun contact" in captured.err


# --- hostile or broken référentiels --------------------------------------------------------------
def _refused(work: Path, referentiel: str) -> str:
    before = sorted(p.name for p in work.rglob("*"))
    done = run_process("template", "--referentiel", referentiel, "-o", "saisie.xlsx", cwd=work)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Erreur : Référentiel "), done.stderr
    assert sorted(p.name for p in work.rglob("*")) == before  # nothing written
    return lines[0]


@pytest.fixture
def work(tmp_path) -> Path:
    shutil.copytree(EXAMPLE_CSV, tmp_path / "ref")
    return tmp_path


def test_a_csv_with_a_nul_byte(work):
    path = work / "ref" / "sites.csv"
    data = path.read_bytes().replace(b"Saint-Nazaire", b"Saint\x00Nazaire", 1)
    path.write_bytes(data)
    line = _refused(work, "ref")
    assert "« sites.csv », ligne 4, colonne B" in line and "caractère nul" in line


def test_a_csv_field_over_the_limit(work):
    path = work / "ref" / "contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[4].startswith("2214;Dubois;")
    lines[4] = lines[4].replace(";Dubois;", ';"Dubois' + "x" * 140_000 + ";", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = _refused(work, "ref")
    assert "« contacts.csv », ligne 5, colonne B" in line and "131 072 caractères" in line
    assert "guillemet" in line


def test_a_csv_that_is_neither_utf8_nor_cp1252(work):
    path = work / "ref" / "organismes.csv"
    data = path.read_text(encoding="utf-8").encode("cp1252").replace(b"Angers", b"Ang\x81rs", 1)
    path.write_bytes(data)
    line = _refused(work, "ref")
    assert "« organismes.csv », ligne 3, colonne G" in line and "0x81" in line


def test_an_xlsx_with_a_dtd_or_an_undeclared_entity(work):
    def rewrite(name: str, edit) -> None:
        with zipfile.ZipFile(EXAMPLE_XLSX) as src, zipfile.ZipFile(work / name, "w") as out:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "xl/worksheets/sheet3.xml":
                    data = edit(data)
                out.writestr(info, data)

    rewrite("dtd.xlsx", lambda d: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + d)
    line = _refused(work, "dtd.xlsx")
    assert "dtd.xlsx" in line and "xl/worksheets/sheet3.xml" in line and "DTD" in line
    (work / "dtd.xlsx").unlink()
    rewrite("entite.xlsx", lambda d: d.replace(b"<t>", b"<t>&a;", 1))
    line = _refused(work, "entite.xlsx")
    assert "entite.xlsx, feuille « sites »" in line and "illisible" in line


def test_an_ods_whose_filled_cell_repeats_a_million_times(work):
    """A few bytes that python-calamine would expand to billions of cells (it aborts)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        '<office:spreadsheet><table:table table:name="lots"><table:table-row '
        'table:number-rows-repeated="1000000"><table:table-cell '
        'table:number-columns-repeated="1000" office:value-type="string"><text:p>x</text:p>'
        "</table:table-cell></table:table-row></table:table></office:spreadsheet>"
        "</office:body></office:document-content>"
    )
    with zipfile.ZipFile(work / "bombe.ods", "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        out.writestr("content.xml", content)
    line = _refused(work, "bombe.ods")
    assert "bombe.ods, feuille « lots »" in line and "démesuré" in line


def test_an_xls_with_a_value_far_away(work):
    """5 KB of .xls that would make python-calamine allocate a gigabyte."""
    from openpyxl import Workbook

    from tests.test_referentiel_forms import soffice_convert

    book = Workbook()
    book.active.title = "lots"
    book.active["A1"] = "numero_lot"
    book.active["IV65536"] = "loin"
    book.save(work / "loin.xlsx")
    soffice_convert(work / "loin.xlsx", "xls", work)
    shutil.rmtree(work / "lo-profile")
    (work / "loin.xlsx").unlink()
    line = _refused(work, "loin.xls")
    assert "loin.xls, feuille « lots »" in line and "ligne 65 536, colonne IV" in line


def test_the_entry_workbook_given_as_a_referentiel_is_named_for_what_it_is(work):
    assert run_process("template", "-o", "saisie.xlsx", cwd=work).returncode == 0
    shutil.move(work / "saisie.xlsx", work / "ref" / "extraction.xlsx")
    line = _refused(work, "ref/extraction.xlsx")
    assert "c'est un classeur de saisie (feuille « Sessions »), pas un référentiel" in line
