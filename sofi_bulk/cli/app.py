"""The ``sofi-bulk`` command: template, validate, export, lheo, referentiel.

Each command is a thin layer over a library function (``write_template``,
``validate_file``, ``build_submission``, ``submission_to_lheo``). Bad input gives one
French line and exit status 2, never a traceback; validation errors give status 1.
Output never fails on the console's encoding (``cli.term``); long steps show on stderr.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from sofi_bulk.cli.outputs import (
    annotated_name,
    backup_path,
    check_backup,
    check_output_path,
    correction_command,
)
from sofi_bulk.cli.term import Steps, TermConsole, json_text, make_streams_safe
from sofi_bulk.core.errors import UserError, os_reason
from sofi_bulk.core.records import ValidationResult
from sofi_bulk.core.referentiel import Referentiel, ReferentielError
from sofi_bulk.core.text import fr_number, plural
from sofi_bulk.core.version import __version__
from sofi_bulk.core.workbook import WorkbookInput

console = TermConsole(highlight=False, soft_wrap=True)
err_console = TermConsole(stderr=True, highlight=False, soft_wrap=True)

EXIT_OK, EXIT_INVALID, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
MAX_SHOWN_PROBLEMS = 30
NO_ARGS_IS_HELP: type[Exception] = getattr(
    click.exceptions, "NoArgsIsHelpError", type("_Never", (Exception,), {})
)


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


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _help(f: Any) -> Any:
    return click.help_option("-h", "--help", help="Affiche cette aide et quitte.")(f)


def _programme_option(f: Any) -> Any:
    return click.option(
        "--programme",
        "-p",
        metavar="PROGRAMME",
        default=None,
        help="Programme (profil) : prepa-avenir-sup, ou un fichier de profil .json. "
        "Par défaut : celui du classeur.",
    )(f)


def _force_option(f: Any) -> Any:
    return click.option(
        "--ecraser",
        "force",
        is_flag=True,
        default=False,
        help="Remplace le fichier de sortie même s'il contient des données saisies à la main.",
    )(f)


def _referentiel_option(f: Any) -> Any:
    return click.option(
        "--referentiel",
        "-r",
        metavar="CHEMIN",
        default=None,
        help="Référentiel de la Région (.xlsx, .xls, .ods, ou dossier de fichiers CSV). Par "
        "défaut : celui intégré au classeur (ou l'exemple fourni).",
    )(f)


def _quiet_option(f: Any) -> Any:
    return click.option(
        "--silencieux",
        "-q",
        "quiet",
        is_flag=True,
        default=False,
        help="N'affiche que la ligne de résumé (et les erreurs qui arrêtent la commande).",
    )(f)


@click.group(
    cls=FrenchGroup,
    context_settings=CONTEXT,
    add_help_option=False,
    help="Saisie en masse de l'offre de formation SOFI (Carif-Oref Pays de la Loire) dans Excel : "
    "modèle de saisie, contrôle, export JSON et LHEO 2.3.",
    epilog="Statuts de sortie : 0 réussi, 1 erreurs trouvées dans le classeur, 2 fichier ou "
    "paramètre refusé, 3 erreur interne de l'outil (--debug, placé n'importe où sur la ligne, "
    "en affiche le détail technique).",
)
@click.version_option(
    __version__, "--version", message="sofi-bulk %(version)s", help="Affiche la version et quitte."
)
@_help
def cli() -> None:
    pass


# --- template -------------------------------------------------------------------------------
@cli.command("template", add_help_option=False, short_help="Génère le classeur de saisie.")
@_referentiel_option
@click.option(
    "--programme",
    "-p",
    metavar="PROGRAMME",
    default="prepa-avenir-sup",
    help="Programme (profil) du modèle : prepa-avenir-sup (par défaut) ou un fichier de profil "
    ".json.",
)
@click.option(
    "--lot",
    "lots",
    metavar="LOT",
    multiple=True,
    help="Ne proposer que ce lot (répétable : --lot PAS2025_1 --lot PAS2025_2).",
)
@click.option(
    "--siret", metavar="SIRET", default=None, help="Ne proposer que les lots de cet organisme."
)
@click.option("--output", "-o", metavar="FICHIER.xlsx", help="Classeur à écrire (obligatoire).")
@_force_option
@_quiet_option
@_help
def template_cmd(
    referentiel: str | None,
    programme: str,
    lots: tuple[str, ...],
    siret: str | None,
    output: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Génère le classeur de saisie : une ligne par session, listes déroulantes par lot, valeurs
    imposées et par défaut du programme, aide sur chaque colonne.

    Exemple : sofi-bulk template -o saisie.xlsx
    """
    from sofi_bulk.core.profile import load_profile
    from sofi_bulk.excel.referentiel import load_referentiel
    from sofi_bulk.excel.template import write_template

    out = _xlsx_output(_required_output(output))
    check_output_path(out, [Path(referentiel)] if referentiel else [], force)
    steps = Steps(err_console, not quiet)
    with steps.step("Lecture du référentiel"):
        ref = load_referentiel(referentiel)
    _print_referentiel_warnings(ref, quiet)
    with steps.step(f"Écriture de {out.name}"):
        builder = write_template(
            out, load_profile(programme), ref, lots=list(lots) or None, siret=siret
        )
    lots_text = ", ".join(lot.numero for lot in builder.lots)
    noted = (
        f" ; {plural(len(ref.warnings), 'avertissement')} du référentiel"
        if quiet and ref.warnings
        else ""
    )
    console.print(
        f"[green]✔[/] Modèle écrit : [bold]{escape(str(out))}[/] "
        f"({escape(builder.profile.label)} ; lots {escape(str(lots_text))} ; "
        f"{fr_number(builder.rows['Sessions'])} lignes de session{noted})."
    )
    if quiet:
        return
    if referentiel is None:
        _example_warning()
    console.print(
        f"Remplissez-le, puis contrôlez-le : sofi-bulk validate {escape(str(out.name))} -o "
        f"{escape(annotated_name(out))}"
    )


