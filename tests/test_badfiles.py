"""Hostile and wrong files: refused plainly, in French, naming the file, never a traceback.

Each file goes through the library (``read_workbook`` and the validation, which must
raise ``WorkbookError``) and through the command (``python -m sofi_bulk validate``:
exit status 2, one short French line on stderr). The zip bomb must be refused from the
zip's central directory alone, before python-calamine or openpyxl see it.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from sofi_bulk.core.context import resolve_context
from sofi_bulk.core.errors import UserError, WorkbookError
from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.core.layout import META_SHEET
from sofi_bulk.core.profile import load_profile
from sofi_bulk.core.resources import profiles_dir
from sofi_bulk.core.validate import validate_book
from sofi_bulk.excel.reader import read_workbook
from sofi_bulk.excel.sample import make_sample
from tests.conftest import TODAY, run_process

FRENCH_WORDS = ("classeur", "fichier", "dossier", "archive", "feuille", "modèle", "programme")


def library_check(path: Path) -> None:
    """Read and validate like the CLI does (raises for an unusable workbook)."""
    book = read_workbook(path)
    ctx = resolve_context(book)
    validate_book(book, ctx.profile, ctx.referentiel, ctx.notices, today=TODAY)


def assert_refused(proc: subprocess.CompletedProcess, name: str) -> str:
    """Exit 2, one short French line on stderr naming the file, nothing else, no traceback."""
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, proc.stderr[-800:]
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout.strip() == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    message = lines[0]
    assert message.startswith("Erreur : ")
    assert name in message
    assert any(word in message.lower() for word in FRENCH_WORDS), message
    assert len(message) < 400
    return message


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the files ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_files(tmp_path_factory) -> dict[str, Path]:
    """From one filled workbook (openpyxl, in memory): the valid file, variants of its hidden
    _meta sheet (another template version, layout format or programme), and the workbook
    without its Sessions sheet."""
    d = tmp_path_factory.mktemp("samples")
    sample = make_sample(2)
    files = {"real": d / "saisie.xlsx"}
    sample.save(files["real"])
    ws = sample.builder.book[META_SHEET]
    variants = {
        "old-version": ("ancienne-version.xlsx", {"template_version": "2024.1"}),
        "old-format": ("ancien-format.xlsx", {"format": "0"}),
        "other-programme": (
            "autre-programme.xlsx",
            {"programme": "autre-programme", "programme_label": "Autre programme"},
        ),
        # a hostile _meta naming a profile file on the user's disk (a copy of the real one here)
        "programme-path": ("profil-local.xlsx", {"programme": str(d / "profil-quelconque.json")}),
    }
    shutil.copy(profiles_dir() / "prepa-avenir-sup.json", d / "profil-quelconque.json")
    for kind, (name, changes) in variants.items():
        saved = {}
        for row in ws.iter_rows(min_row=2):
            if row[0].value in changes:
                saved[row[0].value] = row[1].value
                row[1].value = changes[row[0].value]
        assert set(saved) == set(changes)
        files[kind] = d / name
        sample.save(files[kind])
        for row in ws.iter_rows(min_row=2):
            if row[0].value in saved:
                row[1].value = saved[row[0].value]
    del sample.builder.book[SESSIONS_SHEET]
    files["no-sessions"] = d / "sans-sessions.xlsx"
    sample.save(files["no-sessions"])
    return files


@pytest.fixture(scope="module")
def real_xlsx(sample_files) -> Path:
    return sample_files["real"]


@pytest.fixture(scope="module")
def meta_files(sample_files) -> dict[str, Path]:
    return sample_files


@pytest.fixture(scope="module")
def no_sessions_sheet(sample_files) -> Path:
    return sample_files["no-sessions"]


def _zip(path: Path, entries: dict[str, bytes | str], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


CSV_TEXT = "Réf. session;Numéro lot CR;Date début\nS001;PAS2025_1;06/01/2025\n"


def make_random(d: Path, real: Path) -> Path:
    path = d / "aleatoire.xlsx"
    path.write_bytes(random.Random(3).randbytes(5000))
    return path


def make_csv_renamed(d: Path, real: Path) -> Path:
    path = d / "export-csv.xlsx"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return path


def make_csv_cp1252_renamed(d: Path, real: Path) -> Path:
    path = d / "export-excel-csv.xlsx"
    path.write_bytes(CSV_TEXT.encode("cp1252"))
    return path


def make_real_csv(d: Path, real: Path) -> Path:
    path = d / "sessions.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return path


def make_truncated(d: Path, real: Path) -> Path:
    data = real.read_bytes()
    path = d / "tronque.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def make_corrupt_entry(d: Path, real: Path) -> Path:
    """Central directory intact, compressed bytes of a worksheet scrambled."""
    data = bytearray(real.read_bytes())
    with zipfile.ZipFile(real) as archive:
        info = max(archive.infolist(), key=lambda i: i.compress_size)
    start = info.header_offset + 30 + len(info.filename) + 200
    rnd = random.Random(5)
    for k in range(start, start + min(20000, info.compress_size - 400)):
        data[k] = rnd.randrange(256)
    path = d / "abime.xlsx"
    path.write_bytes(bytes(data))
    return path


def make_ole2(d: Path, real: Path) -> Path:
    path = d / "protege.xlsx"  # Excel saves a password-protected .xlsx as an OLE2 container
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 4088)
    return path


def make_xls(d: Path, real: Path) -> Path:
    path = d / "ancien.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 4088)
    return path


def make_ods(d: Path, real: Path, name: str = "libreoffice.ods") -> Path:
    path = d / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
        archive.writestr("content.xml", "<office:document-content/>")
    return path


def make_ods_renamed(d: Path, real: Path) -> Path:
    return make_ods(d, real, "libreoffice-renomme.xlsx")


def make_plain_zip(d: Path, real: Path) -> Path:
    return _zip(d / "photos.xlsx", {"photo1.txt": "bonjour", "docs/readme.md": "# rien"})


def make_docx(d: Path, real: Path) -> Path:
    return _zip(
        d / "courrier.xlsx",
        {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"},
    )


def make_submission(d: Path, real: Path) -> Path:
    """The tool's own JSON, given to validate instead of the workbook it came from."""
    path = d / "soumission.json"
    path.write_text(
        '{\n  "header": {\n    "format": "sofi-bulk/soumission/2",\n    "programme": "é"\n  }\n}\n',
        encoding="utf-8",
    )
    return path


