"""The template tells the user where to get the Excel add-in: a template handed out by the
service, or made with ``--service``, names the service's page « Contrôler dans Excel » (kept
by the annotated copy); any other says whom to ask. Never a file the user does not have."""

from __future__ import annotations

import io

import openpyxl
import pytest

from sofi_bulk import api, lite
from sofi_bulk.core.layout import HELP_SHEET, META_SHEET, SERVICE
from sofi_bulk.excel.addin_help import CONTROL_BUTTON, addin_help
from tests.conftest import ROOT, run_process

SERVICE_URL = "https://depot.exemple.fr"
PAGE = "https://depot.exemple.fr/complement/"


def meta_of(data: bytes) -> dict[str, str]:
    return dict(api.read(data, name="modele.xlsx").meta)


def aide_text(data: bytes) -> str:
    ws = openpyxl.load_workbook(io.BytesIO(data))[HELP_SHEET]
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)


def test_the_paragraph_names_the_service_page_or_says_whom_to_ask():
    with_service = addin_help(SERVICE_URL)
    assert with_service.page == PAGE
    assert with_service.paragraphs[with_service.page_paragraph or 0].endswith(PAGE)
    without = addin_help(None)
    assert without.page is None and without.page_paragraph is None
    assert "demandez-en l'adresse au Carif-Oref" in " ".join(without.paragraphs)
    for help_ in (with_service, without):
        text = " ".join(help_.paragraphs)
        assert "xlwings Lite" in text and "requirements.txt" in text and "main.py" in text
        assert f"« {CONTROL_BUTTON} »" in text and "LibreOffice" in text
        # no file the user does not have
        assert ".whl" not in text and "addin/" not in text and "fourni avec" not in text
    assert lite.BUTTONS["controler"] == CONTROL_BUTTON


def aide_cells(data: bytes):
    ws = openpyxl.load_workbook(io.BytesIO(data))[HELP_SHEET]
    return [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_the_aide_sheet_names_the_service_page_as_a_link_or_says_whom_to_ask():
    data = api.write_template(service=SERVICE_URL)
    assert data is not None
    (named,) = [c for c in aide_cells(data) if PAGE in c.value]
    assert named.value.startswith("Mode d'emploi et textes à coller : page « Contrôler dans ")
    assert named.hyperlink is not None and named.hyperlink.target == PAGE
    assert "demandez-en l'adresse" not in aide_text(data)
    plain = api.write_template()
    assert plain is not None
    text = aide_text(plain)
    assert "demandez-en l'adresse au Carif-Oref" in text and "/complement/" not in text
    assert not [c for c in aide_cells(plain) if c.hyperlink is not None]
    for made in (text, aide_text(data)):  # never a file the user does not have
        assert ".whl" not in made and "addin/" not in made and "fourni avec ce modèle" not in made


def test_a_template_for_a_service_carries_its_address():
    data = api.write_template(service=SERVICE_URL)
    assert data is not None and meta_of(data)[SERVICE] == SERVICE_URL
    plain = api.write_template()
    assert plain is not None and SERVICE not in meta_of(plain)
    with pytest.raises(api.UserError, match="^Adresse du service invalide"):
        api.write_template(service="depot.exemple.fr")


def with_service(tmp_path, value: str):
    """The bundled example workbook, its _meta saying it came from ``value``."""
    book = openpyxl.load_workbook(api.example_workbook())
    book[META_SHEET].append([SERVICE, value])
    path = tmp_path / "saisie.xlsx"
    book.save(path)
    return path


def test_the_annotated_copy_keeps_the_service_and_drops_what_is_not_an_address(tmp_path):
    copy = api.write_annotated(api.check(with_service(tmp_path, SERVICE_URL)))
    assert copy is not None and meta_of(copy)[SERVICE] == SERVICE_URL
    assert PAGE in aide_text(copy)
    # a file may say anything in its _meta: what is not an address is not copied
    copy = api.write_annotated(api.check(with_service(tmp_path, "javascript:alert(1)")))
    assert copy is not None and SERVICE not in meta_of(copy)


def test_the_command_takes_the_service_and_refuses_what_is_not_one(tmp_path):
    done = run_process("template", "--service", SERVICE_URL, "-o", tmp_path / "a.xlsx")
    assert done.returncode == 0, done.stderr
    assert meta_of((tmp_path / "a.xlsx").read_bytes())[SERVICE] == SERVICE_URL
    assert PAGE in aide_text((tmp_path / "a.xlsx").read_bytes())
    refused = run_process("template", "--service", "ftp://x", "-o", tmp_path / "b.xlsx")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "Erreur : Adresse du service invalide : « ftp://x » (attendu : l'adresse du service "
        "« Déposer son offre », par exemple https://depot.exemple.fr)."
    ]
    assert not (tmp_path / "b.xlsx").exists()


def test_the_template_the_service_hands_out_names_it(client, db, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "depot.exemple.fr"]
    download = client.get("/modele/saisie.xlsx", HTTP_HOST="127.0.0.1:8001")
    assert download.status_code == 200
    assert meta_of(download.content)[SERVICE] == "http://127.0.0.1:8001/"
    assert "http://127.0.0.1:8001/complement/" in aide_text(download.content)
    settings.PUBLIC_NAMES, settings.HTTPS = ["depot.exemple.fr"], True
    download = client.get("/modele/saisie.xlsx", HTTP_HOST="127.0.0.1:8001")
    assert meta_of(download.content)[SERVICE] == "https://depot.exemple.fr/"


def test_the_readme_documents_the_option():
    assert "--service https://depot.exemple.fr" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_taken_back_offer_names_the_service_too(tmp_path):
    """``template --reprendre … --service URL``: the pre-filled workbook's Aide names the
    service's page, as the blank template's does."""
    source = ROOT / "examples" / "saisie-exemple.xlsx"
    data = api.write_template(reprendre=source, service="https://depot.exemple.fr")
    assert data is not None
    assert (
        meta_of(data)[SERVICE]
        == meta_of(api.write_template(service="https://depot.exemple.fr"))[SERVICE]
    )
    assert "https://depot.exemple.fr/complement/" in aide_text(data)
    out = tmp_path / "reprise.xlsx"
    done = run_process(
        "template",
        "--reprendre",
        str(source),
        "--service",
        "https://depot.exemple.fr",
        "-o",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "https://depot.exemple.fr/complement/" in aide_text(out.read_bytes())
