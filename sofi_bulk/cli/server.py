"""``sofi-bulk serveur``: start the web service (and its worker processes);
``sofi-bulk serveur compte``: its accounts; ``sofi-bulk serveur migrer``: its database schema;
``sofi-bulk travailleur``: worker processes alone, for other machines.

Django and waitress load only inside these commands: the other commands never import them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from sofi_bulk.cli.term import console
from sofi_bulk.cli.wording import CONTEXT, FrenchGroup
from sofi_bulk.cli.wording import help_option as _help

DEFAULT_DATA = "sofi-bulk-donnees"
DEFAULT_WORKERS = 2
WEB_PACKAGES = (
    "django",
    "waitress",
    "axes",
    "csp",
    "whitenoise",
    "dj_database_url",
    "django_tasks",
    "django_tasks_db",
    "filelock",
)


def _web() -> Any:
    """The service's starter (``sofi_bulk.service.server``), or a French line saying how to
    install what it needs."""
    import importlib.util

    missing = [name for name in WEB_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        from sofi_bulk.core.errors import UserError

        raise UserError(
            "le service web demande des paquets absents ("
            + ", ".join(missing)
            + ') : installez-les avec pip install "sofi-bulk[web]".'
        )
    from sofi_bulk.service import server

    return server


def _data_options(f: Any) -> Any:
    f = click.option(
        "--base",
        "database_url",
        metavar="URL",
        envvar="SOFI_BULK_BASE",
        default=None,
        help="Base PostgreSQL de production : postgresql://utilisateur:motdepasse@hôte:5432/base "
        "(ou variable SOFI_BULK_BASE). Par défaut : une base SQLite dans le dossier de données.",
    )(f)
    return click.option(
        "--donnees",
        "data_dir",
        metavar="DOSSIER",
        default=DEFAULT_DATA,
        help=f"Dossier de données du service (base SQLite, clé secrète). Par défaut : "
        f"{DEFAULT_DATA}.",
    )(f)


def _referentiel_option(f: Any) -> Any:
    return click.option(
        "--referentiel",
        "-r",
        metavar="CHEMIN",
        default=None,
        help="Référentiel de la Région (.xlsx, .xls, .ods ou dossier de CSV), mis en service dans "
        "la base s'il ne l'a jamais été : les dépôts sont contrôlés avec lui, et le modèle "
        "proposé en est fait. « exemple » : le référentiel d'exemple (essai). Sans lui ni "
        "référentiel chargé par le personnel : dépôts fermés.",
    )(f)


def _at_least_zero(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value < 0:
        from sofi_bulk.core.errors import UserError

        raise UserError(f"--travailleurs {value} : un nombre de processus, 0 ou plus.")
    return value


def _workers_option(f: Any) -> Any:
    return click.option(
        "--travailleurs",
        "workers",
        default=DEFAULT_WORKERS,
        type=int,
        callback=_at_least_zero,
        metavar="NOMBRE",
        help=f"Processus de contrôle lancés sur cette machine (par défaut : {DEFAULT_WORKERS} ; "
        "0 : aucun, ils tournent ailleurs avec sofi-bulk travailleur).",
    )(f)


@click.group(
    "serveur",
    cls=FrenchGroup,
    invoke_without_command=True,
    context_settings=CONTEXT,
    add_help_option=False,
    short_help="Lance le service web « Déposer son offre ».",
)
@click.option(
    "--hote",
    default="127.0.0.1",
    metavar="ADRESSE",
    help="Adresse d'écoute (par défaut : 127.0.0.1).",
)
@click.option(
    "--port", default=8000, type=int, metavar="PORT", help="Port d'écoute (par défaut : 8000)."
)
@_data_options
@_referentiel_option
@_workers_option
@click.option(
    "--nom-public",
    "public_names",
    metavar="NOM",
    multiple=True,
    help="Nom de domaine par lequel les utilisateurs joignent le service (répétable), "
    "par ex. depot.exemple.fr : les formulaires venus de https://NOM sont acceptés.",
)
@click.option(
    "--proxy",
    "proxies",
    metavar="ADRESSE",
    multiple=True,
    help="Adresse (ou réseau, 10.0.0.0/24) du proxy HTTPS placé devant le service (répétable) : "
    "seules ses en-têtes X-Forwarded-For, -Proto et -Host sont crues (adresse du client, HTTPS).",
)
@click.option(
    "--cle",
    "key_file",
    metavar="FICHIER",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="SOFI_BULK_CLE",
    help="Fichier de la clé de signature des sessions et des liens d'invitation, le même sur "
    "chaque machine et pour les commandes de comptes (ou variable SOFI_BULK_CLE ; la clé "
    "elle-même : SOFI_WEB_SECRET_KEY). Par défaut : cle-secrete.txt, créée dans le dossier de "
    "données.",
)
@click.option(
    "--https/--http",
    "https",
    default=None,
    help="--https (par défaut hors de cette machine) : cookies réservés à HTTPS, HSTS, derrière "
    "un proxy qui chiffre (--proxy) ; --http : pour un essai sur cette machine (par défaut sur "
    "127.0.0.1).",
)
@click.option(
    "--fils",
    "threads",
    default=8,
    type=int,
    metavar="NOMBRE",
    help="Requêtes servies en parallèle par ce processus web (par défaut : 8).",
)
@click.option(
    "--taille-max",
    "max_upload_mb",
    default=20.0,
    type=float,
    metavar="MIO",
    help="Taille maximale d'un classeur envoyé, en Mio (par défaut : 20).",
)
@_help
@click.pass_context
def serveur(
    ctx: click.Context,
    hote: str,
    port: int,
    data_dir: str,
    database_url: str | None,
    referentiel: str | None,
    workers: int,
    public_names: tuple[str, ...],
    proxies: tuple[str, ...],
    key_file: Path | None,
    https: bool | None,
    threads: int,
    max_upload_mb: float,
) -> None:
    """Lance le service web et ses processus de contrôle : contrôle de classeurs ouvert à tous,
    dépôts des organismes, suivi des dépôts par le Carif-Oref. Sans option : base SQLite dans le
    dossier sofi-bulk-donnees, sur http://127.0.0.1:8000, prêt à essayer.

    Exemples : sofi-bulk serveur ; sofi-bulk serveur compte organisme ilf --siret
    44198765800016 --nom "Institut Ligérien" ; en production, derrière nginx : sofi-bulk
    serveur --port 8001 --travailleurs 0 --proxy 127.0.0.1 --https --nom-public
    depot.exemple.fr --base postgresql://sofi:motdepasse@localhost:5432/sofi --cle
    /etc/sofi-bulk/cle-secrete.txt
    """
    if ctx.invoked_subcommand is not None:  # the invitations' links signed with its key
        ctx.obj = {"data_dir": data_dir, "database_url": database_url, "key_file": key_file}
        return
    server = _web()
    local = server.is_loopback(hote)
    secure = (not local) if https is None else https
    hosts = ["localhost", "127.0.0.1", "[::1]", *public_names]
    if hote not in ("0.0.0.0", "::") and hote not in hosts:
        hosts.append(hote)
    server.configure(
        Path(data_dir),
        database_url=database_url,
        referentiel=referentiel,
        https=secure,
        hosts=hosts,
        public_names=list(public_names),
        proxies=list(proxies),
        key_file=key_file,
        max_upload_mb=max_upload_mb,
    )
    installed = server.migrate()
    httpd = server.listen(hote, port, threads)
    pool = server.WorkerPool(workers)
    pool.start()
    where = "PostgreSQL" if database_url else f"SQLite dans {Path(data_dir).resolve()}"
    shown = "127.0.0.1" if hote in ("0.0.0.0", "::") else hote
    console.print(
        f"[green]✔[/] Service « Déposer son offre » : [bold]http://{escape(shown)}:{port}/[/] "
        f"(base {escape(where)}, {workers} processus de contrôle). Arrêt : Ctrl+C."
    )
    console.print(escape(installed or server.referentiel_line()))
    if not local and not secure:
        console.print(
            "[yellow]⚠ --http hors de cette machine : les mots de passe circulent en clair.[/]"
        )
    if secure and not proxies and not local:
        console.print(
            "[yellow]⚠ --https sans --proxy : le service ne croit aucun proxy, les connexions "
            "seront refusées tant que les requêtes ne lui arrivent pas en HTTPS.[/]"
        )
    server.run(httpd, pool)
    console.print("Service arrêté.")


@serveur.group(
    "compte",
    cls=FrenchGroup,
    context_settings=CONTEXT,
    add_help_option=False,
    short_help="Crée un compte (organisme ou personnel du Carif-Oref).",
)
@_help
def compte() -> None:
    """Crée les comptes du service. Le mot de passe est demandé (ou lu dans la variable
    SOFI_BULK_MOT_DE_PASSE), ou choisi par la personne elle-même après une invitation par
    e-mail (--courriel, --inviter) ; les comptes se gèrent aussi dans l'administration
    (/admin/)."""


def _password_option(f: Any) -> Any:
    f = click.option(
        "--courriel",
        "email",
        metavar="ADRESSE",
        default=None,
        help="Adresse e-mail du compte (invitation, « Mot de passe oublié ? »).",
    )(f)
    f = click.option(
        "--inviter",
        "invite",
        is_flag=True,
        default=False,
        help="Pas de mot de passe : une invitation part à --courriel pour le choisir.",
    )(f)
    f = _site_option(f)
    return click.option(
        "--mot-de-passe",
        "password",
        envvar="SOFI_BULK_MOT_DE_PASSE",
        default=None,
        metavar="MOT",
        help="Mot de passe (10 caractères au moins). Par défaut : demandé (sauf avec --inviter).",
    )(f)


def _site_option(f: Any) -> Any:
    return click.option(
        "--site",
        metavar="URL",
        envvar="SOFI_WEB_SITE",
        default=None,
        help="Adresse du service pour les liens des invitations (ou variable SOFI_WEB_SITE), "
        "par ex. https://depot.exemple.fr. Par défaut : http://127.0.0.1:8000 (essai).",
    )(f)


def _password(password: str | None, invite: bool) -> str | None:
    """The account's password: none with an invitation, else given or asked twice."""
    if invite:
        return None
    if password is None:
        password = click.prompt(
            "Mot de passe", hide_input=True, confirmation_prompt="Mot de passe (encore)"
        )
    return password


