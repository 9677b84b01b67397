"""The field catalogue: every SOFI field of the FASD forms, declared once.

Template columns, the reader's header matching, the validator, the pydantic records,
the JSON Schema and the README's field table all derive from ``FIELDS``; where each
field lands in LHEO is declared once, in ``sofi_bulk.lheo.mapping``. Programme-specific
values (fixed values, defaults, allowed subsets, campaign year) are not here: they live
in the programme profile (``profiles/*.json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    IDENT = "identification"
    FORMATION = "formation"
    ACTION = "action"
    SESSION = "session"
    DISPOSITIF = "dispositif"
    INFO_COLLECTIVE = "information_collective"
    PERIODE_INSCRIPTION = "periode_inscription"


LEVEL_LABELS: dict[Level, str] = {
    Level.IDENT: "Identification",
    Level.FORMATION: "Formation",
    Level.ACTION: "Action",
    Level.SESSION: "Session",
    Level.DISPOSITIF: "Dispositif",
    Level.INFO_COLLECTIVE: "Information collective",
    Level.PERIODE_INSCRIPTION: "Période d'inscription",
}


class Kind(StrEnum):
    TEXT = "texte"
    LONGTEXT = "texte long"
    CODE = "code"
    INT = "entier"
    DECIMAL = "nombre"
    DATE = "date"
    TIME = "heure"
    URL = "url"
    EMAIL = "e-mail"
    LOT = "lot"
    SITE = "site"
    CONTACT = "contact"
    ORGANISME = "organisme"
    SESSION_REF = "référence de session"
    FAS = "code FAS"


SESSIONS_SHEET = "Sessions"
INFOS_SHEET = "Infos collectives"
PERIODES_SHEET = "Périodes inscription"

SHEET_OF_LEVEL: dict[Level, str] = {
    Level.INFO_COLLECTIVE: INFOS_SHEET,
    Level.PERIODE_INSCRIPTION: PERIODES_SHEET,
}


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    level: Level
    kind: Kind
    help: str
    required: bool = False
    table: str | None = None  # code table name (codes.TABLES) for Kind.CODE
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    columns: int = 1  # a multi-valued field the user picks spans this many columns
    multi: bool = False
    width: int = 18
    lot_dependent: bool = False  # its dropdown depends on the session's lot
    record: str | None = None  # the submission object holding it, when not its level's

    @property
    def group(self) -> str:
        """Which object of the submission JSON holds the value."""
        if self.record:
            return self.record
        return {Level.IDENT: "session"}.get(self.level, self.level.value)

    @property
    def sheet(self) -> str:
        return SHEET_OF_LEVEL.get(self.level, SESSIONS_SHEET)

    def column_headers(self) -> list[str]:
        """One header per column: 'Modalité de recrutement (1)', '(2)'... for multi columns."""
        if self.columns == 1:
            return [self.header]
        return [f"{self.header} ({i})" for i in range(1, self.columns + 1)]


FIELDS: tuple[Field, ...] = (
    # --- identification of the row -------------------------------------------------
    Field(
        "session_ref",
        "Réf. session",
        Level.IDENT,
        Kind.TEXT,
        required=True,
        max_length=40,
        width=14,
        help="Votre repère pour cette session (ex. S01, NANTES-MARS). Unique dans le classeur ; "
        "les feuilles « Infos collectives » et « Périodes inscription » s'y rattachent.",
    ),
    Field(
        "fas_code",
        "Code FAS",
        Level.IDENT,
        Kind.FAS,
        max_length=40,
        width=20,
        help="Code SOFI Formation-Action-Session. Session existante à modifier : les trois "
        "nombres (ex. 19482-89393-143842). Nouvelle session d'une action existante : F-A "
        "(19482-89393). Nouvelle action d'une formation existante : F (19482). Nouvelle "
        "formation : laissez vide. Les lignes de même code forment une seule formation ou action.",
    ),
    Field(
        "action_ref",
        "Réf. action",
        Level.IDENT,
        Kind.TEXT,
        max_length=40,
        width=14,
        record="action",
        help="Facultatif : votre repère d'action (ex. A-NANTES). Les sessions de même Réf. "
        "action forment une seule action SOFI. Sans code ni Réf. action, les sessions dont "
        "toutes les valeurs de la fiche Action sont égales forment une action.",
    ),
    Field(
        "lot",
        "Numéro lot CR",
        Level.IDENT,
        Kind.LOT,
        required=True,
        width=16,
        record="dispositif",
        help="Lot du bon de commande de la Région (ex. PAS2025_1). Choisissez-le d'abord : "
        "il détermine le mandataire, les codes externes, les sites et les contacts proposés.",
    ),
    # --- Formation -----------------------------------------------------------------
    Field(
        "title",
        "Intitulé",
        Level.FORMATION,
        Kind.TEXT,
        required=True,
        max_length=255,
        width=20,
        help="Intitulé de la formation, imposé par le programme.",
    ),
    Field(
        "general_objective",
        "Objectif général",
        Level.FORMATION,
        Kind.CODE,
        table="ais",
        required=True,
        width=24,
        help="Objectif général de formation, imposé par le programme.",
    ),
    Field(
        "exit_level",
        "Niveau de sortie",
        Level.FORMATION,
        Kind.CODE,
        table="niveaux",
        required=True,
        width=22,
        help="Niveau de sortie, imposé par le programme (« Indéterminé » dans SOFI).",
    ),
    Field(
        "formacodes",
        "Domaines de formation",
        Level.FORMATION,
        Kind.CODE,
        table="formacode-domaines",
        multi=True,
        required=True,
        width=24,
        help="Domaines de formation (Formacode), imposés par le programme.",
    ),
    Field(
        "main_formacode",
        "Domaine principal",
        Level.FORMATION,
        Kind.CODE,
        table="formacode-domaines",
        required=True,
        width=22,
        help="Domaine principal (Formacode), imposé ; il est émis en premier dans LHEO.",
    ),
    Field(
        "certifinfo_reference",
        "Référence Certifinfo",
        Level.FORMATION,
        Kind.CODE,
        table="boolean",
        required=True,
        width=12,
        help="La formation a-t-elle une référence Certifinfo ? Pour ce programme : non.",
    ),
    Field(
        "certifinfo_code",
        "Code Certifinfo",
        Level.FORMATION,
        Kind.TEXT,
        max_length=10,
        width=12,
        help="Code Certifinfo, seulement si « Référence Certifinfo » vaut oui.",
    ),
    # --- Action --------------------------------------------------------------------
    Field(
        "delivery_site",
        "Site dispensateur",
        Level.ACTION,
        Kind.SITE,
        required=True,
        width=36,
        lot_dependent=True,
        help="Site de l'organisme qui dispense l'action. La liste dépend du lot choisi.",
    ),
    Field(
        "realisation_site",
        "Site de réalisation",
        Level.ACTION,
        Kind.SITE,
        width=36,
        lot_dependent=True,
        help="Site de réalisation de l'écran de création SOFI. Laissez vide s'il s'agit du site "
        "dispensateur (il est alors repris tel quel). La liste dépend du lot choisi.",
    ),
    Field(
        "title_complement",
        "Complément intitulé",
        Level.ACTION,
        Kind.TEXT,
        max_length=200,
        width=22,
        help="Précision ajoutée à l'intitulé (ex. la ville ou la spécialité).",
    ),
    Field(
        "programme_complement",
        "Complément programme",
        Level.ACTION,
        Kind.LONGTEXT,
        required=True,
        max_length=3000,
        width=40,
        help="Contenu de la formation. Texte du programme pré-rempli : complétez les modules "
        "optionnels (3 000 caractères au plus).",
    ),
    Field(
        "objectives",
        "Objectifs",
        Level.ACTION,
        Kind.LONGTEXT,
        required=True,
        max_length=3000,
        width=40,
        help="Objectifs de l'action ; texte du programme pré-rempli (3 000 caractères au plus).",
    ),
    Field(
        "expected_results",
        "Résultats attendus",
        Level.ACTION,
        Kind.LONGTEXT,
        required=True,
        max_length=3000,
        width=40,
        help="Résultats attendus ; texte du programme pré-rempli (3 000 caractères au plus).",
    ),
    Field(
        "highlight",
        "Le « plus » formation",
        Level.ACTION,
        Kind.LONGTEXT,
        max_length=250,
        width=30,
        help="Les points forts de votre offre, 250 caractères au plus.",
    ),
    Field(
        "video_url",
        "URL vidéo",
        Level.ACTION,
        Kind.URL,
        max_length=400,
        width=28,
        help="Lien vers une vidéo de présentation : YouTube ou fichier .mp4.",
    ),
    Field(
        "pdf_url",
        "URL PDF",
        Level.ACTION,
        Kind.URL,
        max_length=400,
        width=28,
        help="Lien vers une plaquette d'information (PDF).",
    ),
    Field(
        "action_url",
        "URL action",
        Level.ACTION,
        Kind.URL,
        max_length=400,
        width=28,
        help="Lien vers la page de votre site qui décrit cette action.",
    ),
    Field(
        "equipment_type",
        "Type d'équipement",
        Level.ACTION,
        Kind.CODE,
        table="type-equipement",
        width=24,
        help="Équipement nécessaire au suivi de la formation.",
    ),
    Field(
        "equipment_cost",
        "Coût indicatif équipement (€)",
        Level.ACTION,
        Kind.INT,
        min_value=0,
        max_value=99999,
        width=14,
        help="Coût indicatif de l'équipement, en euros entiers.",
    ),
    Field(
        "equipment_comment",
        "Commentaire équipement",
        Level.ACTION,
        Kind.LONGTEXT,
        max_length=500,
        width=28,
        help="Précisions sur l'équipement (500 caractères au plus).",
    ),
    Field(
        "entry_level",
        "Niveau d'entrée",
        Level.ACTION,
        Kind.CODE,
        table="niveaux",
        required=True,
        width=24,
        help="Niveau d'entrée ; pour ce programme, niveau 4 validé (bac).",
    ),
    Field(
        "prerequisites",
        "Pré-requis",
        Level.ACTION,
        Kind.LONGTEXT,
        required=True,
        max_length=3000,
        width=36,
        help="Pré-requis ; texte du programme pré-rempli.",
    ),
    Field(
        "prerequisites_comment",
        "Commentaire pré-requis",
        Level.ACTION,
        Kind.LONGTEXT,
        max_length=3000,
        width=36,
        help="Précisions sur les pré-requis ; texte du programme pré-rempli.",
    ),
    Field(
        "target_public",
        "Public visé",
        Level.ACTION,
        Kind.LONGTEXT,
        required=True,
        max_length=3000,
        width=40,
        help="Public visé ; texte du programme pré-rempli. LHEO n'en garde que 250 "
        "caractères : le texte entier est conservé dans les extensions.",
    ),
    # --- Session -------------------------------------------------------------------
    Field(
        "site",
        "Site lieu",
        Level.SESSION,
        Kind.SITE,
        required=True,
        width=36,
        lot_dependent=True,
        help="Lieu où se déroule la session. La liste dépend du lot choisi.",
    ),
    Field(
        "start_date",
        "Date début",
        Level.SESSION,
        Kind.DATE,
        required=True,
        width=12,
        help="Premier jour de la session (jj/mm/aaaa). Elle doit débuter pendant l'année de "
        "campagne du lot.",
    ),
    Field(
        "end_date",
        "Date fin",
        Level.SESSION,
        Kind.DATE,
        required=True,
        width=12,
        help="Dernier jour de la session (jj/mm/aaaa), au plus tôt la date de début.",
    ),
    Field(
        "entry_exit_mode",
        "ESP (entrées/sorties)",
        Level.SESSION,
        Kind.CODE,
        table="esp",
        required=True,
        width=26,
        help="Entrées/sorties cadencées, séquencées, à dates fixes ou permanentes.",
    ),
    Field(
        "rhythm",
        "Rythme",
        Level.SESSION,
        Kind.CODE,
        table="rythme",
        required=True,
        width=14,
        help="Temps plein ou temps partiel.",
    ),
    Field(
        "training_periods",
        "Périodes de formation",
        Level.SESSION,
        Kind.CODE,
        table="periodes-formation",
        required=True,
        width=20,
        help="Quand la formation a lieu (Formacode 96410).",
    ),
    Field(
        "pathway_type",
        "Type de parcours",
        Level.SESSION,
        Kind.CODE,
        table="type-parcours",
        required=True,
        width=16,
        help="Mixte ou individualisé (« inconnu » n'est pas admis).",
    ),
    Field(
        "teaching_methods",
        "Modalités pédagogiques",
        Level.SESSION,
        Kind.CODE,
        table="modalites-pedagogiques",
        required=True,
        width=30,
        help="En établissement de formation, avec ou sans FOAD (formation ouverte et à distance).",
    ),
    Field(
        "delivery_mode",
        "Modalités d'enseignement",
        Level.SESSION,
        Kind.CODE,
        table="modalites-enseignement",
        required=True,
        width=26,
        help="Présentiel, mixte ou entièrement à distance.",
    ),
    Field(
        "centre_hours",
        "Durée en centre (h)",
        Level.SESSION,
        Kind.INT,
        required=True,
        min_value=0,
        max_value=99999,
        width=12,
        help="Nombre d'heures en centre, nombre entier.",
    ),
    Field(
        "company_hours",
        "Durée en entreprise (h)",
        Level.SESSION,
        Kind.INT,
        required=True,
        min_value=0,
        max_value=99999,
        width=12,
        help="Nombre d'heures en entreprise (stages), nombre entier ; 0 s'il n'y en a pas.",
    ),
    Field(
        "duration_comment",
        "Commentaire durée",
        Level.SESSION,
        Kind.TEXT,
        max_length=150,
        width=24,
        help="Précision sur la durée (150 caractères au plus).",
    ),
    Field(
        "weekly_hours",
        "Durée hebdo (h)",
        Level.SESSION,
        Kind.DECIMAL,
        min_value=0,
        max_value=70,
        width=10,
        help="Heures par semaine (ex. 35 ou 17,5).",
    ),
    Field(
        "alternance_cycle",
        "Cycle de l'alternance",
        Level.SESSION,
        Kind.CODE,
        table="unite-rythme",
        required=True,  # starred in SOFI's Fiche Session; a profile may say otherwise
        width=16,
        help="Unité du cycle de l'alternance, si la session en comporte une.",
    ),
    Field(
        "company_unit",
        "Unité entreprise",
        Level.SESSION,
        Kind.INT,
        required=True,  # starred in SOFI's Fiche Session; a profile may say otherwise
        min_value=0,
        max_value=99999,
        width=10,
        help="Nombre d'unités en entreprise par cycle, si la session alterne.",
    ),
    Field(
        "responsible_org",
        "Organisme responsable",
        Level.SESSION,
        Kind.ORGANISME,
        required=True,
        width=36,
        lot_dependent=True,
        help="L'organisme responsable est le mandataire du lot (proposé dans la liste).",
    ),
    Field(
        "recruitment_status",
        "Recrutement",
        Level.SESSION,
        Kind.CODE,
        table="etat-recrutement",
        required=True,
        width=12,
        help="État du recrutement : ouvert, suspendu ou fermé.",
    ),
    Field(
        "recruitment_methods",
        "Modalité de recrutement",
        Level.SESSION,
        Kind.CODE,
        table="modalite-recrutement",
        required=True,
        multi=True,
        columns=3,
        width=24,
        help="Une ou plusieurs modalités de recrutement (une par colonne).",
    ),
    Field(
        "pmr_contact",
        "Référent PMR",
        Level.SESSION,
        Kind.CONTACT,
        required=True,
        width=30,
        record="referents",
        lot_dependent=True,
        help="Contact référent handicap (personnes à mobilité réduite).",
    ),
    Field(
        "prf_contact",
        "Référent PRF",
        Level.SESSION,
        Kind.CONTACT,
        width=30,
        lot_dependent=True,
        record="referents",
        help="Contact référent du Programme régional de formation.",
    ),
    Field(
        "liaison_email",
        "Mail de liaison",
        Level.SESSION,
        Kind.EMAIL,
        max_length=160,
        width=26,
        record="referents",
        help="Adresse e-mail de liaison.",
    ),
    Field(
        "mobility_contact",
        "Référent mobilité",
        Level.SESSION,
        Kind.CONTACT,
        required=True,
        width=30,
        record="referents",
        lot_dependent=True,
        help="Contact référent mobilité.",
    ),
    # --- Dispositif ----------------------------------------------------------------
    Field(
        "dispositif",
        "Dispositif",
        Level.DISPOSITIF,
        Kind.TEXT,
        required=True,
        max_length=200,
        width=30,
        help="Dispositif, imposé par le programme.",
    ),
    Field(
        "publics",
        "Publics",
        Level.DISPOSITIF,
        Kind.CODE,
        table="publics",
        multi=True,
        required=True,
        width=30,
        help="Publics du dispositif, imposés par le programme.",
    ),
    Field(
        "cr_action_id",
        "ID Action CR",
        Level.DISPOSITIF,
        Kind.TEXT,
        max_length=40,
        width=12,
        lot_dependent=True,
        help="Code externe « ID Action CR » : celui du lot (rempli "
        "automatiquement à l'export s'il est vide).",
    ),
    Field(
        "cr_mandataire_id",
        "OF Mandataire CR",
        Level.DISPOSITIF,
        Kind.TEXT,
        max_length=40,
        width=12,
        lot_dependent=True,
        help="Code externe « OF Mandataire CR » : celui du lot (rempli "
        "automatiquement à l'export s'il est vide).",
    ),
    Field(
        "places",
        "Nb places dispositif",
        Level.DISPOSITIF,
        Kind.INT,
        required=True,
        min_value=1,
        max_value=99999,
        width=12,
        help="Nombre de places : obligatoire, voir le bon de commande de la Région et le "
        "tableau de programmation annexé.",
    ),
    Field(
        "places_remaining",
        "Nb places restantes",
        Level.DISPOSITIF,
        Kind.INT,
        min_value=0,
        max_value=99999,
        width=12,
        help="Places encore disponibles, au plus le nombre de places.",
    ),
    Field(
        "min_headcount",
        "Effectif minimal",
        Level.DISPOSITIF,
        Kind.INT,
        min_value=0,
        max_value=99999,
        width=12,
        help="Effectif minimal pour ouvrir la session, au plus la capacité.",
    ),
    Field(
        "simultaneous_capacity",
        "Capacité simultanée",
        Level.DISPOSITIF,
        Kind.INT,
        min_value=0,
        max_value=99999,
        width=12,
        help="Nombre de stagiaires accueillis en même temps.",
    ),
    Field(
        "fee_excl_tax",
        "Frais HT (€)",
        Level.DISPOSITIF,
        Kind.DECIMAL,
        min_value=0,
        max_value=9999999,
        width=12,
        help="Frais pédagogiques hors taxes par stagiaire, en euros (ex. 3 200,00).",
    ),
    Field(
        "vat_rate",
        "Taux TVA",
        Level.DISPOSITIF,
        Kind.CODE,
        table="taux-tva",
        width=10,
        help="Taux de TVA appliqué aux frais (0 % si l'organisme n'y est pas assujetti).",
    ),
    Field(
        "fee_incl_tax",
        "Frais TTC (€)",
        Level.DISPOSITIF,
        Kind.DECIMAL,
        min_value=0,
        max_value=9999999,
        width=12,
        help="Frais pédagogiques TTC par stagiaire = Frais HT × (1 + taux de TVA), au "
        "centime près (LHEO : prix total TTC par apprenant).",
    ),
    Field(
        "extra_fees",
        "Frais additionnels non pris en charge (€)",
        Level.DISPOSITIF,
        Kind.DECIMAL,
        min_value=0,
        max_value=9999999,
        width=14,
        help="Montant total des frais additionnels restant à la charge de chaque stagiaire.",
    ),
    Field(
        "certification_fees",
        "Frais de certification inclus",
        Level.DISPOSITIF,
        Kind.CODE,
        table="boolean",
        required=True,
        width=12,
        help="Frais afférents au passage de la certification : non.",
    ),
    Field(
        "fees_covered",
        "Prise en charge des frais pédagogiques",
        Level.DISPOSITIF,
        Kind.CODE,
        table="boolean",
        required=True,
        width=12,
        help="Prise en charge des frais pédagogiques : oui.",
    ),
    # --- the session's state in SOFI (last column: older workbooks keep their letters) ---
    Field(
        "session_state",
        "État",
        Level.SESSION,
        Kind.CODE,
        table="etat-session",
        width=10,
        help="État de la session dans SOFI : Actif (ou vide) pour une session proposée, Inactif "
        "pour retirer de l'offre une session existante (SOFI la garde, sans la proposer). "
        "Inactif seulement sur une ligne au code FAS complet (F-A-S).",
    ),
    # --- Informations collectives (child sheet) ------------------------------------
    Field(
        "ic_session",
        "Réf. session",
        Level.INFO_COLLECTIVE,
        Kind.SESSION_REF,
        required=True,
        width=14,
        help="Réf. session (feuille Sessions) à laquelle se rattache cette information collective.",
    ),
    Field(
        "ic_code",
        "Code",
        Level.INFO_COLLECTIVE,
        Kind.TEXT,
        max_length=40,
        width=10,
        help="Code de l'information collective dans SOFI, s'il existe.",
    ),
    Field(
        "ic_date",
        "Date",
        Level.INFO_COLLECTIVE,
        Kind.DATE,
        required=True,
        width=12,
        help="Date de l'information collective (jj/mm/aaaa), au plus tard le jour où la session "
        "débute.",
    ),
    Field(
        "ic_start_time",
        "Heure début",
        Level.INFO_COLLECTIVE,
        Kind.TIME,
        width=10,
        help="Heure de début (ex. 9h30 ou 09:30).",
    ),
    Field(
        "ic_end_time",
        "Heure fin",
        Level.INFO_COLLECTIVE,
        Kind.TIME,
        width=10,
        help="Heure de fin (ex. 11h30).",
    ),
    Field(
        "ic_site",
        "Lieu",
        Level.INFO_COLLECTIVE,
        Kind.SITE,
        width=36,
        help="Site où a lieu l'information collective ; obligatoire sauf si elle a lieu à "
        "distance.",
    ),
    Field(
        "ic_remote",
        "À distance",
        Level.INFO_COLLECTIVE,
        Kind.CODE,
        table="boolean",
        width=10,
        help="Oui si l'information collective a lieu à distance (visioconférence) ; donnez "
        "alors son lien. Vide : non.",
    ),
    Field(
        "ic_url",
        "Lien (à distance)",
        Level.INFO_COLLECTIVE,
        Kind.URL,
        max_length=400,
        width=28,
        help="Adresse web de l'information collective à distance (https://…), obligatoire "
        "quand « À distance » vaut oui. Kairos et Ouiform la montrent aux candidats.",
    ),
    Field(
        "ic_comment",
        "Commentaire",
        Level.INFO_COLLECTIVE,
        Kind.LONGTEXT,
        max_length=500,
        width=36,
        help="Précisions (accès, inscription préalable…), 500 caractères au plus.",
    ),
    # --- Périodes d'inscription (child sheet) --------------------------------------
    Field(
        "pi_session",
        "Réf. session",
        Level.PERIODE_INSCRIPTION,
        Kind.SESSION_REF,
        required=True,
        width=14,
        help="Réf. session (feuille Sessions) à laquelle se rattache cette période.",
    ),
    Field(
        "pi_code",
        "Code",
        Level.PERIODE_INSCRIPTION,
        Kind.TEXT,
        max_length=40,
        width=10,
        help="Code de la période d'inscription dans SOFI, s'il existe.",
    ),
    Field(
        "pi_type",
        "Type",
        Level.PERIODE_INSCRIPTION,
        Kind.CODE,
        table="type-inscription",
        required=True,
        width=24,
        help="Candidature individuelle, recrutement ou inscription.",
    ),
    Field(
        "pi_start",
        "Date début",
        Level.PERIODE_INSCRIPTION,
        Kind.DATE,
        required=True,
        width=12,
        help="Début de la période (jj/mm/aaaa), au plus tard le jour où la session débute.",
    ),
    Field(
        "pi_end",
        "Date fin",
        Level.PERIODE_INSCRIPTION,
        Kind.DATE,
        width=12,
        help="Fin de la période (jj/mm/aaaa), au plus tôt la date de début.",
    ),
)

BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
