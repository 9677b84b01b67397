"""The add-in as the service hands it out (sofi_bulk/distribution.py): the wheel of the code
that runs, the same bytes at each build, from a source checkout or packed again from an
installed sofi-bulk; the texts a user pastes; the service's address, checked."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import subprocess
import sys
import zipfile

import pytest

from sofi_bulk import __version__, api
from sofi_bulk.core.errors import UserError
from sofi_bulk.distribution import repack, source_checkout
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel() -> bytes:
    return api.addin_wheel()


def contents(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def record_is_true(files: dict[str, bytes]) -> None:
    """Each file but RECORD is listed in RECORD with its SHA-256 and size, and nothing else."""
    (record,) = [n for n in files if n.endswith(".dist-info/RECORD")]
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(files[record].decode()))}
    assert set(rows) == set(files)
    for name, data in files.items():
        if name == record:
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert rows[name] == [f"sha256={digest}", str(len(data))], name


def test_from_this_checkout_hatchling_builds_the_same_bytes_each_time(wheel):
    assert source_checkout() == ROOT
    assert api.addin_wheel() == wheel
    assert api.addin_wheel_name() == f"sofi_bulk-{__version__}-py3-none-any.whl"
    record_is_true(contents(wheel))


def test_an_installed_sofi_bulk_is_packed_again_into_the_same_wheel(wheel, tmp_path):
    """A service installed with pip has no source left: its wheel comes from the installed
    files, and holds exactly what the original wheel held."""
    (tmp_path / api.addin_wheel_name()).write_bytes(wheel)
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile"]
        + ["--target", str(target), str(tmp_path / api.addin_wheel_name())],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (installed,) = importlib.metadata.distributions(path=[str(target)], name="sofi-bulk")
    assert (target / f"sofi_bulk-{__version__}.dist-info" / "INSTALLER").exists()
    packed = repack(installed)
    assert repack(installed) == packed  # the same bytes for every process
    original, again = contents(wheel), contents(packed)
    assert set(again) == set(original)  # nothing the installer added, nothing lost
    for name, data in original.items():
        if not name.endswith("RECORD"):
            assert again[name] == data, name
    record_is_true(again)
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        assert archive.namelist()[-1].endswith(".dist-info/RECORD")


def test_an_installed_copy_of_another_version_is_refused(tmp_path, monkeypatch):
    class Other(importlib.metadata.Distribution):
        version = "9.9.9"

        def read_text(self, filename):
            return None

        def locate_file(self, path):
            return tmp_path / str(path)

    with pytest.raises(RuntimeError, match="sofi-bulk 9.9.9 est installé"):
        repack(Other())


def test_the_texts_to_paste(wheel):
    url = f"https://depot.exemple.fr/complement/{api.addin_wheel_name()}"
    assert api.addin_requirements(url) == f"xlwings>=0.37.8,<0.38\n{url}\n"
    assert api.addin_requirements() == f"xlwings>=0.37.8,<0.38\nsofi-bulk=={__version__}\n"
    assert api.addin_main() == (ROOT / "addin" / "main.py").read_text(encoding="utf-8")
    assert contents(wheel)["sofi_bulk/_bundled/addin/main.py"].decode() == api.addin_main()


@pytest.mark.parametrize(
    ("given", "page"),
    [
        ("https://depot.exemple.fr", "https://depot.exemple.fr/complement/"),
        ("https://depot.exemple.fr/", "https://depot.exemple.fr/complement/"),
        (" https://depot.exemple.fr/complement/ ", "https://depot.exemple.fr/complement/"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001/complement/"),
        ("https://exemple.fr/offre/", "https://exemple.fr/offre/complement/"),
    ],
)
def test_a_service_address_gives_its_page(given, page):
    assert api.addin_page(given) == page


@pytest.mark.parametrize(
    "given",
    [
        "depot.exemple.fr",
        "ftp://depot.exemple.fr",
        "javascript:alert(1)",
        "https://",
        "https://depot.exemple.fr/?a=1",
        "https://depot.exemple.fr/#x",
        "https://moi:secret@depot.exemple.fr",
        'https://depot.exemple.fr/"onmouseover',
        "https://depot exemple.fr",
        "https://depot.exemple.fr/\x00",
        "https://" + "a" * 200 + ".fr",
    ],
)
def test_what_is_not_a_service_address_is_refused_in_french(given):
    with pytest.raises(UserError, match="^Adresse du service invalide : « "):
        api.addin_page(given)
