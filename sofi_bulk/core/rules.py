"""Every rule of the check, in one table: what it checks, its issue codes, the fields it reads.

Each issue code of ``issues.py`` belongs to exactly one rule (a test says so), and
``docs/regles.md`` is generated from this table. The rules run in its order: those of the
structure and of single cells while the sheets are read (``validate.py``, ``parse.py``,
``context.py``), then the resolution rules (``resolve.py``), which turn what was typed into
what it stands for, then the checks (``checks.py``), which read and never write a value.

To add a rule across fields: its function in ``checks.py`` (a function of the
``Checking``), its line here, its code and message in ``issues.py``; then
``python -m sofi_bulk.docs``.
"""

from __future__ import annotations

from sofi_bulk.core import checks, resolve
from sofi_bulk.core.checking import Checking, Rule, Stage
from sofi_bulk.core.codes import table_of
from sofi_bulk.core.comparisons import CAMPAIGN, COMPARISON_NAMES, COMPARISONS, EXCLUSIONS
from sofi_bulk.core.fields import BY_KEY, FIELDS, Kind
from sofi_bulk.core.identity import ACTION_KEYS, FORMATION_KEYS
from sofi_bulk.core.issues import ISSUE_TYPES, Issue, Severity
from sofi_bulk.core.parse import EVERY_KIND_CODES, KIND_CODES
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.records import ValidationResult

EVERY_FIELD = tuple(f.key for f in FIELDS)


def _structure(name: str, description: str, code: str, where: str = "validate.py") -> Rule:
    return Rule(name, description, Stage.STRUCTURE, (code,), where=where)


def _cell(name: str, description: str, *codes: str) -> Rule:
    """A rule of the cell parsers: it reads the fields whose kind's parser may emit its codes,
    and refuses the value of a cell it flags."""
    if set(codes) <= set(EVERY_KIND_CODES):
        kinds = tuple(Kind)
    else:
        kinds = tuple(kind for kind, emitted in KIND_CODES.items() if set(emitted) & set(codes))
    reads = tuple(f.key for f in FIELDS if f.kind in kinds)
    return Rule(
        name, description, Stage.CELL, codes, reads, where="parse.py", refuses=codes, kinds=kinds
    )


def _comparisons() -> list[Rule]:
    """One rule per code of the declared comparisons (``comparisons.py``)."""
    rules = []
    for code in dict.fromkeys(c.code for c in COMPARISONS):
        mine = checks.comparisons_of_code(code)
        said = " ; ".join(
            f"« {BY_KEY[c.key].header} » {'≥' if c.op == '>=' else '≤'} "
            f"« {BY_KEY[c.other].header} »{' de sa session' if c.scope == 'session' else ''}"
            f" ({BY_KEY[c.key].sheet})"
            for c in mine
        )
        reads = tuple(
            dict.fromkeys(
                k
                for c in mine
                for k in (c.key, c.other, *(("session_ref",) if c.scope == "session" else ()))
            )
        )
        run = checks.comparison_check(mine)
        rules.append(Rule(COMPARISON_NAMES[code], said + ".", Stage.CHECK, (code,), reads, run))
    return rules


def _exclusions() -> list[Rule]:
    """One rule per pair of codes the procedure forbids together (``comparisons.py``)."""
    rules = []
    for ex in EXCLUSIONS:
        key, other = BY_KEY[ex.key], BY_KEY[ex.other]
        shown = " ou ".join(f"« {table_of(key).option(v).label} »" for v in ex.values)
        others = " ou ".join(f"« {table_of(other).option(v).label} »" for v in ex.others)
        said = f"« {key.header} » {shown} ne va pas avec « {other.header} » {others}."
        run = checks.exclusion_check(ex)
        rules.append(Rule(ex.name, said, Stage.CHECK, (ex.code,), (ex.key, ex.other), run))
    return rules


