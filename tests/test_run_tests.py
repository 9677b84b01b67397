"""tools/run-tests, the README's test command: it installs the Debian packages the tests need
only when some are missing, and says in one French line which ones to install when it
cannot (no root nor sudo, another system). Its package step is run here with stand-ins for
apt-get, dpkg-query, id and sudo first on PATH, which write down how they were called."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.lo import REQUIRED_APT_PACKAGES

SCRIPT = ROOT / "tools" / "run-tests"


def packages() -> list[str]:
    """The script's package list, as written in it."""
    listed = re.search(r"^PACKAGES=\((.*?)^\)", SCRIPT.read_text(encoding="utf-8"), re.S | re.M)
    assert listed
    entries = [line.split("#")[0].strip() for line in listed.group(1).splitlines()]
    return [e.split(":")[0] for e in entries if e]


def run_package_step(
    tmp_path: Path,
    *,
    installed: list[str],
    uid: int = 0,
    sudo: bool = False,
    apt: bool = True,
    apt_fails: bool = False,
    commands: tuple[str, ...] = (),
) -> tuple[subprocess.CompletedProcess, list[str]]:
    """``tools/run-tests --paquets`` with only stand-ins and ``dirname``/``env`` on PATH;
    the run, and the stand-ins' calls (``apt-get …``, ``sudo …``)."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir(parents=True)
    log.touch()

    def stand_in(name: str, body: str) -> None:
        (bin_dir / name).write_text(f"#!{shutil.which('bash')}\n{body}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)

    for real in ("dirname", "env"):
        (bin_dir / real).symlink_to(shutil.which(real))
    stand_in("id", f'[ "$1" = -u ] && echo {uid}')
    for name in commands:  # a program found on PATH (Node from NodeSource, say)
        stand_in(name, "exit 0")
    if apt:
        status = " ".join(installed)
        stand_in(
            "dpkg-query",
            f'for p in {status}; do [ "$p" = "${{@: -1}}" ] && printf "ii " && exit 0; done\n'
            'echo "dpkg-query: no packages found matching ${@: -1}" >&2; exit 1',
        )
        stand_in("apt-get", f'echo "apt-get $*" >> {log}\nexit {int(apt_fails)}')
    if sudo:
        stand_in("sudo", f'echo "sudo $*" >> {log}\nexec "$@"')
    done = subprocess.run(
        [shutil.which("bash"), str(SCRIPT), "--paquets"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(bin_dir), "LANG": "C.UTF-8"},
    )
    return done, log.read_text(encoding="utf-8").splitlines()


def test_the_list_holds_every_program_the_tests_need():
    listed = packages()
    assert len(listed) == len(set(listed))
    for package in (
        *REQUIRED_APT_PACKAGES,
        "python3-venv",
        "fonts-crosextra-carlito",
        "chromium",
        "chromium-driver",
        "postgresql",
        "nginx",
        "nodejs",
        "npm",
    ):
        assert package in listed, package


def test_nothing_is_installed_when_everything_is(tmp_path):
    done, calls = run_package_step(tmp_path, installed=packages(), uid=1000)
    assert (done.returncode, done.stdout, done.stderr, calls) == (0, "", "", [])


def test_root_installs_only_what_is_missing(tmp_path):
    present = [p for p in packages() if p not in ("nginx", "fonts-crosextra-carlito")]
    done, calls = run_package_step(tmp_path, installed=present, uid=0)
    assert done.returncode == 0, done.stderr
    assert calls == [
        "apt-get update -qq",
        "apt-get install -y -qq fonts-crosextra-carlito nginx",
    ]
    assert "fonts-crosextra-carlito nginx" in done.stderr


def test_a_program_on_the_path_counts_for_its_package(tmp_path):
    """Node.js from NodeSource: no Debian ``npm`` package, but ``npm`` is there."""
    present = [p for p in packages() if p not in ("nodejs", "npm")]
    done, calls = run_package_step(tmp_path, installed=present, commands=("node", "npm"))
    assert (done.returncode, calls) == (0, [])
    done, calls = run_package_step(tmp_path / "sans", installed=present, commands=("node",))
    assert done.returncode == 0 and calls[-1] == "apt-get install -y -qq npm"


def test_a_user_with_sudo_installs_through_it(tmp_path):
    present = [p for p in packages() if p != "postgresql"]
    done, calls = run_package_step(tmp_path, installed=present, uid=1000, sudo=True)
    assert done.returncode == 0, done.stderr
    assert calls == [
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "apt-get update -qq",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql",
        "apt-get install -y -qq postgresql",
    ]


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ({"uid": 1000}, "Installation impossible sans root ni sudo"),
        ({"apt": False}, "Installation impossible : ce système n'est ni Debian ni Ubuntu"),
        ({"apt_fails": True}, "Installation impossible : apt-get a échoué"),
    ],
)
def test_when_it_cannot_install_it_says_which_packages_in_one_french_line(tmp_path, case, says):
    present = [p for p in packages() if p not in ("chromium", "nginx")]
    done, _ = run_package_step(tmp_path, installed=present, **case)
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.splitlines()[-1:]
    assert line.startswith(says), done.stderr
    named = line.rsplit(" : ", 1)[1].split()
    if case.get("apt") is False:  # nothing can be checked there: every package is named
        assert named == packages()
    else:
        assert named[-2:] == ["chromium", "nginx"] and "postgresql" not in named
    if not case.get("apt_fails"):
        assert done.stderr.count("\n") == 1


def test_an_unknown_option_is_refused_in_french(tmp_path):
    done = subprocess.run(
        [shutil.which("bash"), str(SCRIPT), "--vite"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr == "Option inconnue : --vite (seule --paquets est acceptée)\n"


def test_the_script_is_executable_and_runs_every_check_ci_needs():
    text = SCRIPT.read_text(encoding="utf-8")
    assert os.access(SCRIPT, os.X_OK) and "\nset -euo pipefail\n" in text
    for step in (
        "python3 -m venv .venv",
        '.venv/bin/pip install -q -e ".[test]"',
        ".venv/bin/python -m tests.pyodide.env",
        ".venv/bin/ruff check sofi_bulk tests benchmarks examples tools",
        ".venv/bin/mypy sofi_bulk",
        "\n.venv/bin/python -m pytest -n 2 --dist loadfile\n",
        ".venv/bin/python -m pytest -q -n 2 --dist loadfile -m postgresql",
    ):
        assert step in text, step
