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


def sofi(*args: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")}
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