def _configured(ctx: click.Context) -> Any:
    """The service configured from the serveur group's --donnees and --base, migrated."""
    server = _web()
    options = ctx.obj or {}
    server.configure(
        Path(options.get("data_dir") or DEFAULT_DATA),
        database_url=options.get("database_url"),
        key_file=options.get("key_file"),
    )
    server.migrate()
    return server


def _site(site: str | None) -> str | None:
    if site and not site.startswith(("https://", "http://")):
        from sofi_bulk.core.errors import UserError

        raise UserError(f"--site {site} : une adresse en https:// (https://depot.exemple.fr).")
    return site


def _create(ctx: click.Context, **kwargs: Any) -> None:
    _site(kwargs.get("site"))
    server = _configured(ctx)
    console.print(f"[green]✔[/] {escape(server.create_account(**kwargs))}")


@compte.command("organisme", add_help_option=False, short_help="Compte d'un organisme (SIRET).")
@click.argument("identifiant")
@click.option("--siret", required=True, metavar="SIRET", help="SIRET de l'établissement.")
@click.option("--nom", default=None, metavar="NOM", help="Nom de l'organisme (à sa création).")
@_password_option
@_help
@click.pass_context
def compte_organisme(
    ctx: click.Context,
    identifiant: str,
    siret: str,
    nom: str | None,
    password: str | None,
    email: str | None,
    invite: bool,
    site: str | None,
) -> None:
    """Crée le compte IDENTIFIANT d'un organisme : il dépose les classeurs de ses lots et voit
    ses dépôts. L'organisme est créé à son premier compte (--nom).

    Exemples : sofi-bulk serveur compte organisme ilf --siret 44198765800016 --nom "ILF" ;
    sofi-bulk serveur compte organisme ilf --siret 44198765800016 --nom "ILF" --courriel
    contact@ilf.fr --inviter --site https://depot.exemple.fr
    """
    _create(
        ctx,
        username=identifiant,
        password=_password(password, invite),
        siret=siret,
        name=nom,
        email=email,
        site=site,
    )


