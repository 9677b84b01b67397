"""The référentiel's tables as the Région writes them: each column's documented name, the
French label of the blank référentiel, and the other headers accepted for it.

Data beside the field catalogue: the reader (``sofi_bulk.core.referentiel``), the blank
référentiel workbook, its help sheet and the README all derive from these declarations.
Headers are compared by ``header_key``, so accents, case, spaces, punctuation, « de / du »
and plurals never matter: « Numéro de lot », « NUMERO_LOT » and « N° lot » are one header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sofi_bulk.core.text import fold

_NUMERO = re.compile(r"\bn\s*[°º]|\bno\b\.?|\bnum\b\.?")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_SMALL_WORDS = frozenset({"de", "du", "des", "d", "la", "le", "les", "l", "a", "au", "aux"})


def header_key(text: str) -> str:
    """The comparable form of a header or a table name: 'N° de lot' -> 'numero lot'."""
    words = _NOT_WORD.sub(" ", _NUMERO.sub(" numero ", fold(text))).split()
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in _SMALL_WORDS
    )


@dataclass(frozen=True)
class Column:
    name: str  # the documented header (the technical name)
    attr: str  # model attribute
    required: bool = True
    kind: str = "text"  # text | siret | siret-list | int | digits5 | phone | nda | insee
    #                     | latitude | longitude
    label: str = ""  # the French header the blank référentiel shows
    synonyms: tuple[str, ...] = ()  # other headers accepted
    help: str = ""
    example: str | int = ""
    # left out of a référentiel's embedded copy when empty: a column added after copies were
    # embedded in workbooks, so that an older copy keeps its fingerprint
    omit_empty: bool = False

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header accepted for the column, the label first."""
        return tuple(dict.fromkeys((self.label or self.name, self.name, *self.synonyms)))

    @property
    def title(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Table:
    name: str  # lots, organismes, sites, contacts
    label: str  # the sheet name of the blank référentiel
    names: tuple[str, ...]  # other sheet or file names accepted
    help: str
    columns: tuple[Column, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(header_key(n) for n in (self.name, self.label, *self.names)))


def _email(required: bool = False, example: str = "") -> Column:
    return Column(
        "email",
        "email",
        required,
        label="E-mail",
        synonyms=(
            "Email",
            "Courriel",
            "Mail",
            "Adresse e-mail",
            "Adresse mail",
            "Adresse électronique",
        ),
        help="Adresse électronique.",
        example=example,
    )


def _phone(example: str) -> Column:
    return Column(
        "telephone",
        "telephone",
        False,
        "phone",
        label="Téléphone",
        synonyms=("Tél", "Tel", "Numéro de téléphone", "N° de téléphone"),
        help="Téléphone ; le zéro initial perdu par un tableur est rétabli.",
        example=example,
    )


def _siret(example: str, help_text: str) -> Column:
    return Column(
        "siret",
        "siret",
        kind="siret",
        label="SIRET",
        synonyms=("N° SIRET", "Numéro SIRET", "SIRET organisme", "SIRET de l'organisme"),
        help=help_text,
        example=example,
    )


def _address(example: tuple[str, str, str]) -> tuple[Column, ...]:
    street, postcode, town = example
    return (
        Column(
            "adresse",
            "adresse",
            False,
            label="Adresse",
            synonyms=("Adresse postale", "Rue", "Voie"),
            help="Numéro et voie.",
            example=street,
        ),
        Column(
            "code_postal",
            "code_postal",
            False,
            "digits5",
            label="Code postal",
            synonyms=("CP",),
            help="5 chiffres (en format Texte, pour garder le zéro initial).",
            example=postcode,
        ),
        Column(
            "ville",
            "ville",
            False,
            label="Ville",
            synonyms=("Commune", "Localité"),
            help="Commune.",
            example=town,
        ),
    )


def _geography(example: tuple[str, str, str]) -> tuple[Column, ...]:
    """Where a site is, as LHEO's readers want it (code-INSEE-commune, geolocalisation):
    optional; ``referentiel verifier`` lists the sites without them."""
    insee, latitude, longitude = example
    return (
        Column(
            "code_insee_commune",
            "code_insee",
            False,
            "insee",
            label="Code INSEE commune",
            synonyms=(
                "Code commune INSEE",
                "Code INSEE de la commune",
                "Code INSEE",
                "Code commune",
                "Code officiel géographique",
                "COG",
            ),
            help="Code officiel géographique de la commune, 5 caractères (2A004 pour Ajaccio : "
            "2A et 2B pour la Corse) ; exporté dans LHEO (code-INSEE-commune), il y fixe "
            "aussi le département.",
            example=insee,
            omit_empty=True,
        ),
        Column(
            "latitude",
            "latitude",
            False,
            "latitude",
            label="Latitude",
            synonyms=("Lat", "Latitude WGS84", "Latitude WGS 84", "Latitude GPS"),
            help="Latitude du site en degrés décimaux (WGS 84, comme GPS et cartes en ligne), "
            "ex. 47.2184 ; avec la longitude, exportée dans LHEO (geolocalisation).",
            example=latitude,
            omit_empty=True,
        ),
        Column(
            "longitude",
            "longitude",
            False,
            "longitude",
            label="Longitude",
            synonyms=("Long", "Lng", "Lon", "Longitude WGS84", "Longitude WGS 84", "Longitude GPS"),
            help="Longitude du site en degrés décimaux (WGS 84), négative à l'ouest de "
            "Greenwich, ex. -1.5536 ; avec la latitude, exportée dans LHEO (geolocalisation).",
            example=longitude,
            omit_empty=True,
        ),
    )


# sheets of the blank référentiel that hold no table (read without a warning)
HELP_SHEETS = ("Aide",)

SIRET_HELP = (
    "14 chiffres, clé de contrôle vérifiée. Mettez la colonne au format Texte : un tableur "
    "écrit sinon les grands nombres en notation scientifique (4,41988E+13) et en perd des "
    "chiffres."
)

REFERENTIEL_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "lots",
            "Lots",
            ("lot", "lots commandés", "marchés", "lots du marché"),
            "Une ligne par lot commandé par la Région : son programme, son mandataire "
            "(organisme responsable), ses organismes formateurs, ses places et son année.",
            (
                Column(
                    "numero_lot",
                    "numero",
                    label="Numéro de lot",
                    synonyms=(
                        "Lot",
                        "Numéro lot CR",
                        "Code lot",
                        "Référence lot",
                        "Identifiant lot",
                    ),
                    help="Numéro du lot, unique (ex. PAS2025_1).",
                    example="EXEMPLE_1",
                ),
                Column(
                    "programme",
                    "programme",
                    label="Programme",
                    synonyms=("Dispositif", "Programme régional", "Nom du programme"),
                    help="Libellé du programme, tel que le profil l'attend (PREPA Avenir Sup).",
                    example="PREPA Avenir Sup",
                ),
                Column(
                    "intitule",
                    "intitule",
                    label="Intitulé",
                    synonyms=("Intitulé du lot", "Libellé", "Libellé du lot", "Titre"),
                    help="Intitulé du lot.",
                    example="PREPA Avenir Sup - Exemple-sur-Loire",
                ),
                Column(
                    "id_action_cr",
                    "id_action_cr",
                    label="ID Action CR",
                    synonyms=(
                        "Identifiant action CR",
                        "ID action",
                        "Code action CR",
                        "Numéro action CR",
                        "Action CR",
                    ),
                    help="Identifiant de l'action au Conseil régional (code externe SOFI).",
                    example="9999",
                ),
                Column(
                    "of_mandataire_cr",
                    "of_mandataire_cr",
                    label="OF Mandataire CR",
                    synonyms=(
                        "Code OF mandataire",
                        "ID mandataire CR",
                        "Identifiant mandataire CR",
                        "Code mandataire CR",
                    ),
                    help="Code de l'organisme mandataire au Conseil régional (code externe SOFI).",
                    example="999",
                ),
                Column(
                    "siret_mandataire",
                    "siret_mandataire",
                    kind="siret",
                    label="SIRET mandataire",
                    synonyms=(
                        "SIRET du mandataire",
                        "SIRET organisme mandataire",
                        "SIRET de l'organisme mandataire",
                        "SIRET",
                    ),
                    help="SIRET de l'organisme responsable du lot ; il doit figurer dans la "
                    "feuille Organismes. " + SIRET_HELP,
                    example="12345678900015",
                ),
                Column(
                    "places_commandees",
                    "places",
                    False,
                    "int",
                    label="Places commandées",
                    synonyms=(
                        "Places",
                        "Nombre de places",
                        "Nb places",
                        "Nombre de places commandées",
                        "Places achetées",
                    ),
                    help="Nombre entier de places commandées par la Région.",
                    example=12,
                ),
                Column(
                    "annee_campagne",
                    "annee",
                    False,
                    "int",
                    label="Année de campagne",
                    synonyms=("Année", "Campagne", "Millésime"),
                    help="Année où les sessions du lot commencent (à défaut, celle du programme).",
                    example=2025,
                ),
                Column(
                    "siret_formateurs",
                    "siret_formateurs",
                    False,
                    "siret-list",
                    label="SIRET formateurs",
                    synonyms=(
                        "SIRET des formateurs",
                        "SIRET organismes formateurs",
                        "SIRET des organismes formateurs",
                        "SIRET co-traitants",
                        "SIRET cotraitants",
                        "Formateurs",
                    ),
                    help="SIRET des autres organismes qui donnent les sessions du lot, séparés "
                    "par des points-virgules ; chacun doit figurer dans la feuille Organismes.",
                    example="98765432100015",
                ),
            ),
        ),
        Table(
            "organismes",
            "Organismes",
            ("organisme", "organismes de formation", "OF", "établissements"),
            "Une ligne par organisme (mandataire ou formateur), repéré par son SIRET.",
            (
                _siret("12345678900015", SIRET_HELP),
                Column(
                    "nom",
                    "nom",
                    label="Nom",
                    synonyms=("Nom de l'organisme", "Organisme", "Nom usuel", "Enseigne"),
                    help="Nom usuel de l'organisme.",
                    example="Organisme Exemple",
                ),
                Column(
                    "raison_sociale",
                    "raison_sociale",
                    label="Raison sociale",
                    synonyms=("Dénomination", "Dénomination sociale"),
                    help="Raison sociale (exportée dans le fichier LHEO).",
                    example="ORGANISME EXEMPLE SAS",
                ),
                Column(
                    "numero_activite",
                    "numero_activite",
                    False,
                    "nda",
                    label="Numéro de déclaration d'activité",
                    synonyms=(
                        "Numéro d'activité",
                        "NDA",
                        "N° DA",
                        "Déclaration d'activité",
                    ),
                    help="11 chiffres ; exigé par LHEO (le contrôle avertit s'il manque).",
                    example="52449999999",
                ),
                *_address(("1 rue de l'Exemple", "44000", "Nantes")),
                _phone("02 40 00 00 00"),
                _email(example="contact@organisme-exemple.fr"),
                Column(
                    "numero_organisme",
                    "numero_organisme",
                    False,
                    label="Numéro d'organisme",
                    synonyms=(
                        "Numéro organisme Carif-Oref",
                        "Identifiant organisme",
                        "ID organisme",
                        "Code organisme",
                    ),
                    help="Identifiant de l'organisme au Carif-Oref, s'il en a un (ex. "
                    "OF_44_0001) : exporté dans LHEO (@numero de l'organisme responsable et de "
                    "l'organisme formateur). Sans lui, le fichier LHEO écrit SB-O- suivi du SIRET.",
                    example="OF_99_0001",
                    omit_empty=True,
                ),
            ),
        ),
        Table(
            "sites",
            "Sites",
            ("site", "sites de formation", "lieux", "lieux de formation"),
            "Une ligne par site de formation, rattaché à un organisme par son SIRET : un lot "
            "propose les sites de son mandataire et de ses formateurs.",
            (
                Column(
                    "code_site",
                    "code",
                    label="Code site",
                    synonyms=(
                        "Code du site",
                        "ID site",
                        "Identifiant site",
                        "Numéro de site",
                        "Code lieu",
                    ),
                    help="Code du site dans SOFI, unique.",
                    example="99999",
                ),
                Column(
                    "libelle",
                    "libelle",
                    label="Libellé",
                    synonyms=("Libellé du site", "Nom du site", "Nom", "Intitulé"),
                    help="Nom du site tel que les listes du modèle l'affichent.",
                    example="Organisme Exemple - Nantes",
                ),
                _siret("12345678900015", "SIRET de l'organisme du site. " + SIRET_HELP),
                *_address(("1 rue de l'Exemple", "44000", "Nantes")),
                *_geography(("44109", "47.2184", "-1.5536")),
            ),
        ),
        Table(
            "contacts",
            "Contacts",
            ("contact", "référents", "interlocuteurs", "correspondants"),
            "Une ligne par contact (référent PMR, mobilité…), rattaché à un organisme par son "
            "SIRET : un lot propose les contacts de son mandataire et de ses formateurs.",
            (
                Column(
                    "id_contact",
                    "id",
                    label="ID contact",
                    synonyms=(
                        "Identifiant contact",
                        "Code contact",
                        "Numéro de contact",
                        "Identifiant",
                    ),
                    help="Identifiant du contact dans SOFI, unique.",
                    example="99999",
                ),
                Column(
                    "nom",
                    "nom",
                    label="Nom",
                    synonyms=("Nom de famille", "Nom du contact"),
                    help="Nom de famille.",
                    example="Exemple",
                ),
                Column(
                    "prenom",
                    "prenom",
                    False,
                    label="Prénom",
                    synonyms=("Prénom du contact",),
                    help="Prénom.",
                    example="Camille",
                ),
                _email(example="c.exemple@organisme-exemple.fr"),
                _phone("02 40 00 00 01"),
                _siret("12345678900015", "SIRET de l'organisme du contact. " + SIRET_HELP),
            ),
        ),
    )
}
