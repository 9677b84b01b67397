"""Every case of the hostile corpus, through the command: the right exit status, never a
traceback nor the internal-error status, the input's bytes unchanged, nothing half-written
left behind, and a French message."""

from __future__ import annotations

import hashlib
import io
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tests.hostile.corpus import Base, Case, build_base, cases

CASES = cases()
ENGLISH = re.compile(
    r"Traceback|Error:|Exception|No such file|Permission denied|[Nn]ot found|"
    r"\bInvalid\b|File name too long|[Ii]s a directory|\bcannot\b|\bfailed\b"
)


@pytest.fixture(scope="session")
def base(tmp_path_factory) -> Base:
    return build_base(tmp_path_factory.mktemp("corpus-base"))


def run(args: list[str]) -> tuple[int, str, str]:
    from sofi_bulk.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def fingerprints(folder: Path) -> dict[Path, str]:
    return {
        p: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def test_the_corpus_is_large_and_covers_every_category():
    categories = {c.category for c in CASES}
    assert len(CASES) >= 100, len(CASES)
    assert categories == {
        "conteneur",
        "bombe",
        "xml",
        "injection",
        "controle",
        "valeurs",
        "en-tetes",
        "meta",
        "referentiel",
        "sortie",
    }
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case: Case, base: Base, tmp_path: Path):
    inp = case.make(tmp_path, base)
    out = tmp_path / (
        "sortie" + (".xlsx" if case.command[0] in ("validate", "template") else ".json")
    )
    if case.prepare:
        case.prepare(inp, out)
    before = fingerprints(tmp_path)
    args = [
        a.replace("{in}", str(inp)).replace("{out}", str(out)).replace("{dir}", str(tmp_path))
        for a in case.command
    ]
    code, stdout, stderr = run(args)
    both = stdout + stderr
    assert "Traceback" not in both, both[-2000:]
    assert code != 3, f"internal error: {stderr[-1500:]}"
    assert code in case.status, (code, stdout[-1500:], stderr[-1500:])
    after = fingerprints(tmp_path)
    for path, digest in before.items():  # every input (and every file already there) untouched
        assert after.get(path) == digest, f"{path.name} was changed"
    leftovers = [
        p.name
        for p in tmp_path.rglob("*")
        if p.name.endswith(".tmp") or p.name.startswith(".sortie")
    ]
    assert not leftovers, leftovers
    if code == 2:
        assert stderr.startswith("Erreur"), stderr
        assert not ENGLISH.search(stderr), stderr
        if case.message:
            assert case.message.lower() in stderr.lower(), stderr
    if case.output and code in (0, 1) and "-o" in case.command:
        written = Path(case.output.replace("{out}", str(out)))
        if code == 0 or case.command[0] in ("validate", "template"):
            assert written.exists(), "no output written"
            if case.check:
                case.check(written)
