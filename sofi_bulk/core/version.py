"""The tool's version, stamped in every workbook, submission and report."""

__version__ = "0.1.0"
