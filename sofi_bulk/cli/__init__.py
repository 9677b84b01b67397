"""The ``sofi-bulk`` command line: a thin face over the library."""

from sofi_bulk.cli.app import cli, main
from sofi_bulk.cli.server import serveur, travailleur

cli.add_command(serveur)
cli.add_command(travailleur)

__all__ = ["cli", "main"]
