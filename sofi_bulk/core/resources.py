"""Locate files shipped with the package (example référentiel, JSON Schema, XSD, profiles).

In a wheel the example and the schema live under ``sofi_bulk/_bundled``; in a source
checkout (editable install, tests) they are the repository's own ``examples/`` and
``schemas/`` folders. Only paths here: reading them is the adapters' business.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def bundled(*parts: str) -> Path:
    """Return the path of a bundled file, wherever the package was installed from."""
    for base in (PACKAGE_DIR / "_bundled", PACKAGE_DIR.parent):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError("/".join(parts))


def example_referentiel() -> Path:
    return bundled("examples", "referentiel-exemple.xlsx")


def submission_schema() -> Path:
    return bundled("schemas", "submission.schema.json")


def lheo_xsd() -> Path:
    return PACKAGE_DIR / "lheo" / "lheo-2.3.xsd"


def profiles_dir() -> Path:
    return PACKAGE_DIR / "profiles"