def make_lheo(d: Path, real: Path) -> Path:
    path = d / "offre.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<lheo xmlns="http://lheo.gouv.fr/2.3"/>\n',
        encoding="utf-8",
    )
    return path


def make_too_many(d: Path, real: Path) -> Path:
    path = d / "trop-d-elements.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(5001):
            archive.writestr(f"xl/x/{i}.xml", "")
    return path


def make_empty(d: Path, real: Path) -> Path:
    path = d / "vide.xlsx"
    path.write_bytes(b"")
    return path


def make_directory(d: Path, real: Path) -> Path:
    path = d / "dossier.xlsx"
    path.mkdir()
    return path


def make_missing(d: Path, real: Path) -> Path:
    return d / "absent.xlsx"


BAD_FILES = {
    "random-bytes": (make_random, "autre type"),
    "csv-renamed-xlsx": (make_csv_renamed, "CSV"),
    "csv-cp1252-renamed-xlsx": (make_csv_cp1252_renamed, "n'est pas un classeur"),
    "real-csv": (make_real_csv, "CSV"),
    "truncated": (make_truncated, "endommagé"),
    "corrupt-entry": (make_corrupt_entry, "endommagé"),
    "ole2-password": (make_ole2, "mot de passe"),
    "xls": (make_xls, ".xls"),
    "ods": (make_ods, "OpenDocument"),
    "ods-renamed-xlsx": (make_ods_renamed, "OpenDocument"),
    "zip-not-workbook": (make_plain_zip, "pas un classeur"),
    "docx-renamed-xlsx": (make_docx, "c'est un document Word (.docx), pas un classeur"),
    "own-submission": (make_submission, "soumission JSON écrite par sofi-bulk, pas un classeur"),
    "own-lheo": (make_lheo, "fichier LHEO (XML), pas un classeur"),
    "too-many-entries": (make_too_many, "éléments"),
    "empty": (make_empty, "vide"),
    "directory": (make_directory, "dossier"),
    "missing": (make_missing, "introuvable"),
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, real_xlsx) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    return {name: make(d, real_xlsx) for name, (make, _) in BAD_FILES.items()}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_file_through_the_library(kind, bad_files):
    path = bad_files[kind]
    with pytest.raises(WorkbookError) as info:
        library_check(path)
    message = str(info.value)
    assert message.startswith(f"{path.name} : ")
    assert BAD_FILES[kind][1] in message
    assert "Traceback" not in message