RULES: tuple[Rule, ...] = (
    # --- the workbook's structure -------------------------------------------------------
    _structure(
        "Classeur de sofi-bulk",
        "Le classeur porte les métadonnées du modèle (feuille _meta) ; sans elles, le contrôle "
        "se fait avec le programme par défaut et le référentiel donné.",
        "metadonnees-absentes",
        "context.py",
    ),
    _structure(
        "Référentiel du modèle",
        "Le référentiel donné pour le contrôle est celui avec lequel le modèle a été généré "
        "(même empreinte pour les lots du classeur).",
        "referentiel-different",
        "context.py",
    ),
    _structure(
        "Version du modèle",
        "Un classeur d'une version antérieure du modèle est lu quand toutes ses colonnes "
        "obligatoires sont là ; les colonnes facultatives ajoutées depuis sont signalées.",
        "colonnes-facultatives-absentes",
        "context.py",
    ),
    _structure(
        "Feuilles présentes",
        "Les feuilles « Infos collectives » et « Périodes inscription » sont présentes.",
        "feuille-manquante",
    ),
    _structure(
        "Ligne d'en-têtes",
        "Chaque feuille a sa ligne d'en-têtes dans ses premières lignes.",
        "en-tetes-introuvables",
    ),
    _structure(
        "Colonnes en double",
        "Une colonne n'apparaît qu'une fois ; seule la première est lue.",
        "colonne-en-double",
    ),
    _structure(
        "Cellules fusionnées",
        "Une valeur de cellules fusionnées est reprise sur chaque ligne, et signalée.",
        "cellules-fusionnees",
    ),
    _structure(
        "Colonnes obligatoires",
        "Chaque colonne obligatoire (catalogue, ou profil : `required`) est présente, sauf "
        "celles que le programme impose.",
        "colonne-manquante",
    ),
    # --- each cell, as it is read ---------------------------------------------------------
    _cell(
        "Caractères invisibles",
        "Aucune cellule ne contient de caractère de contrôle ; textes et références, pas de "
        "caractère invisible (espace de largeur nulle…).",
        "caracteres-invalides",
    ),
    _cell(
        "Formules en erreur",
        "Une formule est lue par sa valeur calculée ; une valeur d'erreur (#N/A…) est refusée.",
        "formule-en-erreur",
    ),
    _cell(
        "Valeurs des listes",
        "Une colonne à liste reçoit un code de sa table, saisi en code, en libellé ou en "
        "« code - libellé ».",
        "code-inconnu",
    ),
    _cell(
        "Longueur des textes",
        "Un texte ou une adresse web tient dans la longueur que SOFI admet.",
        "texte-trop-long",
    ),
    _cell(
        "Nombres",
        "Un nombre est lisible (virgule ou point décimal, espaces, €), sans séparateur "
        "ambigu, entier quand il le faut, dans ses limites.",
        "nombre-invalide",
        "nombre-ambigu",
        "entier-attendu",
        "nombre-hors-limites",
    ),
    _cell(
        "Dates",
        "Une date est complète et existe dans le calendrier (jj/mm/aaaa, date en lettres, "
        "vraie date du tableur).",
        "date-invalide",
        "date-impossible",
        "date-incomplete",
    ),
    _cell("Heures", "Une heure se lit 9h30, 09:30 ou en heure du tableur.", "heure-invalide"),
    _cell(
        "Adresses web",
        "Une adresse web est complète (http:// ou https://) ; une vidéo est sur YouTube ou un "
        "fichier .mp4.",
        "url-invalide",
        "url-video-invalide",
    ),
    _cell("Adresses e-mail", "Une adresse e-mail est bien formée.", "email-invalide"),
    _cell(
        "Codes FAS",
        "Un code FAS s'écrit F-A-S, F-A ou F (nombres séparés par des tirets).",
        "code-fas-invalide",
    ),
    Rule(
        "Valeurs obligatoires",
        "Une cellule d'une colonne obligatoire (catalogue, ou profil : `required`) est "
        "remplie ; une information collective a un site, ou, à distance, un lien.",
        Stage.CELL,
        ("champ-obligatoire",),
        EVERY_FIELD,
        checks.check_info_place,
        where="validate.py, checks.py",
    ),
    Rule(
        "Valeurs imposées",
        "Une colonne que le programme impose garde sa valeur (remise si elle a changé).",
        Stage.CELL,
        ("valeur-imposee",),
        where="validate.py",
        profile_reads="fixed",
    ),
    Rule(
        "Valeurs admises par le programme",
        "Une colonne dont le programme restreint la liste reçoit un code admis.",
        Stage.CELL,
        ("code-non-admis",),
        where="validate.py",
        refuses=("code-non-admis",),
        profile_reads="allowed",
    ),
    # --- resolution: what the typed values stand for ----------------------------------------
    Rule(
        "Lot",
        "Le lot saisi est un lot du référentiel, de ce programme ; il devient son numéro.",
        Stage.RESOLUTION,
        ("lot-inconnu", "lot-autre-programme"),
        ("lot",),
        resolve.resolve_lots,
        refuses=("lot-inconnu", "lot-autre-programme"),
    ),
    Rule(
        "Session des lignes rattachées",
        "La « Réf. session » d'une information collective ou d'une période d'inscription est "
        "celle d'une session de la feuille Sessions (la première de cette référence).",
        Stage.RESOLUTION,
        ("session-inconnue",),
        ("session_ref", "ic_session", "pi_session"),
        resolve.resolve_sessions,
        refuses=("session-inconnue",),
    ),
    Rule(
        "Sites et contacts",
        "Un site ou un contact saisi est dans le référentiel (il devient son code) et "
        "appartient à un organisme du lot de la session.",
        Stage.RESOLUTION,
        ("site-inconnu", "site-hors-lot", "contact-inconnu", "contact-hors-lot"),
        ("lot", *resolve.SITE_KEYS, *resolve.CONTACT_KEYS),
        resolve.resolve_references,
        refuses=("site-inconnu", "site-hors-lot", "contact-inconnu", "contact-hors-lot"),
    ),
    Rule(
        "Lieu de réalisation",
        "Un lieu de réalisation égal au site dispensateur est omis : c'est la valeur par défaut.",
        Stage.RESOLUTION,
        (),
        ("realisation_site", "delivery_site"),
        resolve.drop_same_realisation_site,
    ),
    Rule(
        "Organisme responsable",
        "L'organisme responsable saisi est un organisme du référentiel ; il devient son SIRET.",
        Stage.RESOLUTION,
        ("organisme-inconnu", "siret-invalide"),
        ("responsible_org",),
        resolve.resolve_organismes,
        refuses=("organisme-inconnu", "siret-invalide"),
    ),
    Rule(
        "Codes externes par défaut",
        "« ID Action CR » et « OF mandataire CR » laissés vides prennent ceux du lot.",
        Stage.RESOLUTION,
        (),
        ("lot", *resolve.LOT_CODES),
        resolve.fill_lot_codes,
    ),
    # --- checks across fields, rows and sheets --------------------------------------------
    Rule(
        "Référentiel complet pour LHEO",
        "Les sites et le mandataire du lot d'une session ont dans le référentiel ce que "
        "l'export LHEO exige (adresse, numéro de déclaration d'activité) ; signalé une fois par "
        "site ou organisme.",
        Stage.CHECK,
        ("referentiel-incomplet",),
        ("lot", *checks.SITE_FIELDS),
        checks.check_referentiel_complete,
    ),
    Rule(
        "Mandataire du lot",
        "L'organisme responsable est le mandataire du lot de la session.",
        Stage.CHECK,
        ("organisme-responsable",),
        ("lot", "responsible_org"),
        checks.check_responsible_org,
    ),
    Rule(
        "Codes externes du lot",
        "« ID Action CR » et « OF mandataire CR » sont ceux du lot de la session.",
        Stage.CHECK,
        ("code-externe",),
        ("lot", *resolve.LOT_CODES),
        checks.check_lot_codes,
    ),
    Rule(
        "Année de campagne",
        "Une session débute dans l'année de campagne de son lot (à défaut, celle du programme "
        ": profil, `campaign_year`), ni avant ni après ; un lot dont la campagne n'est ni "
        "l'année du contrôle ni la suivante est signalé, une fois, sauf ceux du référentiel "
        "d'exemple livré (fictifs, de la campagne que nomme le texte de la procédure).",
        Stage.CHECK,
        (CAMPAIGN.code, CAMPAIGN.stale_code),
        (CAMPAIGN.key, "lot"),
        checks.check_campaign,
        refuses=(CAMPAIGN.code,),
    ),
    *_comparisons(),
    *_exclusions(),
    Rule(
        "Certifinfo",
        "Pas de code Certifinfo quand « Référence Certifinfo » vaut non.",
        Stage.CHECK,
        ("certifinfo-incoherent",),
        ("certifinfo_code", "certifinfo_reference"),
        checks.check_certifinfo,
    ),
    Rule(
        "Frais TTC",
        "Les frais TTC sont les frais HT avec le taux de TVA, au centime près.",
        Stage.CHECK,
        ("frais-ttc",),
        ("fee_excl_tax", "vat_rate", "fee_incl_tax"),
        checks.check_fees,
    ),
    Rule(
        "Textes à compléter",
        "Une phrase du modèle que le programme demande de remplacer (profil : "
        "`placeholders`) n'y est plus.",
        Stage.CHECK,
        ("texte-a-completer",),
        profile_reads="placeholders",
        run=checks.check_placeholders,
    ),
    Rule(
        "Rythme et durée hebdomadaire",
        "« Temps plein » à partir du nombre d'heures par semaine du programme (profil : "
        "`rules.full_time_min_weekly_hours`), « temps partiel » en deçà.",
        Stage.CHECK,
        ("rythme-heures",),
        ("weekly_hours", "rhythm"),
        checks.check_rhythm,
    ),
    Rule(
        "Pré-requis pour LHEO",
        "Les pré-requis et leur commentaire tiennent ensemble dans le champ LHEO qui les réunit.",
        Stage.CHECK,
        ("prerequis-trop-longs",),
        ("prerequisites", "prerequisites_comment"),
        checks.check_prerequisites,
    ),
    Rule(
        "Réf. session unique",
        "Chaque « Réf. session » désigne une seule session.",
        Stage.CHECK,
        ("reference-en-double",),
        ("session_ref",),
        checks.check_duplicate_refs,
        refuses=("reference-en-double",),
    ),
    Rule(
        "Session saisie deux fois",
        "Deux lignes de même lot, mêmes sites et mêmes dates sont sans doute une même session.",
        Stage.CHECK,
        ("session-en-double",),
        checks.SESSION_FINGERPRINT,
        checks.check_duplicate_sessions,
    ),
    Rule(
        "Places du lot",
        "Les sessions d'un lot totalisent au plus les places commandées par la Région.",
        Stage.CHECK,
        ("places-lot-depassees",),
        ("lot", "places"),
        checks.check_lot_places,
    ),
    Rule(
        "Modification d'une session",
        "Une ligne au code FAS complet modifie une session SOFI : elle rappelle l'accord "
        "préalable de la Région ; une session terminée à la date du contrôle ne se modifie "
        "plus (la procédure admet une modification avant la session ou pendant).",
        Stage.CHECK,
        ("modification-accord-region", "modification-session-terminee"),
        ("fas_code", "end_date"),
        checks.check_modifications,
    ),
    Rule(
        "Numéros SOFI uniques",
        "Un numéro SOFI est unique dans tout SOFI : un numéro de session est celui d'une seule "
        "action, un numéro d'action celui d'une seule formation (codes FAS du classeur).",
        Stage.CHECK,
        ("session-autre-action", "action-autre-formation"),
        ("fas_code",),
        checks.check_numbering,
    ),
    Rule(
        "État d'une session",
        "« Inactif » retire de l'offre une session qui existe dans SOFI : seulement sur une "
        "ligne au code FAS complet (F-A-S).",
        Stage.CHECK,
        ("etat-inactif-nouvelle-session",),
        ("session_state", "fas_code"),
        checks.check_inactive_state,
    ),
    Rule(
        "Formations et actions SOFI",
        "Un code FAS complet ne figure qu'une fois ; les lignes d'un même code de formation, "
        "d'action ou d'une même « Réf. action » ont les mêmes valeurs de fiche Formation et de "
        "fiche Action, et un même organisme (celui du site dispensateur).",
        Stage.CHECK,
        (
            "formation-incoherente",
            "formation-autre-organisme",
            "action-incoherente",
            "code-fas-en-double",
            "reference-action-incoherente",
        ),
        tuple(
            dict.fromkeys(
                ("fas_code", "action_ref", "delivery_site", *FORMATION_KEYS, *ACTION_KEYS)
            )
        ),
        checks.check_identity,
        refuses=("code-fas-en-double",),
    ),
    Rule(
        "Informations collectives",
        "Chaque session a au moins le nombre d'informations collectives du programme (profil : "
        "`rules.min_info_sessions`).",
        Stage.CHECK,
        ("info-collective-manquante",),
        ("session_ref", "ic_session"),
        checks.check_info_sessions,
    ),
)

RULE_OF_CODE: dict[str, Rule] = {code: rule for rule in RULES for code in rule.codes}
_REFUSING = frozenset(code for rule in RULES for code in rule.refuses)


def check_rules(result: ValidationResult, rules: tuple[Rule, ...] = RULES) -> None:
    """Run the table's rules over the records read (resolution, then checks); then give
    each issue the severity the programme sets for its code."""
    run = Checking(result, _REFUSING)
    for rule in rules:
        if rule.run is not None:
            rule.run(run)
    apply_severities(result.issues, result.profile)


def apply_severities(issues: list[Issue], profile: Profile) -> None:
    """The profile's ``severities`` over the codes' own."""
    changed = {
        code: Severity(severity)
        for code, severity in profile.severities.items()
        if ISSUE_TYPES[code].severity != severity
    }
    if changed:
        for issue in issues:
            severity = changed.get(issue.code)
            if severity is not None:
                issue.severity = severity
