"""``sofi-bulk serveur`` and ``sofi-bulk serveur compte``: French help and errors, accounts
in the data folder, and Django kept out of every other command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.web.conftest import PASSWORD, SIRET_A

SOFI = str(Path(sys.executable).with_name("sofi-bulk"))


def sofi(
    *args: str, password: str = PASSWORD, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")} | (env or {})
    env["SOFI_BULK_MOT_DE_PASSE"] = password
    return subprocess.run(
        [SOFI, *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )


def test_help_is_french():
    done = sofi("serveur", "--help")
    assert done.returncode == 0
    assert "Lance le service web" in done.stdout and "--donnees" in done.stdout
    assert "compte" in done.stdout and "--base" in done.stdout
    assert "serveur" in sofi("--help").stdout


def test_accounts_are_created_in_the_data_folder(tmp_path):
    data = tmp_path / "donnees"
    done = sofi(
        "serveur",
        "--donnees",
        str(data),
        "compte",
        "organisme",
        "ilf",
        "--siret",
        SIRET_A,
        "--nom",
        "Institut Ligérien",
    )
    assert done.returncode == 0, done.stderr
    assert "compte « ilf » créé pour l'Institut Ligérien (SIRET 44198765800016)" in done.stdout
    assert (data / "sofi-bulk.sqlite3").is_file()
    key = data / "cle-secrete.txt"
    assert key.is_file() and oct(key.stat().st_mode & 0o777) == "0o600"
    second = sofi(
        "serveur", "--donnees", str(data), "compte", "organisme", "ilf2", "--siret", SIRET_A
    )  # the organisation exists: no name needed
    assert second.returncode == 0, second.stderr
    staff = sofi("serveur", "--donnees", str(data), "compte", "personnel", "agent", "--admin")
    assert staff.returncode == 0 and "administrateur" in staff.stdout


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (
            ["organisme", "x", "--siret", "12345678901234", "--nom", "X"],
            PASSWORD,
            "SIRET « 12345678901234 » invalide",
        ),
        (["organisme", "x", "--siret", SIRET_A], PASSWORD, "donnez son nom avec --nom"),
        (["personnel", "x"], "court", "mot de passe refusé"),
    ],
)
def test_account_errors_are_one_french_line(tmp_path, args, password, message):
    done = sofi("serveur", "--donnees", str(tmp_path), "compte", *args, password=password)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_database_is_one_french_line(tmp_path):
    done = sofi(
        "serveur",
        "--donnees",
        str(tmp_path),
        "--base",
        "postgresql://personne@127.0.0.1:9/aucune",
        "compte",
        "personnel",
        "x",
    )
    assert done.returncode == 2
    assert "base de données" in done.stderr and "injoignable" in done.stderr
    assert "Traceback" not in done.stderr


def test_other_commands_never_load_django(tmp_path):
    out = str(tmp_path / "a.xlsx")
    code = (
        "import sys\n"
        "from sofi_bulk.cli import main\n"
        "try:\n"
        f"    main(['validate', 'examples/saisie-exemple.xlsx', '-o', {out!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('django', 'waitress', 'axes', 'csp') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


def test_accounts_imported_from_a_csv_with_invitations_as_files(tmp_path):
    data = tmp_path / "donnees"
    mails = tmp_path / "courriels"
    csv = tmp_path / "organismes.csv"
    csv.write_bytes(
        (
            "SIRET;Nom;E-mail\r\n"
            f"{SIRET_A};Institut Ligérien de Formation;contact@ilf-formation.fr\r\n"
            "12345678901234;SIRET faux;a@exemple.fr\r\n"
        ).encode("cp1252")
    )
    env = {"SOFI_WEB_EMAIL_DIR": str(mails), "SOFI_WEB_SITE": "https://depot.exemple.fr"}
    args = ("serveur", "--donnees", str(data), "comptes", "importer", str(csv))
    done = sofi(*args, env=env)
    assert done.returncode == 1, done.stderr  # a row refused
    out = " ".join(done.stdout.split())
    assert f"ligne 2 : créé : compte « {SIRET_A} » de l'Institut Ligérien de Formation" in out
    assert "ligne 3 : refusé : SIRET « 12345678901234 » invalide" in out
    assert "1 compte créé, 0 mis à jour, 0 inchangé, 1 ligne refusée. 1 invitation envoyée." in out
    (sent,) = mails.iterdir()
    text = sent.read_text(encoding="utf-8")
    assert "To: contact@ilf-formation.fr" in text and "https://depot.exemple.fr/invitation/" in text

    csv.write_text(
        f"SIRET;Nom;E-mail\n{SIRET_A};Institut Ligérien de Formation;contact@ilf-formation.fr\n",
        encoding="utf-8",
    )
    again = sofi(*args, env=env)
    assert again.returncode == 0, again.stderr
    assert "0 compte créé, 0 mis à jour, 1 inchangé, 0 ligne refusée." in again.stdout
    assert len(list(mails.iterdir())) == 1

    staff = sofi(
        "serveur", "--donnees", str(data), "compte", "personnel", "agent", "--courriel",
        "agent@carif-oref.fr", "--inviter", env=env,
    )  # fmt: skip
    assert staff.returncode == 0, staff.stderr
    assert "invitation envoyée à agent@carif-oref.fr" in staff.stdout
    assert len(list(mails.iterdir())) == 2


def test_an_import_without_its_columns_is_one_french_line(tmp_path):
    csv = tmp_path / "liste.csv"
    csv.write_text("numero;raison\n44198765800016;ILF\n", encoding="utf-8")
    done = sofi("serveur", "--donnees", str(tmp_path), "comptes", "importer", str(csv))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "colonnes absentes de la première ligne : SIRET, Nom, E-mail" in " ".join(
        done.stderr.split()
    )
    missing = sofi("serveur", "--donnees", str(tmp_path), "comptes", "importer", "absent.csv")
    assert missing.returncode == 2 and "absent.csv" in missing.stderr
    assert "Traceback" not in missing.stderr
