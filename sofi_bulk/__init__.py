"""sofi-bulk: bulk entry of SOFI training offers (PREPA Avenir Sup) through Excel workbooks.

    import sofi_bulk
    result = sofi_bulk.check("saisie.xlsx")          # or plain rows: {"Sessions": [[...]]}
    for issue in result.issues: print(issue.cell, issue.message)

The functions below load on first use (``sofi_bulk.api``), so ``import sofi_bulk`` stays
light. Layers: ``core`` (the checks, no file format), adapters (``excel``, ``submission``,
``lheo``, ``reprise``, ``files``), faces (``cli``, ``lite``, ``web``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sofi_bulk.core.version import __version__

if TYPE_CHECKING:
    from sofi_bulk.api import (
        build_template,
        check,
        check_date,
        error_lines,
        from_rows,
        geography_gaps,
        load_profile,
        load_referentiel,
        made_with_example,
        origin,
        plan,
        read,
        read_submission,
        select_lots,
        stale_campaigns,
        take_back,
        to_lheo,
        to_submission,
        write_annotated,
        write_blank_referentiel,
        write_bytes,
        write_lheo,
        write_submission,
        write_template,
    )

__all__ = [
    "__version__",
    "annotated_name",
    "base_stem",
    "build_template",
    "check",
    "check_date",
    "error_lines",
    "from_rows",
    "geography_gaps",
    "is_annotated",
    "load_profile",
    "load_referentiel",
    "made_with_example",
    "origin",
    "plan",
    "read",
    "read_submission",
    "select_lots",
    "stale_campaigns",
    "take_back",
    "to_lheo",
    "to_submission",
    "write_annotated",
    "write_blank_referentiel",
    "write_bytes",
    "write_lheo",
    "write_submission",
    "write_template",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sofi_bulk import api

        return getattr(api, name)
    raise AttributeError(f"module 'sofi_bulk' has no attribute {name!r}")