@compte.command("personnel", add_help_option=False, short_help="Compte du Carif-Oref.")
@click.argument("identifiant")
@click.option(
    "--admin", is_flag=True, default=False, help="Donne aussi l'accès à l'administration (/admin/)."
)
@_password_option
@_help
@click.pass_context
def compte_personnel(
    ctx: click.Context,
    identifiant: str,
    admin: bool,
    password: str | None,
    email: str | None,
    invite: bool,
    site: str | None,
) -> None:
    """Crée le compte IDENTIFIANT d'une personne du Carif-Oref : elle voit tous les dépôts et
    télécharge l'offre LHEO fusionnée.

    Exemples : sofi-bulk serveur compte personnel jdupont --admin ; sofi-bulk serveur compte
    personnel jdupont --courriel j.dupont@carif-oref.fr --inviter
    """
    _create(
        ctx,
        username=identifiant,
        password=_password(password, invite),
        staff=True,
        admin=admin,
        email=email,
        site=site,
    )


@serveur.group(
    "comptes",
    cls=FrenchGroup,
    context_settings=CONTEXT,
    add_help_option=False,
    short_help="Comptes de tous les organismes, d'un fichier.",
)
@_help
def comptes() -> None:
    """Crée ou met à jour les comptes des organismes de la région à partir d'un fichier."""