# --- validate ------------------------------------------------------------------------------
@cli.command("validate", add_help_option=False, short_help="Contrôle un classeur rempli.")
@click.argument("fichier", metavar="FICHIER.xlsx")
@click.option(
    "--output",
    "-o",
    metavar="COPIE.xlsx",
    default=None,
    help="Écrit une copie annotée : cellules en erreur colorées et commentées, feuille « Erreurs "
    "».",
)
@click.option(
    "--en-place",
    "in_place",
    is_flag=True,
    default=False,
    help="Inscrit les marques du contrôle dans le fichier contrôlé lui-même (un classeur "
    "produit par sofi-bulk : modèle rempli ou copie annotée), après en avoir gardé une "
    "sauvegarde à côté (FICHIER.sauvegarde.xlsx).",
)
@click.option(
    "--format",
    "fmt",
    metavar="texte|json",
    default="texte",
    help="Format du rapport affiché : texte (lisible, par défaut) ou json (pour d'autres outils).",
)
@_referentiel_option
@_programme_option
@_force_option
@_quiet_option
@_help
def validate_cmd(
    fichier: str,
    output: str | None,
    in_place: bool,
    fmt: str,
    referentiel: str | None,
    programme: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Contrôle chaque ligne du classeur (champs, listes, dates, règles de la procédure) et
    affiche les erreurs avec leur cellule. Statut de sortie : 0 sans erreur (avertissements
    admis), 1 avec des erreurs, 2 si le fichier est illisible.

    Exemple : sofi-bulk validate saisie.xlsx -o saisie-annotee.xlsx ; puis, après les
    corrections : sofi-bulk validate saisie-annotee.xlsx --en-place
    """
    from sofi_bulk.cli.report import print_report
    from sofi_bulk.core.report import refusal_data, report_data

    fmt = fmt.lower()
    if fmt not in ("texte", "json", "text"):
        raise UserError(f"--format : « {fmt} » inconnu ; choisissez texte ou json.")
    source = Path(fichier)
    steps = Steps(err_console, not quiet)
    try:
        out = _xlsx_output(output) if output else None
        if out and in_place:
            raise UserError("choisissez -o (une copie annotée) ou --en-place, pas les deux.")
        if out:
            check_output_path(out, _inputs(source, referentiel), force)
        original = _in_place_check(source, force) if in_place else b""
        book, result = _validate(source, referentiel, programme, steps, quiet)
        if in_place and not book.meta:
            raise UserError(
                f"{source} n'a pas été produit par sofi-bulk (pas de feuille _meta) : "
                f"--en-place ne le modifie pas. Écrivez plutôt une copie annotée : -o "
                f"{annotated_name(source)}"
            )
    except UserError as exc:
        if fmt == "json":  # other tools get an answer on stdout too
            click.echo(json_text(refusal_data(source.name or str(source), str(exc))))
        raise
    if fmt == "json":
        click.echo(json_text(report_data(result)))
    elif quiet:
        console.print(f"{escape(result.book_name)} : {escape(_summary(result))}")
    else:
        print_report(result, console)
        if _is_example(book.meta):
            _example_warning()
    target = source if in_place else out
    if target is not None:
        from sofi_bulk.excel.copy import write_annotated
        from sofi_bulk.files import write_bytes_atomic

        if in_place:
            write_bytes_atomic(backup_path(source), original)
        with steps.step("Écriture de la copie annotée"):
            write_annotated(target, result, in_place=in_place)  # the path was checked above
        if fmt != "json" and not quiet:
            kept = f" (sauvegarde : {backup_path(source).name})" if in_place else ""
            again = (
                f"sofi-bulk validate {target.name} --en-place"
                if in_place
                else correction_command(target)
            )
            todo = f" : corrigez-la, puis contrôlez-la à nouveau ({again})" if result.issues else ""
            what = "Marques inscrites dans" if in_place else "Copie annotée écrite :"
            console.print(f"{what} [bold]{escape(str(target))}[/]{escape(kept + todo)}.")
    elif result.issues and fmt != "json" and not quiet:
        console.print(
            f"Pour voir les marques dans le classeur : {escape(correction_command(source))}"
        )
    sys.exit(EXIT_OK if result.ok else EXIT_INVALID)


def _in_place_check(source: Path, force: bool) -> bytes:
    """Before an in-place run: an .xlsx that exists, and a backup place that is free (or
    holds an earlier backup); the file's bytes as they are, for the backup."""
    if source.suffix.lower() != ".xlsx":
        raise UserError(f"{source} : --en-place ne s'applique qu'à un classeur .xlsx.")
    check_backup(backup_path(source), force)
    try:
        return source.read_bytes()
    except OSError as exc:
        raise UserError(f"{source} : lecture impossible (fichier introuvable ?).") from exc


def _summary(result: ValidationResult) -> str:
    from sofi_bulk.cli.report import summary_line

    warnings = result.referentiel.warnings
    extra = f" ; référentiel : {plural(len(warnings), 'avertissement')}" if warnings else ""
    return summary_line(result) + extra


# --- export ---------------------------------------------------------------------------------
@cli.command("export", add_help_option=False, short_help="Écrit la soumission JSON.")
@click.argument("fichier", metavar="FICHIER.xlsx")
@click.option(
    "--output", "-o", metavar="SOUMISSION.json", help="Fichier JSON à écrire (obligatoire)."
)
@_referentiel_option
@_programme_option
@_force_option
@_quiet_option
@_help
def export_cmd(
    fichier: str,
    output: str | None,
    referentiel: str | None,
    programme: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Écrit la soumission JSON (formation → actions → sessions), conforme au schéma
    schemas/submission.schema.json. Refusé (statut 1) tant que le contrôle trouve des erreurs.

    Exemple : sofi-bulk export saisie.xlsx -o soumission.json
    """
    from sofi_bulk.files import write_bytes_atomic
    from sofi_bulk.submission.build import build_submission
    from sofi_bulk.submission.io import dumps

    source, out = Path(fichier), _output_with(_required_output(output), ".json")
    check_output_path(out, _inputs(source, referentiel), force)
    steps = Steps(err_console, not quiet)
    book, result = _validate_for_export(source, referentiel, programme, steps, quiet)
    with steps.step(f"Écriture de {out.name}"):
        data = build_submission(result)
        write_bytes_atomic(out, dumps(data).encode("utf-8"))
    n, f = data["header"]["session_count"], len(data["formations"])
    console.print(
        f"[green]✔[/] Soumission écrite : [bold]{escape(str(out))}[/] ({plural(n, 'session')}, "
        f"{plural(f, 'formation')})."
    )
    if quiet:
        return
    if _is_example(book.meta):
        _example_warning()
    if result.warnings:
        console.print(
            f"[yellow]⚠ {plural(len(result.warnings), 'avertissement')}[/] : voir "
            f"{escape(correction_command(source))}"
        )


# --- lheo -----------------------------------------------------------------------------------
@cli.command("lheo", add_help_option=False, short_help="Écrit le fichier LHEO 2.3 (XML).")
@click.argument("fichier", metavar="FICHIER.xlsx|FICHIER.json")
@click.option("--output", "-o", metavar="OFFRE.xml", help="Fichier XML à écrire (obligatoire).")
@_referentiel_option
@_programme_option
@_force_option
@_quiet_option
@_help
def lheo_cmd(
    fichier: str,
    output: str | None,
    referentiel: str | None,
    programme: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Écrit l'offre au format LHEO 2.3, validée par le schéma XSD officiel, depuis un
    classeur (contrôlé d'abord, comme pour export) ou une soumission JSON.

    Exemple : sofi-bulk lheo saisie.xlsx -o offre.xml
    """
    from sofi_bulk.core.profile import load_profile
    from sofi_bulk.lheo.convert import submission_to_lheo, write_lheo
    from sofi_bulk.submission.build import SessionSource, build_submission
    from sofi_bulk.submission.io import load_submission_json

    source, out = Path(fichier), _output_with(_required_output(output), ".xml")
    check_output_path(out, _inputs(source, referentiel), force)
    steps = Steps(err_console, not quiet)
    if source.suffix.lower() == ".json":
        data = load_submission_json(source)
        profile = load_profile(programme or data["header"]["programme"])
        with steps.step(f"Écriture de {out.name}"):
            xml = submission_to_lheo(data, profile)
    else:
        _, result = _validate_for_export(source, referentiel, programme, steps, quiet)
        with steps.step(f"Écriture de {out.name}"):
            sources: list[SessionSource] = []
            data = build_submission(result, sources=sources)
            xml = submission_to_lheo(data, result.profile, sources)
    write_lheo(out, xml)
    n = data["header"]["session_count"]
    console.print(
        "[green]✔[/] Fichier LHEO 2.3 écrit et validé par le XSD officiel : "
        f"[bold]{escape(str(out))}[/] "
        f"({plural(n, 'session')})."
    )


# --- referentiel ----------------------------------------------------------------------------
@cli.group(
    "referentiel",
    cls=FrenchGroup,
    add_help_option=False,
    short_help="Prépare ou vérifie le référentiel de la Région.",
)
@_help
def referentiel_group() -> None:
    """Le référentiel de la Région (lots, organismes, sites, contacts) : un classeur vierge à
    lui envoyer, et la vérification d'un référentiel reçu.

    Exemples : sofi-bulk referentiel modele -o referentiel.xlsx ;
    sofi-bulk referentiel verifier extraction-region.xlsx
    """


@referentiel_group.command(
    "modele", add_help_option=False, short_help="Écrit un référentiel vierge à remplir."
)
@click.option("--output", "-o", metavar="REFERENTIEL.xlsx", help="Classeur à écrire (obligatoire).")
@_force_option
@_help
def referentiel_blank_cmd(output: str | None, force: bool) -> None:
    """Écrit un référentiel vierge : une feuille par table avec les en-têtes attendus (et
    une ligne d'exemple), au format Texte, et une feuille d'aide. À envoyer à la Région.

    Exemple : sofi-bulk referentiel modele -o referentiel.xlsx
    """
    from sofi_bulk.excel.referentiel_blank import write_blank_referentiel

    out = _xlsx_output(_required_output(output))
    check_output_path(out, [], force)
    write_blank_referentiel(out)
    console.print(
        f"[green]✔[/] Référentiel vierge écrit : [bold]{escape(str(out))}[/] (feuilles Lots, "
        "Organismes, Sites, Contacts, avec une ligne d'exemple chacune, et Aide)."
    )
    console.print(
        f"Une fois rempli, vérifiez-le : sofi-bulk referentiel verifier {escape(out.name)}"
    )


@referentiel_group.command(
    "verifier", add_help_option=False, short_help="Dit ce que sofi-bulk comprend d'un référentiel."
)
@click.argument("chemin", metavar="CHEMIN")
@click.option(
    "--programme",
    "-p",
    metavar="PROGRAMME",
    default="prepa-avenir-sup",
    help="Programme (profil) dont les lots seront proposés : prepa-avenir-sup (par défaut) ou "
    "un fichier de profil .json.",
)
@_quiet_option
@_help
def referentiel_check_cmd(chemin: str, programme: str, quiet: bool) -> None:
    """Lit un référentiel (.xlsx, .xls, .ods ou dossier de CSV) et dit ce qui en est compris :
    tables et colonnes reconnues, lots avec leur mandataire, sites et contacts de chaque lot,
    places et année, avertissements. Statut 0 s'il permet de générer le modèle, 2 sinon.

    Exemple : sofi-bulk referentiel verifier extraction-region.xlsx
    """
    from sofi_bulk.cli.referentiel import print_understanding, summary
    from sofi_bulk.core.lots import select_lots
    from sofi_bulk.core.profile import load_profile
    from sofi_bulk.excel.referentiel import load_referentiel

    profile = load_profile(programme)
    with Steps(err_console, not quiet).step("Lecture du référentiel"):
        ref = load_referentiel(chemin)
    if quiet:
        console.print(escape(summary(ref)))
    else:
        print_understanding(ref, profile, console)
    select_lots(profile, ref, None, None)  # what « template » would refuse, refused here
    if not quiet:
        console.print(
            f"[green]✔[/] Référentiel utilisable pour {escape(profile.label)} : sofi-bulk "
            f"template --referentiel {escape(chemin)} -o saisie.xlsx"
        )


# --- helpers --------------------------------------------------------------------------------
def _inputs(source: Path, referentiel: str | None) -> list[Path]:
    """The files a command reads, which its output may never replace."""
    return [source, Path(referentiel)] if referentiel else [source]


def _validate(
    source: Path,
    referentiel: str | None,
    programme: str | None,
    steps: Steps | None = None,
    quiet: bool = False,
) -> tuple[WorkbookInput, ValidationResult]:
    from sofi_bulk.core.context import resolve_context
    from sofi_bulk.core.validate import validate_book
    from sofi_bulk.excel.reader import read_workbook
    from sofi_bulk.excel.referentiel import load_referentiel

    steps = steps or Steps(err_console, False)
    with steps.step(f"Lecture de {source.name}"):
        book = read_workbook(source)
        ref = load_referentiel(referentiel) if referentiel is not None else None
    if ref is not None:
        _print_referentiel_warnings(ref, quiet)
    with steps.step("Contrôle"):
        ctx = resolve_context(book, programme, ref, fallback=load_referentiel)
        return book, validate_book(book, ctx.profile, ctx.referentiel, ctx.notices)


def _validate_for_export(
    source: Path,
    referentiel: str | None,
    programme: str | None,
    steps: Steps | None = None,
    quiet: bool = False,
) -> tuple[WorkbookInput, ValidationResult]:
    """Validate; a workbook with errors stops here (status 1), as export and lheo require."""
    book, result = _validate(source, referentiel, programme, steps, quiet)
    if not result.ok:
        _refuse(result)
    return book, result


def _print_referentiel_warnings(ref: Referentiel, quiet: bool) -> None:
    """What reading the référentiel did not use, on stderr: never dropped in silence."""
    if quiet:
        return
    for warning in ref.warnings:
        err_console.print(f"[yellow]⚠[/] {escape(warning)}", soft_wrap=True)


def _is_example(meta: dict[str, str]) -> bool:
    from sofi_bulk.core.resources import example_referentiel

    return meta.get("referentiel_source") == example_referentiel().name


def _example_warning() -> None:
    err_console.print(
        "[yellow]⚠ Référentiel d'exemple (lots, organismes, sites et contacts fictifs).[/] Pour "
        "vos "
        "vrais lots, générez le modèle avec --referentiel <extraction de la Région>."
    )


def _refuse(result: Any) -> None:
    from sofi_bulk.cli.report import print_report

    print_report(result, err_console, shown=10)
    err_console.print(
        f"[bold red]Export refusé[/] : corrigez les erreurs "
        f"({escape(correction_command(Path(result.book_name)))}), puis recommencez."
    )
    sys.exit(EXIT_INVALID)


def _required_output(output: str | None) -> str:
    if not output:
        raise click.UsageError(
            "option obligatoire manquante : -o / --output (le fichier à écrire)."
        )
    return output


def _output_with(output: str, suffix: str) -> Path:
    out = Path(output)
    if out.suffix.lower() != suffix:
        raise UserError(f"{output} : le fichier à écrire doit avoir l'extension {suffix}.")
    return out


def _xlsx_output(output: str) -> Path:
    return _output_with(output, ".xlsx")


def _french_usage_error(exc: click.UsageError) -> str:
    if isinstance(exc, click.MissingParameter):
        hint = exc.param.get_error_hint(exc.ctx).replace("'", "") if exc.param and exc.ctx else "?"
        if isinstance(exc.param, click.Argument):
            return f"argument obligatoire manquant : {hint} (le fichier à traiter)."
        return f"option obligatoire manquante : {hint}."
    if isinstance(exc, click.NoSuchOption):
        return f"option inconnue : {exc.option_name}."
    if isinstance(exc, click.BadParameter):
        return f"valeur invalide : {exc.format_message()}"
    message = exc.format_message()
    quoted = re.findall(r"'([^']+)'", message)
    if message.startswith("No such command"):
        name = quoted[0] if quoted else "?"
        return (
            f"commande inconnue « {name} » ; commandes : template, validate, export, lheo, "
            "referentiel, serveur, travailleur."
        )
    if "requires an argument" in message:
        return f"une valeur est attendue après {quoted[0] if quoted else 'l’option'}."
    if message.startswith("Got unexpected extra argument"):
        return f"argument en trop ({message.split('(')[-1].rstrip(')')})."
    return message


def main(argv: list[str] | None = None) -> None:
    make_streams_safe()
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("SOFI_BULK_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != "--debug"]  # accepted anywhere on the line
    try:
        cli.main(args=args, prog_name="sofi-bulk", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except NO_ARGS_IS_HELP as exc:  # "sofi-bulk" alone: show the help
        ctx = getattr(exc, "ctx", None)
        console.print(ctx.get_help() if ctx else "", markup=False)
        sys.exit(EXIT_OK)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "sofi-bulk"
        err_console.print(
            f"[bold red]Erreur[/] : {_french_usage_error(exc)} (aide : {command} --help)"
        )
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
