"""The ``sofi-bulk`` command line: a thin face over the library."""

from sofi_bulk.cli.app import cli, main

__all__ = ["cli", "main"]
