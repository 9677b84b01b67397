"""Code tables: every allowed value of a coded field, as code + French label.

LHEO tables are copied from the LHEO 2.3 definition (dict-*) and Formacode lists, so
their codes are LHEO codes; SOFI-only lists carry the LHEO code they map to in ``lheo``
(``NO_LHEO`` when an option has none), and lists LHEO has no code for at all say so with
``lheo_coded=False``. A dropdown shows ``"code - libellé"``; the reader accepts the code,
the label or that display form, in any case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sofi_bulk.core.fields import Field
from sofi_bulk.core.text import fold

NO_LHEO = ""  # an option of a SOFI list that has no LHEO code


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    lheo: str | None = None  # LHEO code when the SOFI code is not one itself; NO_LHEO: none
    show_code: bool = True  # official numeric codes are shown; SOFI's own slugs are not

    @property
    def display(self) -> str:
        """What a dropdown shows: "9 - (Re)mobilisation…" for coded tables, the label otherwise."""
        return (
            f"{self.code} - {self.label}"
            if self.show_code and self.code != self.label
            else self.label
        )

    @property
    def lheo_code(self) -> str:
        return self.lheo if self.lheo is not None else self.code


@dataclass(frozen=True)
class CodeTable:
    name: str
    title: str
    source: str
    options: tuple[Option, ...]
    aliases: tuple[tuple[str, str], ...] = ()  # other words users type for a code: ("vrai", "oui")
    lheo_coded: bool = True  # False: a SOFI list LHEO has no code table for (rythme, TVA…)
    _index: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for opt in self.options:
            for key in (opt.code, opt.label, opt.display):
                self._index.setdefault(fold(key), opt.code)
        for alias, code in self.aliases:
            self._index.setdefault(fold(alias), code)

    def lookup(self, value: str) -> str | None:
        """Return the code for a code, a label or a "code - label" string; None if unknown."""
        key = fold(value)
        if key in self._index:
            return self._index[key]
        head, sep, _ = value.partition(" - ")
        if sep and fold(head) in self._index:
            return self._index[fold(head)]
        return None

    def option(self, code: str) -> Option:
        for opt in self.options:
            if opt.code == code:
                return opt
        raise KeyError(code)

    def lheo_of(self, code: str) -> str | None:
        """The LHEO code of an option, None when LHEO has none (what an integrator maps to)."""
        if not self.lheo_coded:
            return None
        return self.option(code).lheo_code or None

    def restricted(self, codes: list[str] | None) -> tuple[Option, ...]:
        if not codes:
            return self.options
        return tuple(o for o in self.options if o.code in codes)


def _table(
    name: str,
    title: str,
    source: str,
    rows: list[tuple[str, ...]],
    show_code: bool | None = None,
    aliases: tuple[tuple[str, str], ...] = (),
    lheo_coded: bool = True,
) -> CodeTable:
    if show_code is None:
        show_code = all(row[0][:1].isdigit() for row in rows)
    return CodeTable(
        name,
        title,
        source,
        tuple(Option(row[0], row[1], row[2] if len(row) == 3 else None, show_code) for row in rows),
        aliases,
        lheo_coded,
    )


LHEO = "LHEO 2.3"
SOFI = "SOFI"

TABLES: dict[str, CodeTable] = {
    t.name: t
    for t in [
        _table(
            "boolean",
            "Oui / non",
            f"{LHEO} dict-boolean",
            [("non", "non", "0"), ("oui", "oui", "1")],
            aliases=(
                ("vrai", "oui"),
                ("faux", "non"),
                ("o", "oui"),
                ("n", "non"),
                ("1", "oui"),
                ("0", "non"),
                ("yes", "oui"),
                ("no", "non"),
                ("true", "oui"),
                ("false", "non"),
            ),
        ),
        _table(
            "ais",
            "Objectif général de formation",
            f"{LHEO} dict-AIS",
            [
                ("6", "Certification"),
                ("7", "Professionnalisation"),
                ("8", "Préparation à la qualification"),
                ("5", "Remise à niveau, maîtrise des savoirs de base, initiation"),
                ("9", "(Re)mobilisation, aide à l'élaboration de projet professionnel"),
                ("2", "Perfectionnement, élargissement des compétences"),
                ("4", "Création d'entreprise"),
            ],
            aliases=(("2/3", "2"), ("3", "2")),  # LHEO lists this label under the keys 2 and 3
        ),
        _table(
            "niveaux",
            "Niveaux",
            f"{LHEO} dict-niveaux",
            [
                ("0", "information non communiquée (Indéterminé)"),
                ("1", "sans niveau spécifique"),
                ("11", "Niveau 1. Maîtrise des savoirs de base"),
                ("12", "Niveau 2. Activités simples, règles et outils simples"),
                ("13", "Niveau 3 (CAP, BEP)"),
                ("14", "Niveau 4 (Bac, Bac pro, BP ou équivalent)"),
                ("15", "Niveau 5 (Bac+2 : BTS, DUT)"),
                ("16", "Niveau 6 (Bac+3 : licence)"),
                ("17", "Niveau 7 (Bac+5 : master)"),
                ("18", "Niveau 8 (doctorat)"),
            ],
        ),
        _table(
            "formacode-domaines",
            "Domaines de formation (Formacode)",
            "Formacode V14",
            [("15061", "Accompagnement vers emploi"), ("15084", "Préparation entrée formation")],
        ),
        _table(
            "publics",
            "Publics (Formacode public visé)",
            "Formacode V14",
            [
                ("80006", "Demandeur d'emploi"),
                ("80008", "Licencié pour motif économique"),
                ("82038", "Profession libérale"),
                ("82044", "Salarié"),
                ("82055", "Agent de la fonction publique"),
            ],
        ),
        _table(
            "type-equipement",
            "Type d'équipement",
            f"{LHEO} dict-type-equipement",
            [
                ("0", "Autre"),
                ("1", "Protection de la tête"),
                ("2", "Protection des yeux"),
                ("3", "Protection des mains"),
                ("4", "Protection de l'ouïe"),
                ("5", "Protection du corps"),
                ("6", "Protection des pieds"),
                ("7", "Protection des voies respiratoires"),
                ("8", "Protection chutes"),
                ("9", "Outillage professionnel"),
                ("10", "Tenue professionnelle"),
                ("11", "Équipement numérique"),
            ],
        ),
        _table(
            "esp",
            "Entrées / sorties (ESP)",
            f"{SOFI} → {LHEO} dict-modalites-es",
            [
                ("cadencees", "entrées/sorties cadencées", "0"),
                ("sequencees", "entrées/sorties séquencées", "0"),
                ("dates-fixes", "entrées/sorties à dates fixes", "0"),
                ("permanentes", "entrées/sorties permanentes", "1"),
            ],
        ),
        _table(
            "rythme",
            "Rythme",
            SOFI,
            [("temps-plein", "temps plein"), ("temps-partiel", "temps partiel")],
            lheo_coded=False,  # rythme-formation is a text in LHEO
        ),
        _table(
            "periodes-formation",
            "Périodes de formation (Formacode 96410)",
            "Formacode V14",
            [
                ("96414", "Cours de jour"),
                ("96411", "Cours du soir"),
                ("96412", "Cours le week end"),
                ("96413", "Hors temps de travail"),
            ],
        ),
        _table(
            "modalites-pedagogiques",
            "Modalités pédagogiques",
            f"{SOFI} → Formacode V14 (modalités pédagogiques)",
            [
                ("etablissement", "en établissement de formation", NO_LHEO),
                ("etablissement-foad", "en établissement de formation et FOAD", "96129"),
            ],
        ),
        _table(
            "type-parcours",
            "Type de parcours",
            f"{LHEO} dict-type-parcours",
            [
                ("1", "en groupe (non personnalisable)"),
                ("2", "individualisé"),
                ("3", "modularisé"),
                ("4", "mixte"),
            ],
        ),
        _table(
            "modalites-enseignement",
            "Modalités d'enseignement",
            f"{LHEO} dict-modalites-enseignement",
            [
                ("0", "formation entièrement présentielle"),
                ("1", "formation mixte"),
                ("2", "formation entièrement à distance"),
            ],
        ),
        _table(
            "unite-rythme",
            "Unité de rythme",
            f"{LHEO} dict-unite-rythme",
            [
                ("0", "Heure"),
                ("1", "Demi-journée"),
                ("2", "Journée"),
                ("3", "Semaine"),
                ("4", "Mois"),
            ],
        ),
        _table(
            "etat-recrutement",
            "État du recrutement",
            f"{LHEO} dict-etat-recrutement",
            [("1", "ouvert"), ("2", "fermé"), ("3", "suspendu")],
        ),
        _table(
            "etat-session",
            "État de la session",
            SOFI,
            [("actif", "Actif"), ("inactif", "Inactif")],
            lheo_coded=False,  # LHEO has no state of a session: kept in its extensions
        ),
        _table(
            "modalite-recrutement",
            "Modalité de recrutement",
            f"{LHEO} dict-modalite-recrutement",
            [
                ("0", "information inconnue"),
                ("1", "méthode de recrutement par simulation"),
                ("2", "concours"),
                ("3", "dossier"),
                ("4", "tests pratiques"),
                ("5", "épreuves écrites"),
                ("6", "épreuves orales"),
                ("7", "inscription sur candidature"),
                ("8", "entretien ou RDV individuel"),
                ("9", "information collective"),
            ],
        ),
        _table(
            "type-inscription",
            "Type de période d'inscription",
            SOFI,
            [
                ("candidature", "candidature individuelle"),
                ("recrutement", "recrutement"),
                ("inscription", "inscription"),
            ],
            lheo_coded=False,  # LHEO keeps one untyped période d'inscription
        ),
        _table(
            "taux-tva",
            "Taux de TVA",
            SOFI,
            [("0", "0 %"), ("5.5", "5,5 %"), ("10", "10 %"), ("20", "20 %")],
            show_code=False,
            lheo_coded=False,
        ),
    ]
}


def table_of(fld: Field) -> CodeTable:
    """The code table of a coded field."""
    if fld.table is None:
        raise KeyError(f"{fld.key} has no code table")
    return TABLES[fld.table]
