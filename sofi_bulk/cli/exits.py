"""How a run of ``sofi-bulk`` ends: every way it can fail becomes one French line on
stderr and an exit status, never a traceback (``--debug`` shows one for a defect).

0 done, 1 errors found in the workbook (the commands exit so themselves), 2 a file or
parameter refused, 3 a defect of the tool, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback

import click
from rich.markup import escape

from sofi_bulk.api import ReferentielError
from sofi_bulk.cli.term import console, err_console, make_streams_safe
from sofi_bulk.cli.wording import french_usage_error
from sofi_bulk.core.errors import UserError, os_reason

EXIT_OK, EXIT_INVALID, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
MAX_SHOWN_PROBLEMS = 30
NO_ARGS_IS_HELP: type[Exception] = getattr(
    click.exceptions, "NoArgsIsHelpError", type("_Never", (Exception,), {})
)


def run(command: click.Command, argv: list[str] | None = None) -> None:
    """Run ``command`` with ``argv`` (the process's arguments by default) and exit with
    its status."""
    make_streams_safe()
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("SOFI_BULK_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != "--debug"]  # accepted anywhere on the line
    try:
        command.main(args=args, prog_name="sofi-bulk", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except NO_ARGS_IS_HELP as exc:  # "sofi-bulk" alone: show the help
        ctx = getattr(exc, "ctx", None)
        console.print(ctx.get_help() if ctx else "", markup=False)
        sys.exit(EXIT_OK)
    except click.UsageError as exc:
        path = exc.ctx.command_path if exc.ctx else "sofi-bulk"
        err_console.print(f"[bold red]Erreur[/] : {french_usage_error(exc)} (aide : {path} --help)")
        sys.exit(EXIT_BAD_INPUT)
    except click.Abort:  # click's form of Ctrl+C (and of an input that ended early)
        err_console.print("Interrompu.")
        sys.exit(EXIT_INTERRUPTED)
    except UserError as exc:
        # a référentiel's problems one line each; other errors say their own intro
        problems = (exc.problems if isinstance(exc, ReferentielError) else None) or [str(exc)]
        for problem in problems[:MAX_SHOWN_PROBLEMS]:  # one line each (a référentiel's)
            err_console.print(f"[bold red]Erreur[/] : {escape(problem)}", soft_wrap=True)
        if len(problems) > MAX_SHOWN_PROBLEMS:
            err_console.print(f"… et {len(problems) - MAX_SHOWN_PROBLEMS} autres problèmes.")
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        err_console.print("Interrompu.")
        sys.exit(EXIT_INTERRUPTED)
    except OSError as exc:  # a file that vanished or cannot be read mid-way
        err_console.print(
            f"[bold red]Erreur[/] : {escape(str(exc.filename or ''))} : lecture ou écriture "
            f"impossible ({escape(os_reason(exc))})."
        )
        sys.exit(EXIT_BAD_INPUT)
    except RecursionError:
        err_console.print(
            "[bold red]Erreur[/] : fichier trop profondément imbriqué ; il est refusé."
        )
        sys.exit(EXIT_BAD_INPUT)
    except MemoryError:
        err_console.print(
            "[bold red]Erreur[/] : fichier trop volumineux pour la mémoire disponible."
        )
        sys.exit(EXIT_BAD_INPUT)
    except Exception as exc:  # a defect of the tool, not of the user's file
        if debug:
            traceback.print_exc()
        err_console.print(
            f"[bold red]Erreur interne de sofi-bulk[/] ({escape(type(exc).__name__)}) : le "
            "problème vient de l'outil, pas forcément de votre fichier. Signalez-le (voir "
            "« Signaler un problème » dans le README) avec la commande lancée et, si possible, "
            "le fichier ; relancez avec --debug pour afficher le détail technique."
        )
        sys.exit(EXIT_INTERNAL)