@pytest.fixture(scope="module")
def bad_files_cli(bad_files) -> dict[str, subprocess.CompletedProcess]:
    """``validate`` on every bad file, the processes run side by side to save time."""
    procs = {
        kind: subprocess.Popen(
            [sys.executable, "-m", "sofi_bulk", "validate", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for kind, path in bad_files.items()
    }
    results = {}
    for kind, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        results[kind] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_file_through_the_command(kind, bad_files, bad_files_cli):
    path = bad_files[kind]
    message = assert_refused(bad_files_cli[kind], path.name)
    assert BAD_FILES[kind][1] in message


def test_a_name_typed_without_its_extension_is_suggested(tmp_path, real_xlsx):
    (tmp_path / "saisie.xlsx").write_bytes(real_xlsx.read_bytes())
    message = assert_refused(run_process("validate", "saisie", cwd=tmp_path), "saisie")
    assert "fichier introuvable. Vouliez-vous dire saisie.xlsx ?" in message
    message = assert_refused(run_process("validate", "autre", cwd=tmp_path), "autre")
    assert "Vouliez-vous dire" not in message


def test_truncated_file_message_is_french_only(bad_files):
    """The refusal quotes zipfile's English reason ("File is not a zip file")."""
    with pytest.raises(WorkbookError) as info:
        library_check(bad_files["truncated"])
    assert "File is not a zip file" not in str(info.value)


@pytest.mark.parametrize("command", ["export", "validate"])
def test_bad_file_with_an_output_writes_nothing(command, bad_files, tmp_path):
    out = tmp_path / ("sortie.json" if command == "export" else "sortie.xlsx")
    assert_refused(run_process(command, bad_files["random-bytes"], "-o", out), "aleatoire.xlsx")
    assert list(tmp_path.iterdir()) == []


# --- the zip bomb -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """An xlsx-looking zip: content types, workbook, and a 50 MB worksheet of zeros (~50 kB)."""
    path = tmp_path_factory.mktemp("bomb") / "bombe.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        archive.writestr("xl/_rels/workbook.xml.rels", "<Relationships/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(50 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    return path


def _forbid_parsers(monkeypatch) -> list[str]:
    """Replace python-calamine's workbook class and openpyxl's loader by spies that refuse."""
    import openpyxl
    import python_calamine

    calls: list[str] = []

    class NoCalamine:
        @staticmethod
        def from_path(*args, **kwargs):
            calls.append("calamine")
            raise AssertionError("python-calamine must not open a zip bomb")

        @staticmethod
        def from_filelike(*args, **kwargs):
            calls.append("calamine")
            raise AssertionError("python-calamine must not open a zip bomb")

    def no_openpyxl(*args, **kwargs):
        calls.append("openpyxl")
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", NoCalamine)
    monkeypatch.setattr(openpyxl, "load_workbook", no_openpyxl)
    monkeypatch.setattr("openpyxl.reader.excel.load_workbook", no_openpyxl)
    return calls


def test_parser_spies_do_catch_a_real_read(real_xlsx, monkeypatch):
    """Control for the zip bomb test: the spies sit where read_workbook really calls."""
    calls = _forbid_parsers(monkeypatch)
    with pytest.raises(WorkbookError):
        read_workbook(real_xlsx)
    assert calls == ["calamine"]


def test_zip_bomb_is_refused_before_any_parser(zip_bomb, monkeypatch):
    calls = _forbid_parsers(monkeypatch)
    started = time.perf_counter()
    with pytest.raises(WorkbookError) as info:
        read_workbook(zip_bomb)
    elapsed = time.perf_counter() - started
    assert calls == []
    assert elapsed < 1.0
    message = str(info.value)
    assert message.startswith("bombe.xlsx : ")
    assert "compression" in message and "refusé" in message


def test_zip_bomb_through_the_command(zip_bomb):
    started = time.perf_counter()
    proc = run_process("validate", zip_bomb)
    elapsed = time.perf_counter() - started
    message = assert_refused(proc, "bombe.xlsx")
    assert "compression" in message
    assert elapsed < 15


# --- workbooks of another template version or programme, or without sessions --------------
def test_other_template_version_library(meta_files):
    with pytest.raises(WorkbookError) as info:
        library_check(meta_files["old-version"])
    message = str(info.value)
    assert message.startswith("ancienne-version.xlsx : ")
    assert "2024.1" in message and load_profile().template_version in message
    assert "sofi-bulk template" in message  # what to do


def test_other_template_version_command(meta_files):
    message = assert_refused(
        run_process("validate", meta_files["old-version"]), "ancienne-version.xlsx"
    )
    assert "autre version du modèle" in message
    assert "sofi-bulk template" in message


def test_other_layout_format_command(meta_files):
    done = run_process("validate", meta_files["old-format"])
    message = assert_refused(done, "ancien-format.xlsx")
    assert "format 0" in message


def test_other_programme_library(meta_files):
    """The _meta sheet names a programme this installation does not have."""
    with pytest.raises(WorkbookError) as info:
        library_check(meta_files["other-programme"])
    message = str(info.value)
    assert message.startswith("autre-programme.xlsx : "), message
    assert "autre-programme" in message.split(" : ", 1)[1] or "Autre programme" in message
    assert "prepa-avenir-sup" in message or "--programme" in message  # what to do


def test_other_programme_command(meta_files):
    message = assert_refused(
        run_process("validate", meta_files["other-programme"]), "autre-programme.xlsx"
    )
    assert "programme" in message


def test_workbook_cannot_make_the_tool_load_a_file_of_its_choice(meta_files):
    """_meta's programme is an id stamped by ``template`` (never a path): a workbook naming a
    .json file on disk must be refused, not have that file loaded as its programme profile."""
    with pytest.raises(WorkbookError) as info:
        library_check(meta_files["programme-path"])
    assert str(info.value).startswith("profil-local.xlsx : ")


def test_programme_option_that_contradicts_the_workbook(real_xlsx):
    message = assert_refused(
        run_process("validate", real_xlsx, "--programme", "autre-programme"), "saisie.xlsx"
    )
    assert "PREPA Avenir Sup" in message and "autre-programme" in message
    assert "--programme" in message


@pytest.fixture(scope="module")
def untouched_template(tmp_path_factory) -> Path:
    from sofi_bulk.core.profile import load_profile
    from sofi_bulk.excel.referentiel import load_referentiel
    from sofi_bulk.excel.template import write_template

    path = tmp_path_factory.mktemp("tpl") / "modele-vierge.xlsx"
    write_template(path, load_profile(), load_referentiel())
    return path


def test_untouched_template_library(untouched_template):
    with pytest.raises(WorkbookError) as info:
        library_check(untouched_template)
    message = str(info.value)
    assert message.startswith("modele-vierge.xlsx : ")
    assert "aucune session" in message


def test_untouched_template_command(untouched_template):
    message = assert_refused(run_process("validate", untouched_template), "modele-vierge.xlsx")
    assert "aucune session" in message


def test_workbook_without_sessions_sheet_library(no_sessions_sheet):
    with pytest.raises(WorkbookError) as info:
        library_check(no_sessions_sheet)
    message = str(info.value)
    assert message.startswith("sans-sessions.xlsx : ")
    assert "Sessions" in message and "absente" in message


def test_workbook_without_sessions_sheet_command(no_sessions_sheet):
    message = assert_refused(run_process("validate", no_sessions_sheet), "sans-sessions.xlsx")
    assert "Sessions" in message


def test_workbook_error_is_a_user_error():
    assert issubclass(WorkbookError, UserError)


# --- the input is never written; a bad output path writes nothing ----------------------------
@pytest.fixture
def work_copy(real_xlsx, tmp_path) -> Path:
    path = tmp_path / "saisie.xlsx"
    path.write_bytes(real_xlsx.read_bytes())
    return path


def test_validate_and_export_leave_the_input_unchanged(work_copy):
    before = sha256(work_copy)
    stat = work_copy.stat()
    folder = work_copy.parent
    validated = run_process("validate", work_copy, "-o", folder / "annotee.xlsx")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    exported = run_process("export", work_copy, "-o", folder / "soumission.json")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert sha256(work_copy) == before
    assert work_copy.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in folder.iterdir()) == [
        "annotee.xlsx",
        "saisie.xlsx",
        "soumission.json",
    ]


@pytest.mark.parametrize("spelling", ["same", "dot-slash", "absolute", "symlink"])
def test_validate_output_equal_to_input_is_refused(work_copy, spelling):
    folder = work_copy.parent
    before = sha256(work_copy)
    if spelling == "symlink":
        (folder / "lien.xlsx").symlink_to(work_copy)
        target, cwd = "lien.xlsx", folder
    else:
        target = {"same": "saisie.xlsx", "dot-slash": "./saisie.xlsx", "absolute": str(work_copy)}[
            spelling
        ]
        cwd = folder
    listing = sorted(p.name for p in folder.iterdir())
    message = assert_refused(
        run_process("validate", "saisie.xlsx", "-o", target, cwd=cwd), Path(target).name
    )
    assert "entrée" in message
    assert sha256(work_copy) == before
    assert sorted(p.name for p in folder.iterdir()) == listing


def test_export_output_equal_to_input_is_refused(work_copy):
    before = sha256(work_copy)
    assert_refused(run_process("export", work_copy, "-o", work_copy), "saisie.xlsx")
    assert sha256(work_copy) == before
    assert [p.name for p in work_copy.parent.iterdir()] == ["saisie.xlsx"]


@pytest.mark.parametrize("command", ["validate", "export"])
def test_output_in_a_missing_folder_is_refused(work_copy, command):
    missing = work_copy.parent / "pas-de-dossier"
    out = missing / ("copie.xlsx" if command == "validate" else "soumission.json")
    done = run_process(command, work_copy, "-o", out)
    message = assert_refused(done, "copie" if command == "validate" else "soumission")
    assert "n'existe pas" in message
    assert not missing.exists()
    assert [p.name for p in work_copy.parent.iterdir()] == ["saisie.xlsx"]


def test_validate_output_that_is_not_xlsx_is_refused(work_copy):
    message = assert_refused(
        run_process("validate", work_copy, "-o", work_copy.parent / "copie.xls"), "copie.xls"
    )
    assert ".xlsx" in message
    assert [p.name for p in work_copy.parent.iterdir()] == ["saisie.xlsx"]
