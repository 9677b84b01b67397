"""The ``sofi-bulk`` command line: a thin face over the library."""

from sofi_bulk.cli.app import cli, main
from sofi_bulk.cli.server import serveur

cli.add_command(serveur)

__all__ = ["cli", "main"]
