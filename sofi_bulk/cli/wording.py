"""The command line's French: click's help and usage in French (« Utilisation : »,
« Options : », « Commandes : »), the options every command shares, and click's own
English usage errors said again in French.

Nothing here runs a command or decides an exit status (``cli.app``, ``cli.exits``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any

import click

from sofi_bulk.api import DEFAULT_PROGRAMME

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _FrenchFormatter(click.HelpFormatter):
    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading} :\n")  # « Options : »


class _FrenchContext(click.Context):
    formatter_class = _FrenchFormatter


class _FrenchUsage(click.Command):
    context_class = _FrenchContext

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(
            ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), "Utilisation : "
        )


class FrenchCommand(_FrenchUsage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[OPTIONS]")
        super().__init__(*args, **kwargs)


class FrenchGroup(_FrenchUsage, click.Group):
    command_class = FrenchCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "COMMANDE [ARGUMENTS]…")
        super().__init__(*args, **kwargs)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, cmd.get_short_help_str(70))
            for name in self.list_commands(ctx)
            if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden
        ]
        if rows:
            with formatter.section("Commandes"):
                formatter.write_dl(rows)


# --- the options several commands share ---------------------------------------------------
def help_option(f: Any) -> Any:
    return click.help_option("-h", "--help", help="Affiche cette aide et quitte.")(f)


def programme_option(f: Any) -> Any:
    return click.option(
        "--programme",
        "-p",
        metavar="PROGRAMME",
        default=None,
        help=f"Programme (profil) : {DEFAULT_PROGRAMME}, ou un fichier de profil .json. "
        "Par défaut : celui du classeur.",
    )(f)


def force_option(f: Any) -> Any:
    return click.option(
        "--ecraser",
        "force",
        is_flag=True,
        default=False,
        help="Remplace le fichier de sortie même s'il contient des données saisies à la main.",
    )(f)


def referentiel_option(f: Any) -> Any:
    return click.option(
        "--referentiel",
        "-r",
        metavar="CHEMIN",
        default=None,
        help="Référentiel de la Région (.xlsx, .xls, .ods, ou dossier de fichiers CSV). Par "
        "défaut : celui intégré au classeur (ou l'exemple fourni).",
    )(f)


def quiet_option(f: Any) -> Any:
    return click.option(
        "--silencieux",
        "-q",
        "quiet",
        is_flag=True,
        default=False,
        help="N'affiche que la ligne de résumé (et les erreurs qui arrêtent la commande).",
    )(f)


# --- click's usage errors, in French ------------------------------------------------------
# the French a user may type for a command, which keeps its English name
FRENCH_NAMES = {
    "valider": "validate",
    "controler": "validate",
    "verifier": "validate",
    "modele": "template",
    "gabarit": "template",
    "exporter": "export",
    "soumission": "export",
    "server": "serveur",
}


def close_command(name: str, known: list[str]) -> str | None:
    """The command meant by a misspelt or French ``name`` (« valider » → validate)."""
    folded = fold_accents(name.strip().lower())
    meant = FRENCH_NAMES.get(folded)
    if meant in known:
        return meant
    found = difflib.get_close_matches(folded, known, n=1, cutoff=0.6)
    return found[0] if found else None


def fold_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def missing_output() -> click.UsageError:
    return click.UsageError("option obligatoire manquante : -o / --output (le fichier à écrire).")


def french_usage_error(exc: click.UsageError) -> str:
    if isinstance(exc, click.MissingParameter):
        hint = exc.param.get_error_hint(exc.ctx).replace("'", "") if exc.param and exc.ctx else "?"
        if isinstance(exc.param, click.Argument):
            return f"argument obligatoire manquant : {hint} (le fichier à traiter)."
        return f"option obligatoire manquante : {hint}."
    if isinstance(exc, click.NoSuchOption):
        close = sorted(exc.possibilities or [])
        hint = f" ; vouliez-vous dire {' ou '.join(close)} ?" if close else "."
        return f"option inconnue : {exc.option_name}{hint}"
    if isinstance(exc, click.BadParameter):
        return f"valeur invalide : {exc.format_message()}"
    message = exc.format_message()
    quoted = re.findall(r"'([^']+)'", message)
    if message.startswith("No such command"):
        name = quoted[0] if quoted else "?"
        group = exc.ctx.command if exc.ctx is not None else None
        known = (
            group.list_commands(exc.ctx)
            if isinstance(group, click.Group) and exc.ctx is not None
            else list(FRENCH_NAMES.values())
        )
        guess = close_command(name, known)
        hint = f" ; vouliez-vous dire « {guess} » ?" if guess else ""
        return f"commande inconnue « {name} »{hint} Commandes : {', '.join(known)}."
    if "requires an argument" in message:
        return f"une valeur est attendue après {quoted[0] if quoted else 'l’option'}."
    if message.startswith("Got unexpected extra argument"):
        return f"argument en trop ({message.split('(')[-1].rstrip(')')})."
    return message
