"""The ``sofi-bulk`` commands: template, validate, export, lheo, referentiel.

Each command is a thin layer over the library's front door (``sofi_bulk.api``):
``template`` over ``build_template``, ``validate`` over ``read``, ``check`` and
``write_annotated``, ``export`` over ``to_submission`` and ``write_submission``, ``lheo``
over ``write_lheo``, ``referentiel`` over ``write_blank_referentiel``,
``load_referentiel`` and ``select_lots``. The commands say what they did; their French
wording of click is in ``cli.wording``, and how a run ends (one French line and an exit
status for every failure, never a traceback) in ``cli.exits``. Output never fails on
the console's encoding (``cli.term``); long steps show on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from sofi_bulk import __version__, api
from sofi_bulk.api import DEFAULT_PROGRAMME, Referentiel, ValidationResult, WorkbookInput
from sofi_bulk.cli.exits import EXIT_INVALID, EXIT_OK, run
from sofi_bulk.cli.inputs import check_input
from sofi_bulk.cli.outputs import (
    annotated_name,
    backup_path,
    check_backup,
    check_output_path,
    correction_command,
    refuse_if_open,
    warn_if_open,
)
from sofi_bulk.cli.term import Steps, console, err_console, json_text
from sofi_bulk.cli.wording import (
    CONTEXT,
    FrenchGroup,
    force_option,
    help_option,
    missing_output,
    programme_option,
    quiet_option,
    referentiel_option,
)
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.text import fr_date, fr_number, plural


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
@help_option
def cli() -> None:
    pass


# --- template -------------------------------------------------------------------------------
@cli.command("template", add_help_option=False, short_help="Génère le classeur de saisie.")
@referentiel_option
@click.option(
    "--programme",
    "-p",
    metavar="PROGRAMME",
    default=DEFAULT_PROGRAMME,
    help=f"Programme (profil) du modèle : {DEFAULT_PROGRAMME} (par défaut) ou un fichier de profil "
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
@click.option(
    "--service",
    metavar="ADRESSE",
    default=None,
    help="Adresse du service « Déposer son offre » (par ex. https://depot.exemple.fr) : "
    "l'onglet Aide du modèle y renvoie pour installer le complément Excel.",
)
@click.option("--output", "-o", metavar="FICHIER.xlsx", help="Classeur à écrire (obligatoire).")
@click.option(
    "--reprendre",
    metavar="FICHIER",
    default=None,
    help="Pré-remplit le classeur avec une offre existante : fichier LHEO 2.3 (.xml), "
    "soumission JSON (.json) ou classeur déjà rempli (.xlsx) ; une ligne par session, avec "
    "son code FAS (sans --campagne, les sessions terminées sont laissées de côté).",
)
@click.option(
    "--campagne",
    metavar="[ANNÉE]",
    is_flag=False,
    flag_value="lots",
    default=None,
    help="Avec --reprendre : prépare la campagne suivante (nouvelles sessions des mêmes "
    "actions, dates décalées d'années entières jusqu'à ANNÉE, ou à l'année de campagne de "
    "chaque lot sans ANNÉE).",
)
@click.option(
    "--sans-dates",
    "sans_dates",
    is_flag=True,
    default=False,
    help="Avec --campagne : laisse les dates vides au lieu de les décaler.",
)
@force_option
@quiet_option
@help_option
def template_cmd(
    referentiel: str | None,
    programme: str,
    lots: tuple[str, ...],
    siret: str | None,
    service: str | None,
    output: str | None,
    reprendre: str | None,
    campagne: str | None,
    sans_dates: bool,
    force: bool,
    quiet: bool,
) -> None:
    """Génère le classeur de saisie : une ligne par session, listes déroulantes par lot, valeurs
    imposées et par défaut du programme, aide sur chaque colonne. Avec --reprendre, le
    classeur est pré-rempli avec une offre existante.

    Exemple : sofi-bulk template -o saisie.xlsx ; pour reprendre une offre : sofi-bulk
    template --reprendre offre-2025.xml --campagne 2026 -o saisie-2026.xlsx
    """
    out = _xlsx_output(_required_output(output))
    _check_inputs(Path(reprendre) if reprendre else None, referentiel, programme)
    inputs = [Path(p) for p in (referentiel, reprendre) if p]
    check_output_path(out, inputs, force)
    if reprendre is None and (campagne is not None or sans_dates):
        raise UserError("--campagne et --sans-dates vont avec --reprendre FICHIER.")
    if service is not None:
        api.addin_page(service)  # an address that is not one: refused before any work
    steps = Steps(err_console, not quiet)
    if reprendre is not None:
        from sofi_bulk.cli.reprise import take_back

        take_back(
            Path(reprendre),
            out,
            referentiel=referentiel,
            programme=programme,
            lots=list(lots) or None,
            siret=siret,
            campagne=campagne,
            sans_dates=sans_dates,
            steps=steps,
            quiet=quiet,
            service=service,
        )
        return
    with steps.step("Lecture du référentiel"):
        ref = api.load_referentiel(referentiel)
    _print_referentiel_warnings(ref, quiet)
    with steps.step(f"Écriture de {out.name}"):
        builder = api.build_template(
            programme=programme,
            referentiel=ref,
            lots=list(lots) or None,
            siret=siret,
            service=service,
        )
        builder.save(out)
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
    _campaign_warning(builder.lots, builder.profile)
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
@referentiel_option
@programme_option
@force_option
@quiet_option
@help_option
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
        _check_inputs(source, referentiel, programme)
        if out:
            check_output_path(
                out,
                _inputs(source, referentiel),
                force,
                instead=" Pour inscrire les marques dans le classeur lui-même, utilisez "
                f"--en-place (une sauvegarde est gardée à côté) : sofi-bulk validate "
                f"{source.name} --en-place",
            )
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
        if api.made_with_example(book):
            _example_warning()
    target = source if in_place else out
    if target is not None:
        if in_place:
            api.write_bytes(original, backup_path(source))
        with steps.step("Écriture de la copie annotée"):
            api.write_annotated(result, target, in_place=in_place)  # the path was checked above
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
    """Before an in-place run: an .xlsx that exists, that no spreadsheet program has open,
    and a backup place that is free (or holds an earlier backup); the file's bytes as they
    are, for the backup."""
    if source.suffix.lower() != ".xlsx":
        raise UserError(f"{source} : --en-place ne s'applique qu'à un classeur .xlsx.")
    refuse_if_open(
        source,
        "--en-place y écrirait pendant qu'il est ouvert, et l'enregistrer ensuite depuis sa "
        "fenêtre effacerait les marques",
    )
    check_backup(backup_path(source), force, source)
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
@referentiel_option
@programme_option
@force_option
@quiet_option
@help_option
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
    source, out = Path(fichier), _output_with(_required_output(output), ".json")
    _check_inputs(source, referentiel, programme)
    check_output_path(out, _inputs(source, referentiel), force)
    steps = Steps(err_console, not quiet)
    book, result = _validate_for_export(source, referentiel, programme, steps, quiet)
    with steps.step(f"Écriture de {out.name}"):
        data = api.to_submission(result)
        api.write_submission(data, out)
    n, f = data["header"]["session_count"], len(data["formations"])
    console.print(
        f"[green]✔[/] Soumission écrite : [bold]{escape(str(out))}[/] ({plural(n, 'session')}, "
        f"{plural(f, 'formation')})."
    )
    if quiet:
        return
    if api.made_with_example(book):
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
@referentiel_option
@programme_option
@force_option
@quiet_option
@help_option
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
    source, out = Path(fichier), _output_with(_required_output(output), ".xml")
    _check_inputs(source, referentiel, programme)
    check_output_path(out, _inputs(source, referentiel), force)
    steps = Steps(err_console, not quiet)
    if source.suffix.lower() == ".json":
        if referentiel is not None:  # said, not ignored in silence
            err_console.print(
                "[yellow]⚠ --referentiel est sans effet sur une soumission JSON[/] : elle porte "
                "déjà les lots de son classeur. Pour d'autres lots, exportez à nouveau le "
                "classeur fait avec ce référentiel.",
                soft_wrap=True,
            )
        data = api.read_submission(source)
        profile = api.load_profile(programme or data["header"]["programme"])
        with steps.step(f"Écriture de {out.name}"):
            xml = api.to_lheo(data, profile=profile)
        n = data["header"]["session_count"]
        made: Any = data  # what says whether it was made with the example
        result = None
    else:
        book, result = _validate_for_export(source, referentiel, programme, steps, quiet)
        with steps.step(f"Écriture de {out.name}"):
            xml = api.to_lheo(result)
        n = len(result.sessions)  # the submission's session_count
        made = book
    api.write_bytes(xml, out)
    console.print(
        "[green]✔[/] Fichier LHEO 2.3 écrit et validé par le XSD officiel : "
        f"[bold]{escape(str(out))}[/] "
        f"({plural(n, 'session')})."
    )
    if quiet:
        return
    if api.made_with_example(made):  # fictitious data in a file meant for the network
        _example_warning()
    if result is not None and result.warnings:
        console.print(
            f"[yellow]⚠ {plural(len(result.warnings), 'avertissement')}[/] : voir "
            f"{escape(correction_command(source))}"
        )


# --- referentiel ----------------------------------------------------------------------------
@cli.group(
    "referentiel",
    cls=FrenchGroup,
    add_help_option=False,
    short_help="Prépare ou vérifie le référentiel de la Région.",
)
@help_option
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
@force_option
@help_option
def referentiel_blank_cmd(output: str | None, force: bool) -> None:
    """Écrit un référentiel vierge : une feuille par table avec les en-têtes attendus (et
    une ligne d'exemple), au format Texte, et une feuille d'aide. À envoyer à la Région.

    Exemple : sofi-bulk referentiel modele -o referentiel.xlsx
    """
    out = _xlsx_output(_required_output(output))
    check_output_path(out, [], force)
    api.write_blank_referentiel(out)
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
    default=DEFAULT_PROGRAMME,
    help=f"Programme (profil) dont les lots seront proposés : {DEFAULT_PROGRAMME} (par défaut) ou "
    "un fichier de profil .json.",
)
@quiet_option
@help_option
def referentiel_check_cmd(chemin: str, programme: str, quiet: bool) -> None:
    """Lit un référentiel (.xlsx, .xls, .ods ou dossier de CSV) et dit ce qui en est compris :
    tables et colonnes reconnues, lots avec leur mandataire, sites et contacts de chaque lot,
    places et année, avertissements. Statut 0 s'il permet de générer le modèle, 2 sinon.

    Exemple : sofi-bulk referentiel verifier extraction-region.xlsx
    """
    from sofi_bulk.cli.referentiel import print_understanding, summary

    _check_inputs(None, chemin, programme)
    profile = api.load_profile(programme)
    with Steps(err_console, not quiet).step("Lecture du référentiel"):
        ref = api.load_referentiel(chemin)
    if quiet:
        console.print(escape(summary(ref, profile)))
    else:
        print_understanding(ref, profile, console)
    api.select_lots(ref, programme=profile)  # what « template » would refuse, refused here
    if not quiet:
        console.print(
            f"[green]✔[/] Référentiel utilisable pour {escape(profile.label)} : sofi-bulk "
            f"template --referentiel {escape(chemin)} -o saisie.xlsx"
        )


# --- helpers --------------------------------------------------------------------------------
def _check_inputs(source: Path | None, referentiel: str | None, programme: str | None) -> None:
    """Every file the command reads exists and is a file, before any output is looked at:
    a misspelt input is said missing (with the nearest names), not taken for something
    else."""
    if source is not None:
        check_input(source)
    if referentiel is not None:
        check_input(Path(referentiel), folder_ok=True, what="référentiel")
    if programme is not None and programme.lower().endswith(".json"):
        check_input(Path(programme), what="fichier de profil")


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
    steps = steps or Steps(err_console, False)
    opened = warn_if_open(source)
    if opened and not quiet:
        err_console.print(f"[yellow]⚠[/] {escape(opened)}", soft_wrap=True)
    with steps.step(f"Lecture de {source.name}"):
        book = api.read(source)
        ref = api.load_referentiel(referentiel) if referentiel is not None else None
    if ref is not None:
        _print_referentiel_warnings(ref, quiet)
    with steps.step("Contrôle"):
        return book, api.check(book, programme=programme, referentiel=ref)


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


def _example_warning() -> None:
    err_console.print(
        "[yellow]⚠ Référentiel d'exemple (lots, organismes, sites et contacts fictifs).[/] Pour "
        "vos "
        "vrais lots, générez le modèle avec --referentiel <extraction de la Région>."
    )


def _campaign_warning(lots: list[api.Lot], profile: api.Profile) -> None:
    """A template for a campaign that is over (or far ahead): said before it is filled."""
    stale = api.stale_campaigns(lots, programme=profile)
    if not stale:
        return
    today = api.check_date()
    years = sorted({year for _, year in stale})
    numbers = ", ".join(lot.numero for lot, _ in stale)
    err_console.print(
        f"[yellow]⚠ Campagne {escape(' et '.join(map(str, years)))}[/] (lots "
        f"{escape(numbers)}) : au {fr_date(today)}, la campagne en cours est {today.year} ou "
        f"{today.year + 1}. Vérifiez que le référentiel est celui de la campagne en cours ; "
        "le contrôle le signalera aussi (campagne-a-verifier).",
        soft_wrap=True,
    )


def _refuse(result: ValidationResult) -> None:
    from sofi_bulk.cli.report import print_report

    print_report(result, err_console, shown=10)
    err_console.print(
        f"[bold red]Export refusé[/] : corrigez les erreurs "
        f"({escape(correction_command(Path(result.book_name)))}), puis recommencez."
    )
    sys.exit(EXIT_INVALID)


def _required_output(output: str | None) -> str:
    if not output:
        raise missing_output()
    return output


def _output_with(output: str, suffix: str) -> Path:
    out = Path(output)
    if out.suffix.lower() != suffix:
        raise UserError(f"{output} : le fichier à écrire doit avoir l'extension {suffix}.")
    return out


def _xlsx_output(output: str) -> Path:
    return _output_with(output, ".xlsx")


def main(argv: list[str] | None = None) -> None:
    run(cli, argv)