@comptes.command(
    "importer", add_help_option=False, short_help="Crée ou met à jour les comptes d'un CSV."
)
@click.argument("fichier", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--sans-invitation",
    "no_invitation",
    is_flag=True,
    default=False,
    help="N'envoie pas d'invitation aux comptes créés (ils l'obtiennent par « Mot de passe "
    "oublié ? »).",
)
@click.option(
    "--reinviter",
    "reinvite",
    is_flag=True,
    default=False,
    help="Envoie aussi une invitation aux comptes du fichier qui n'ont pas encore choisi leur "
    "mot de passe.",
)
@_site_option
@_help
@click.pass_context
def comptes_importer(
    ctx: click.Context, fichier: Path, no_invitation: bool, reinvite: bool, site: str | None
) -> None:
    """Crée ou met à jour un compte d'organisme par ligne de FICHIER, un CSV tel qu'un tableur
    l'enregistre (séparateur ; , ou tabulation ; UTF-8 ou Windows-1252). Sa première ligne
    nomme les colonnes : SIRET, Nom, E-mail, et Identifiant (facultatif ; par défaut : le
    SIRET). Chaque ligne est dite : créé, mis à jour, inchangé ou refusé (avec la raison :
    doublon, SIRET invalide, e-mail invalide…). Un compte créé reçoit une invitation par
    e-mail pour choisir son mot de passe. Refaire l'import du même fichier ne change rien.
    Statut 1 si une ligne est refusée.

    Exemple : sofi-bulk serveur comptes importer organismes.csv --site https://depot.exemple.fr
    """
    _site(site)
    server = _configured(ctx)
    result = server.import_accounts(
        fichier,
        invite=not no_invitation,
        reinvite=reinvite,
        site=site,
        progress=lambda line: console.print(
            ("[red]✖[/] " if ": refusé :" in line else "[green]✔[/] ") + escape(line),
            soft_wrap=True,
        ),
    )
    console.print(escape(result.summary()))
    if result.unsent:
        console.print(
            f"[yellow]⚠ {escape(result.unsent)} : les invitations ne sont pas parties. Une fois "
            "l'envoi rétabli, relancez avec --reinviter (ou « Mot de passe oublié ? »).[/]"
        )
    if result.refused or result.unsent:
        raise SystemExit(1)


@serveur.command(
    "migrer", add_help_option=False, short_help="Met à jour le schéma de la base, puis s'arrête."
)
@_help
@click.pass_context
def migrer(ctx: click.Context) -> None:
    """Met à jour le schéma de la base (migrations), une fois, puis s'arrête : l'étape d'une mise
    à jour du service, avant de relancer ses processus. Plusieurs processus qui démarrent
    ensemble le font aussi d'eux-mêmes, chacun son tour.

    Exemple : sofi-bulk serveur --base postgresql://sofi:motdepasse@localhost:5432/sofi migrer
    """
    _configured(ctx)
    console.print("[green]✔[/] Base de données à jour.")


@click.command(
    "travailleur",
    context_settings=CONTEXT,
    add_help_option=False,
    short_help="Lance des processus de contrôle seuls (autre machine).",
)
@_data_options
@_referentiel_option
@_workers_option
@_help
def travailleur(
    data_dir: str, database_url: str | None, referentiel: str | None, workers: int
) -> None:
    """Lance des processus de contrôle, sans service web : ils prennent les classeurs envoyés à
    sofi-bulk serveur dans la même base (PostgreSQL) et les contrôlent. Un processus arrêté est
    relancé ; ses contrôles en cours sont repris par un autre.

    Exemple : sofi-bulk travailleur --travailleurs 2 --base
    postgresql://sofi:motdepasse@db.exemple.fr:5432/sofi --referentiel extraction-region.xlsx
    """
    server = _web()
    server.configure(Path(data_dir), database_url=database_url, referentiel=referentiel, web=False)
    installed = server.migrate()
    if installed:
        console.print(escape(installed))
    pool = server.WorkerPool(workers)
    pool.start()
    where = "PostgreSQL" if database_url else f"SQLite dans {Path(data_dir).resolve()}"
    console.print(
        f"[green]✔[/] {workers} processus de contrôle (base {escape(where)}). Arrêt : Ctrl+C."
    )
    server.run_workers(pool)
    console.print("Processus de contrôle arrêtés.")
