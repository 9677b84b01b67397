"""Validation issues: typed data with a stable code, a severity, a location and a message.

Each code is declared once in ``ISSUE_TYPES`` with its default severity and a French
message template; the README's list of checks is generated from this table.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "erreur"
    WARNING = "avertissement"


@dataclass(frozen=True)
class IssueType:
    code: str
    severity: Severity
    title: str
    template: str  # str.format template; {col} is the column header
    adjustable: bool = False  # a programme's profile may set its severity (``severities``)


ISSUE_TYPES: dict[str, IssueType] = {
    t.code: t
    for t in [
        # structure
        IssueType(
            "colonne-manquante",
            Severity.ERROR,
            "Colonne obligatoire absente",
            "La colonne obligatoire « {col} » est absente de la feuille {sheet} : aucune ligne n'a "
            "donc "
            "cette valeur. Rétablissez la colonne (la copie annotée la contient, vide) et "
            "remplissez-la.",
        ),
        IssueType(
            "colonne-en-double",
            Severity.WARNING,
            "Colonne en double",
            "La colonne « {col} » apparaît plusieurs fois ; seule la première ({first}) est lue.",
        ),
        IssueType(
            "feuille-manquante",
            Severity.WARNING,
            "Feuille absente",
            "La feuille « {sheet} » est absente : ses lignes ne sont pas contrôlées.",
        ),
        IssueType(
            "en-tetes-introuvables",
            Severity.ERROR,
            "En-têtes introuvables",
            "La feuille « {sheet} » est là, mais sa ligne d'en-têtes est introuvable dans ses "
            "{rows} premières lignes : ses lignes ne sont pas lues. Rétablissez les en-têtes du "
            "modèle (la copie annotée garde la feuille telle quelle, sous le nom « … (copie) »).",
        ),
        IssueType(
            "metadonnees-absentes",
            Severity.WARNING,
            "Classeur sans métadonnées",
            "Ce classeur n'a pas été généré par sofi-bulk (feuille _meta absente) : contrôle fait "
            "avec le programme {programme} et le référentiel {referentiel}.",
        ),
        IssueType(
            "referentiel-different",
            Severity.WARNING,
            "Autre référentiel",
            "Le classeur a été généré avec un autre référentiel (empreinte {expected}) que celui "
            "utilisé pour le contrôle ({actual}).",
        ),
        IssueType(
            "colonnes-facultatives-absentes",
            Severity.WARNING,
            "Colonnes facultatives absentes",
            "Ce classeur vient d'une autre version du modèle, sans {cols} dans la feuille "
            "{sheet} : {read}. La copie annotée a toutes les colonnes du modèle en vigueur.",
        ),
        # single cells
        IssueType(
            "champ-obligatoire",
            Severity.ERROR,
            "Valeur obligatoire manquante",
            "« {col} » est obligatoire : {hint}",
        ),
        IssueType(
            "valeur-imposee",
            Severity.ERROR,
            "Valeur imposée modifiée",
            "« {col} » est imposé par le programme : remettez « {expected} » (valeur lue : « "
            "{value} »).",
        ),
        IssueType(
            "code-inconnu",
            Severity.ERROR,
            "Valeur hors liste",
            "« {value} » n'est pas une valeur admise pour « {col} ».{suggestion} Choisissez dans "
            "la liste : {choices}",
        ),
        IssueType(
            "code-non-admis",
            Severity.ERROR,
            "Valeur non admise par le programme",
            "« {value} » n'est pas admis pour « {col} » dans ce programme. Valeurs admises : "
            "{choices}.",
        ),
        IssueType(
            "texte-trop-long",
            Severity.ERROR,
            "Texte trop long",
            "« {col} » : {length} caractères, {max} au plus. Raccourcissez le texte de {excess} "
            "caractères.",
        ),
        IssueType(
            "caracteres-invalides",
            Severity.ERROR,
            "Caractères invisibles",
            "« {col} » contient des caractères de contrôle invisibles (souvent venus d'un "
            "copier-coller). "
            "Retapez le texte ou collez-le sans mise en forme.",
        ),
        IssueType(
            "formule-en-erreur",
            Severity.ERROR,
            "Formule en erreur",
            "« {col} » : la formule de cette cellule donne une erreur ({error}). Corrigez la "
            "formule, "
            "ou saisissez la valeur elle-même.",
        ),
        IssueType(
            "cellules-fusionnees",
            Severity.WARNING,
            "Cellules fusionnées",
            "Cellules fusionnées {range} : la valeur « {value} » est reprise sur chacune des "
            "lignes. "
            "Défusionnez-les dans votre classeur (la copie annotée les présente défusionnées).",
        ),
        IssueType(
            "date-invalide",
            Severity.ERROR,
            "Date illisible",
            "« {col} » : « {value} » n'est pas une date. Saisissez-la au format jj/mm/aaaa (ex. "
            "10/02/2025).",
        ),
        IssueType(
            "date-impossible",
            Severity.ERROR,
            "Date impossible",
            "« {col} » : « {value} » n'existe pas dans le calendrier. Vérifiez le jour et le mois "
            "(jj/mm/aaaa).{hint}",
        ),
        IssueType(
            "date-incomplete",
            Severity.ERROR,
            "Date incomplète",
            "« {col} » : « {value} » ne précise pas l'année. Saisissez la date complète "
            "(jj/mm/aaaa).",
        ),
        IssueType(
            "heure-invalide",
            Severity.ERROR,
            "Heure illisible",
            "« {col} » : « {value} » n'est pas une heure. Saisissez-la sous la forme 9h30 ou "
            "09:30.",
        ),
        IssueType(
            "nombre-invalide",
            Severity.ERROR,
            "Nombre illisible",
            "« {col} » : « {value} » n'est pas un nombre. Saisissez un nombre en chiffres (ex. 12, "
            "ou 17,5 avec une virgule décimale).",
        ),
        IssueType(
            "entier-attendu",
            Severity.ERROR,
            "Nombre entier attendu",
            "« {col} » : « {value} » n'est pas un nombre entier. Saisissez un nombre sans "
            "décimale.",
        ),
        IssueType(
            "nombre-hors-limites",
            Severity.ERROR,
            "Nombre hors limites",
            "« {col} » : {value} est hors des limites admises ({low} à {high}).",
        ),
        IssueType(
            "url-invalide",
            Severity.ERROR,
            "Adresse web invalide",
            "« {col} » : « {value} » n'est pas une adresse web complète. Elle doit commencer par "
            "https://.",
        ),
        IssueType(
            "url-video-invalide",
            Severity.ERROR,
            "Vidéo non reconnue",
            "« {col} » : « {value} » n'est ni une vidéo YouTube ni un fichier .mp4.",
        ),
        IssueType(
            "email-invalide",
            Severity.ERROR,
            "E-mail invalide",
            "« {col} » : « {value} » n'est pas une adresse e-mail valide (ex. "
            "prenom.nom@organisme.fr).",
        ),
        IssueType(
            "siret-invalide",
            Severity.ERROR,
            "SIRET invalide",
            "« {col} » : « {value} » n'est pas un SIRET valide (14 chiffres avec une clé de "
            "contrôle juste).",
        ),
        IssueType(
            "code-fas-invalide",
            Severity.ERROR,
            "Code FAS invalide",
            "« {col} » : « {value} » n'est pas un code FAS. Session existante : F-A-S (ex. "
            "19482-89393-143842) ; nouvelle session d'une action existante : F-A (19482-89393) ; "
            "nouvelle action d'une formation existante : F (19482) ; nouvelle formation : vide.",
        ),
        # référentiel
        IssueType(
            "lot-inconnu",
            Severity.ERROR,
            "Lot inconnu",
            "« {col} » : le lot « {value} » n'est pas dans le référentiel de ce classeur. "
            "Choisissez un lot de la liste.",
        ),
        IssueType(
            "lot-autre-programme",
            Severity.ERROR,
            "Lot d'un autre programme",
            "« {col} » : le lot « {value} » relève du programme « {programme} », pas de ce "
            "classeur.",
        ),
        IssueType(
            "site-inconnu",
            Severity.ERROR,
            "Site inconnu",
            "« {col} » : le site « {value} » n'est pas dans le référentiel. Choisissez un site de "
            "la liste.",
        ),
        IssueType(
            "site-hors-lot",
            Severity.ERROR,
            "Site non autorisé pour le lot",
            "« {col} » : le site « {value} » n'appartient à aucun organisme du lot {lot}. "
            "Choisissez un site proposé pour ce lot.",
        ),
        IssueType(
            "contact-inconnu",
            Severity.ERROR,
            "Contact inconnu",
            "« {col} » : le contact « {value} » n'est pas dans le référentiel. Choisissez un "
            "contact de la liste.",
        ),
        IssueType(
            "contact-hors-lot",
            Severity.ERROR,
            "Contact non autorisé pour le lot",
            "« {col} » : le contact « {value} » n'appartient à aucun organisme du lot {lot}. "
            "Choisissez un contact proposé pour ce lot.",
        ),
        IssueType(
            "organisme-responsable",
            Severity.ERROR,
            "Organisme responsable incorrect",
            "« {col} » : l'organisme responsable doit être le mandataire du lot {lot} : « "
            "{expected} ».",
        ),
        IssueType(
            "code-externe",
            Severity.ERROR,
            "Code externe incorrect",
            "« {col} » : « {value} » ne correspond pas au lot {lot} ; la valeur attendue est « "
            "{expected} » (ou laissez vide).",
        ),
        IssueType(
            "prerequis-trop-longs",
            Severity.ERROR,
            "Pré-requis trop longs pour LHEO",
            "« Pré-requis » et « Commentaire pré-requis » forment ensemble {length} caractères ; "
            "LHEO "
            "les réunit dans un seul texte de {max} caractères au plus. Raccourcissez l'un ou "
            "l'autre "
            "de {excess} caractères.",
        ),
        IssueType(
            "nombre-ambigu",
            Severity.ERROR,
            "Nombre ambigu",
            "« {col} » : dans « {value} », le point sépare-t-il les milliers ou les décimales ? "
            "Saisissez "
            "{thousands} ou {decimal} (virgule décimale).",
        ),
        IssueType(
            "organisme-inconnu",
            Severity.ERROR,
            "Organisme inconnu",
            "« {col} » : « {value} » n'est pas un organisme du référentiel. Choisissez le "
            "mandataire du "
            "lot dans la liste.",
        ),
        IssueType(
            "referentiel-incomplet",
            Severity.WARNING,
            "Référentiel incomplet",
            "« {col} » : {what} manque dans le référentiel ({table} {ident}) ; l'export LHEO "
            "l'exige. "
            "Faites compléter le référentiel de la Région.",
        ),
        # cross-field rules
        IssueType(
            "date-hors-campagne",
            Severity.ERROR,
            "Session hors campagne",
            "« {col} » : la session doit débuter en {year} (année de campagne du lot {lot}) ; date "
            "lue : {value}.",
        ),
        IssueType(
            "campagne-a-verifier",
            Severity.WARNING,
            "Année de campagne à vérifier",
            "« {col} » : le lot {value} est de la campagne {year}{source} ; au {today} (date du "
            "contrôle), la campagne attendue est {current} ou {next}. Vérifiez que le modèle a "
            "été généré avec le référentiel de la campagne en cours.",
        ),
        IssueType(
            "dates-inversees",
            Severity.ERROR,
            "Fin avant le début",
            "« {col} » : la date de fin ({end}) est antérieure à la date de début ({start}).",
        ),
        IssueType(
            "date-apres-debut-session",
            Severity.ERROR,
            "Date après le début de la session",
            "« {col} » : le {value} est après le début de la session {session} ({start}) ; elle "
            "doit avoir lieu au plus tard ce jour-là.",
        ),
        IssueType(
            "heures-inversees",
            Severity.ERROR,
            "Heure de fin avant l'heure de début",
            "« {col} » : l'heure de fin ({end}) précède l'heure de début ({start}).",
        ),
        IssueType(
            "info-collective-manquante",
            Severity.ERROR,
            "Information collective manquante",
            "La session {session} n'a pas d'information collective (au moins {min}). Ajoutez-en "
            "dans la feuille "
            "« Infos collectives » : c'est obligatoire pour alimenter Kairos, Ouiform et les sites "
            "régionaux.",
            adjustable=True,
        ),
        IssueType(
            "places-restantes",
            Severity.ERROR,
            "Trop de places restantes",
            "« {col} » : {value} places restantes pour {places} places au total ; il ne peut en "
            "rester plus que le total.",
        ),
        IssueType(
            "effectif-capacite",
            Severity.ERROR,
            "Effectif minimal supérieur à la capacité",
            "« {col} » : l'effectif minimal ({value}) dépasse la capacité simultanée ({capacity}).",
        ),
        IssueType(
            "frais-ttc",
            Severity.ERROR,
            "Frais TTC incohérents",
            "« {col} » : {ttc} € ne correspond pas à {ht} € HT avec une TVA de {rate} % ; attendu "
            ": {expected} €.",
        ),
        IssueType(
            "texte-a-completer",
            Severity.ERROR,
            "Texte à compléter",
            "« {col} » contient encore « {placeholder} » : remplacez cette phrase du modèle par "
            "ce qu'elle demande{example}.",
        ),
        IssueType(
            "rythme-heures",
            Severity.WARNING,
            "Rythme et durée hebdomadaire incohérents",
            "« {col} » : {value} h par semaine pour un rythme « {rhythm} » ; ce programme compte "
            "un temps plein à partir de {threshold} h par semaine. Corrigez le rythme ou la "
            "durée hebdomadaire.",
            adjustable=True,
        ),
        IssueType(
            "certifinfo-incoherent",
            Severity.ERROR,
            "Code Certifinfo sans référence",
            "« {col} » : un code Certifinfo est saisi alors que « Référence Certifinfo » vaut non. "
            "Effacez-le.",
        ),
        IssueType(
            "enseignement-distance-etablissement",
            Severity.ERROR,
            "Distance et établissement incompatibles",
            "« {col} » : « {value} » ne va pas avec « {other} » (« {other_col} ») : à distance, "
            "la formation passe par la FOAD. Choisissez « {advice} » dans « {other_col} », ou des "
            "modalités d'enseignement présentielles ou mixtes.",
        ),
        IssueType(
            "session-inconnue",
            Severity.ERROR,
            "Session introuvable",
            "« {col} » : aucune session « {value} » dans la feuille Sessions. Choisissez une Réf. "
            "session de la liste.",
        ),
        IssueType(
            "reference-en-double",
            Severity.ERROR,
            "Réf. session en double",
            "« {col} » : la Réf. session « {value} » est déjà utilisée ligne {first}. Donnez à "
            "chaque session une référence unique.",
        ),
        IssueType(
            "code-fas-en-double",
            Severity.ERROR,
            "Code FAS en double",
            "« {col} » : le code FAS {value} figure aussi ligne {others} ; une session SOFI ne se "
            "saisit qu'une fois. Gardez une seule ligne par session (une nouvelle session prend "
            "le code de son action, F-A, ou aucun code).",
        ),
        IssueType(
            "session-autre-action",
            Severity.ERROR,
            "Session SOFI sous deux actions",
            "« {col} » : la session SOFI {number} est ici de l'action {parent}, mais de l'action "
            "{other} ligne {first} ; un numéro de session désigne une seule session dans tout "
            "SOFI. Corrigez le code FAS de l'une des deux lignes.",
        ),
        IssueType(
            "action-autre-formation",
            Severity.ERROR,
            "Action SOFI sous deux formations",
            "« {col} » : l'action SOFI {number} est ici de la formation {parent}, mais de la "
            "formation {other} ligne {first} ; un numéro d'action désigne une seule action dans "
            "tout SOFI. Corrigez le code FAS de l'une des deux lignes.",
        ),
        IssueType(
            "formation-incoherente",
            Severity.ERROR,
            "Formation incohérente",
            "« {col} » : « {value} » ici, « {expected} » ligne {first}, de la même formation "
            "({group}). Une formation SOFI n'a qu'une valeur pour ce champ : alignez les lignes, "
            "ou corrigez le code FAS.",
        ),
        IssueType(
            "formation-autre-organisme",
            Severity.ERROR,
            "Formation d'un autre organisme",
            "« {col} » : ce site est de l'organisme {value}, mais la formation ({group}) est "
            "celle de {expected} (ligne {first}) : une formation SOFI appartient à un seul "
            "organisme. Choisissez un site de cet organisme, ou corrigez le code FAS.",
        ),
        IssueType(
            "action-incoherente",
            Severity.ERROR,
            "Action incohérente",
            "« {col} » : « {value} » ici, « {expected} » ligne {first}, de la même action "
            "({group}). Les sessions d'une action SOFI partagent la fiche Action : alignez les "
            "lignes, ou corrigez le code FAS.",
        ),
        IssueType(
            "reference-action-incoherente",
            Severity.ERROR,
            "Réf. action incohérente",
            "« {col} » : la Réf. action « {value} » désigne ligne {first} une session de code "
            "{expected}, ici {actual}. Donnez le même code de formation et d'action (F-A, ou "
            "aucun) à toutes les sessions d'une Réf. action.",
        ),
        IssueType(
            "modification-accord-region",
            Severity.WARNING,
            "Modification d'une session",
            "« {col} » : cette ligne modifie la session SOFI {value}. La procédure n'admet une "
            "modification qu'avec l'accord préalable de la Région : assurez-vous de l'avoir "
            "obtenu.",
            adjustable=True,
        ),
        IssueType(
            "modification-session-terminee",
            Severity.ERROR,
            "Modification d'une session terminée",
            "« {col} » : cette ligne modifie la session SOFI {value}, terminée le {end} ; au "
            "{today} (date du contrôle), la procédure ne l'admet plus : une session se modifie "
            "avant son début ou pendant son déroulement. Retirez la ligne, ou corrigez le code "
            "FAS ou la date de fin.",
        ),
        IssueType(
            "etat-inactif-nouvelle-session",
            Severity.ERROR,
            "Inactif sur une nouvelle session",
            "« {col} » : Inactif retire de l'offre une session qui existe dans SOFI ; cette ligne "
            "n'a pas de code FAS complet (F-A-S) : c'est une nouvelle session. Videz la cellule "
            "(Actif), ou donnez le code FAS de la session à désactiver.",
        ),
        IssueType(
            "session-en-double",
            Severity.WARNING,
            "Session saisie deux fois",
            "Cette session semble saisie deux fois (même lot, sites et dates que la ligne "
            "{first}).",
            adjustable=True,
        ),
        IssueType(
            "places-lot-depassees",
            Severity.WARNING,
            "Places du lot dépassées",
            "Les sessions du lot {lot} totalisent {total} places pour {ordered} places commandées "
            "par la Région.",
            adjustable=True,
        ),
    ]
}


@dataclass
class Issue:
    code: str
    severity: Severity
    sheet: str
    cell: str | None  # A1 reference in the file that was read; None for a whole-sheet issue
    message: str
    row: int | None = None
    field: str | None = None
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        data["value"] = None if self.value is None else str(self.value)
        return data


def make_issue(
    code: str,
    sheet: str,
    cell: str | None,
    *,
    row: int | None = None,
    field: str | None = None,
    severity: Severity | str | None = None,
    value: Any = None,
    **params: Any,
) -> Issue:
    kind = ISSUE_TYPES[code]
    shown = params.pop("shown", value)
    text = kind.template.format(value=_show(shown), sheet=sheet, **params)
    return Issue(
        code,
        Severity(severity) if severity else kind.severity,
        sheet,
        cell,
        text,
        row,
        field,
        value,
    )


_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _show(value: Any) -> str:
    """A value quoted in a message: short, and with invisible control characters shown as
    « � » (a message goes into notes, web pages and terminals)."""
    if value is None:
        return ""
    text = _INVISIBLE.sub("\ufffd", str(value))
    return text if len(text) <= 80 else text[:77] + "…"
