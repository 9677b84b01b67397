"""Errors the CLI turns into one French line and exit status 2 (no traceback)."""


class UserError(Exception):
    """Bad input from the user: a file, a path or an option. The message is French."""


class WorkbookError(UserError):
    """A workbook that cannot be read at all (not an xlsx, corrupt, hostile, wrong template)."""
