"""The add-in as a user installs it: the wheel of the running sofi-bulk, and the ``main.py``
and ``requirements.txt`` that xlwings Lite is given.

The wheel holds the code that runs, whatever its version number says: from a source
checkout (an editable install, the tests) hatchling builds it from ``pyproject.toml``, as
``pip wheel`` would; from an installed sofi-bulk (a service deployed with ``pip install``,
where no source is left) it is packed again from the files its RECORD lists. Both ways give
the same bytes each time, so that every web process of a service serves the same file.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import tempfile
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from sofi_bulk.core.errors import UserError
from sofi_bulk.core.resources import PACKAGE_DIR, bundled
from sofi_bulk.core.version import __version__

DISTRIBUTION = "sofi-bulk"
# what xlwings Lite installs besides sofi-bulk: the tested series (pure packages are pinned,
# Pyodide's own are not, as Lite's documentation asks)
XLWINGS_REQUIREMENT = "xlwings>=0.37.8,<0.38"
# the add-in's buttons: script → the label xlwings Lite shows (addin/main.py, the Aide sheet)
ADDIN_BUTTONS = {
    "controler": "Contrôler",
    "effacer_controle": "Effacer le contrôle",
    "exporter_soumission": "Exporter la soumission",
    "exporter_lheo": "Exporter le fichier LHEO",
}
# the service's page « Contrôler dans Excel », under its address (sofi_bulk/web/urls.py)
PAGE_PATH = "complement/"
# files an installer adds to a distribution: not part of the wheel
INSTALLER_FILES = {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the same bytes at each build


def wheel_name(version: str = __version__) -> str:
    return f"sofi_bulk-{version}-py3-none-any.whl"


def addin_main() -> str:
    """The text of ``addin/main.py``, shipped in the wheel (``sofi_bulk/_bundled/addin``)."""
    return bundled("addin", "main.py").read_text(encoding="utf-8")


def addin_requirements(wheel_url: str | None = None) -> str:
    """The text of xlwings Lite's ``requirements.txt``: xlwings, then sofi-bulk from the
    wheel's address, or from PyPI (``sofi-bulk==X.Y.Z``) when none is given."""
    source = wheel_url or f"{DISTRIBUTION}=={__version__}"
    return f"{XLWINGS_REQUIREMENT}\n{source}\n"


def service_address(text: str) -> str:
    """A service's address as given to ``--service`` (``https://depot.exemple.fr``), checked;
    one French line when it is not one."""
    value = text.strip()
    parts = urlsplit(value)
    if (
        len(value) > 200
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username is not None
        or any(c.isspace() or not c.isprintable() or c in "\"'<>\\" for c in value)
    ):
        raise UserError(
            f"Adresse du service invalide : « {value[:80]} » (attendu : l'adresse du service "
            "« Déposer son offre », par exemple https://depot.exemple.fr)."
        )
    return value


def page_url(service: str) -> str:
    """The address of the service's page « Contrôler dans Excel »."""
    base = service_address(service).rstrip("/")
    return base + "/" if base.endswith("/" + PAGE_PATH.rstrip("/")) else f"{base}/{PAGE_PATH}"


# --- the wheel --------------------------------------------------------------------------------
def build_wheel() -> bytes:
    """The wheel of the running sofi-bulk (see the module's docstring)."""
    source = source_checkout()
    if source is not None:
        return _hatch(source)
    return repack(importlib.metadata.distribution(DISTRIBUTION))


def source_checkout() -> Path | None:
    """The repository the running package comes from, if it runs from one."""
    root = PACKAGE_DIR.parent
    try:
        declared = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return root if declared.get("project", {}).get("name") == DISTRIBUTION else None


def _hatch(root: Path) -> bytes:
    from hatchling.builders.wheel import WheelBuilder

    with tempfile.TemporaryDirectory(prefix="sofi-bulk-roue-") as folder:
        (built,) = WheelBuilder(str(root)).build(directory=folder, versions=["standard"])
        return Path(built).read_bytes()


def repack(distribution: importlib.metadata.Distribution) -> bytes:
    """The wheel of an installed distribution, from the files its RECORD lists (the package
    and its ``.dist-info``), without what the installer added; a new RECORD."""
    if distribution.version != __version__:
        raise RuntimeError(
            f"sofi-bulk {distribution.version} est installé, {__version__} tourne : "
            "relancez le service après une mise à jour."
        )
    info = f"sofi_bulk-{distribution.version}.dist-info"
    files = sorted(
        str(f)
        for f in distribution.files or []
        if f.parts[0] in ("sofi_bulk", info)
        and "__pycache__" not in f.parts
        and f.suffix != ".pyc"
        and not (f.parts[0] == info and f.name in INSTALLER_FILES)
    )
    if not any(f.startswith("sofi_bulk/") for f in files):
        raise RuntimeError("sofi-bulk n'est installé ni depuis une roue ni depuis ses sources.")
    files.sort(key=lambda name: name.startswith(info))  # the .dist-info last, as wheels have it
    record = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name in files:
            data = Path(str(distribution.locate_file(name))).read_bytes()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{name},sha256={digest.decode()},{len(data)}")
            _write(wheel, name, data)
        record.append(f"{info}/RECORD,,")
        _write(wheel, f"{info}/RECORD", ("\n".join(record) + "\n").encode())
    return buffer.getvalue()


def _write(wheel: zipfile.ZipFile, name: str, data: bytes) -> None:
    entry = zipfile.ZipInfo(name, ZIP_TIME)
    entry.external_attr = 0o644 << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    wheel.writestr(entry, data)
