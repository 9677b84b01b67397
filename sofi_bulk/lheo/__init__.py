"""LHEO 2.3: the mapping of every field, the document builder and the official XSD.

``submission_to_lheo`` (in ``convert``) is the entry point; it is loaded on first use so
that reading the mapping does not load lxml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sofi_bulk.lheo.convert import LheoError, submission_to_lheo, validate_lheo, write_lheo

__all__ = ["LheoError", "submission_to_lheo", "validate_lheo", "write_lheo"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sofi_bulk.lheo import convert

        return getattr(convert, name)
    raise AttributeError(name)
