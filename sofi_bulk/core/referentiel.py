"""The Région's référentiel: lots, organismes, sites and contacts, as models and queries.

Tables arrive as plain rows (the adapters in ``sofi_bulk.excel.referentiel`` read them
from files); ``match_tables`` finds which sheet or file holds each table and
``referentiel_from_tables`` finds each header row (below title rows too), recognises the
columns by the labels declared in ``referentiel_columns``, checks and builds the tables.
Every problem is reported at once in French with the file, sheet, row and column; what is
not used (an unknown column, a column without header) is a warning, never dropped silently.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sofi_bulk.core.cells import column_letter
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.core.referentiel_columns import (
    HELP_SHEETS,
    REFERENTIEL_TABLES,
    Column,
    Table,
    header_key,
)
from sofi_bulk.core.text import clean, fold
from sofi_bulk.core.values import digits_code, siret_is_valid


class ReferentielError(UserError):
    """A référentiel that cannot be used: every problem found, one French line each."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, kw_only=True)
class Lot:
    numero: str
    programme: str
    intitule: str
    id_action_cr: str
    of_mandataire_cr: str
    siret_mandataire: str
    places: int | None = None
    annee: int | None = None
    siret_formateurs: tuple[str, ...] = ()

    def in_programme(self, programme: str) -> bool:
        """Whether the lot belongs to ``programme`` as the référentiel spells it (case, accents
        and spaces aside: the Région's extractions are not consistent)."""
        return fold(self.programme) == fold(programme)

    @property
    def sirets(self) -> tuple[str, ...]:
        """Organisations allowed to deliver the lot: the mandataire first, then the formateurs."""
        return (
            self.siret_mandataire,
            *[s for s in self.siret_formateurs if s != self.siret_mandataire],
        )


@dataclass(frozen=True, kw_only=True)
class Organisme:
    siret: str
    nom: str
    raison_sociale: str
    numero_activite: str = ""
    adresse: str = ""
    code_postal: str = ""
    ville: str = ""
    telephone: str = ""
    email: str = ""
    numero_organisme: str = ""

    @property
    def display(self) -> str:
        return f"{self.siret} - {self.nom}"


@dataclass(frozen=True, kw_only=True)
class Site:
    code: str
    libelle: str
    siret: str
    adresse: str = ""
    code_postal: str = ""
    ville: str = ""
    code_insee: str = ""
    latitude: str = ""
    longitude: str = ""

    @property
    def display(self) -> str:
        return f"{self.code} - {self.libelle}"

    @property
    def located(self) -> bool:
        """Whether the site has both coordinates (LHEO geolocalisation needs the pair)."""
        return bool(self.latitude and self.longitude)


@dataclass(frozen=True, kw_only=True)
class Contact:
    id: str
    nom: str
    prenom: str = ""
    email: str = ""
    telephone: str = ""
    siret: str

    @property
    def display(self) -> str:
        return f"{self.id} - {self.prenom} {self.nom}".replace("  ", " ").strip()


Item = Lot | Organisme | Site | Contact
# each table's class: its fields are the attributes of the table's columns (a test says so)
MODELS: dict[str, type[Item]] = {
    "lots": Lot,
    "organismes": Organisme,
    "sites": Site,
    "contacts": Contact,
}
TABLES: dict[str, tuple[type[Item], list[Column]]] = {
    name: (MODELS[name], list(table.columns)) for name, table in REFERENTIEL_TABLES.items()
}


@dataclass
class Referentiel:
    lots: dict[str, Lot]
    organismes: dict[str, Organisme]
    sites: dict[str, Site]
    contacts: dict[str, Contact]
    source: str = ""
    # what reading the file taught, for the user: not part of the data (nor its fingerprint)
    warnings: list[str] = field(default_factory=list, compare=False)
    readings: dict[str, TableReading] = field(default_factory=dict, compare=False)
    # its lots are the bundled example's, fictitious, of the campaign the procedure's text
    # names: never one that is over. Not part of the data (nor its fingerprint): set by the
    # front door (``api``), which compares the lots with the bundled file's
    example: bool = field(default=False, compare=False)

    # --- queries used by the template and the validator ---------------------------
    def lots_for(
        self, programme: str, siret: str | None = None, numbers: list[str] | None = None
    ) -> list[Lot]:
        lots = [lot for lot in self.lots.values() if lot.in_programme(programme)]
        if siret:
            lots = [lot for lot in lots if siret in lot.sirets]
        if numbers:
            wanted = {fold(n) for n in numbers}
            lots = [lot for lot in lots if fold(lot.numero) in wanted]
        return lots

    def find_lot(self, numero: str) -> Lot | None:
        for lot in self.lots.values():
            if fold(lot.numero) == fold(numero):
                return lot
        return None

    def find_site(self, text: str) -> Site | None:
        """A site from its code, its "code - libellé" display or its libellé alone."""
        return _lookup(self.sites, text, lambda s: (s.libelle, s.display))

    def find_organisme(self, text: str) -> Organisme | None:
        """An organisme from its SIRET (spaces allowed), "SIRET - nom", its name or its raison
        sociale."""
        return _lookup(
            self.organismes,
            text,
            lambda o: (o.nom, o.raison_sociale, o.display),
            normalise=lambda key: "".join(key.split()),
        )

    def find_contact(self, text: str) -> Contact | None:
        """A contact from its id, its display, or "Prénom Nom" / "Nom Prénom"."""
        return _lookup(
            self.contacts, text, lambda c: (c.display, f"{c.prenom} {c.nom}", f"{c.nom} {c.prenom}")
        )

    def sites_for(self, lot: Lot) -> list[Site]:
        return [s for siret in lot.sirets for s in self.sites.values() if s.siret == siret]

    def contacts_for(self, lot: Lot) -> list[Contact]:
        return [c for siret in lot.sirets for c in self.contacts.values() if c.siret == siret]

    def subset(self, lots: list[Lot]) -> Referentiel:
        """The part of the référentiel a template for these lots needs (embedded in it)."""
        sirets = {s for lot in lots for s in lot.sirets}
        return Referentiel(
            lots={lot.numero: lot for lot in lots},
            organismes={k: o for k, o in self.organismes.items() if k in sirets},
            sites={k: s for k, s in self.sites.items() if s.siret in sirets},
            contacts={k: c for k, c in self.contacts.items() if c.siret in sirets},
            source=self.source,
            example=self.example,
        )

    # --- serialisation (embedded in templates) -----------------------------------
    def to_json(self) -> str:
        data = {name: [as_record(obj) for obj in getattr(self, name).values()] for name in TABLES}
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()[:16]

    @classmethod
    def from_json(cls, text: str, source: str = "") -> Referentiel:
        """The référentiel ``to_json`` wrote; ValueError when a value is not of its column's
        kind (the copy comes from a file: its fingerprint proves no more than it matches)."""
        data = json.loads(text)
        tables = {name: _from_json_table(name, data[name]) for name in TABLES}
        ref = cls(**tables, source=source)  # type: ignore[arg-type]
        for lot in ref.lots.values():  # as a référentiel read from a file guarantees
            if not all(siret in ref.organismes for siret in lot.sirets):
                raise ValueError(f"lot {lot.numero} : organisme absent")
        return ref


def as_record(obj: Item) -> dict[str, Any]:
    """An object's fields as JSON data (a list of SIRETs as a list); the columns added after
    référentiels were embedded in workbooks only when filled, so that an older copy keeps
    its fingerprint (and a submission its bytes)."""
    return {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in asdict(obj).items()
        if v != "" or k not in _OMITTED_WHEN_EMPTY
    }


_OMITTED_WHEN_EMPTY = frozenset(
    col.attr for table in REFERENTIEL_TABLES.values() for col in table.columns if col.omit_empty
)


def geography_gaps(ref: Referentiel) -> list[tuple[str, list[Site]]]:
    """The sites without what LHEO's readers place them by: the commune's INSEE code, the
    coordinates (both); each with the column(s) to fill."""
    gaps = [
        ("« Code INSEE commune »", [s for s in ref.sites.values() if not s.code_insee]),
        ("« Latitude » et « Longitude »", [s for s in ref.sites.values() if not s.located]),
    ]
    return [(columns, sites) for columns, sites in gaps if sites]


def reference_head(text: str) -> str:
    """The code of a "code - libellé" display, dashes as spreadsheets autocorrect them."""
    return text.replace("\u2013", "-").replace("\u2014", "-").partition(" - ")[0].strip()


def _lookup(
    items: dict[str, Any],
    text: str,
    names: Callable[[Any], tuple[str, ...]],
    normalise: Callable[[str], str] = str.strip,
) -> Any:
    """Find a référentiel object as users type it: its key, a display, or one of its names."""
    for key in (text, reference_head(text)):
        if normalise(key) in items:
            return items[normalise(key)]
    folded = fold(text)
    hits = [obj for obj in items.values() if folded in {fold(name) for name in names(obj)}]
    return hits[0] if len(hits) == 1 else None


# --- reading tables of rows --------------------------------------------------------------------
Rows = list[list[Any]]
HEADER_SCAN = 30  # rows searched for the header row (title rows may sit above it)
MAX_PROBLEMS = 200
_SCIENTIFIC = re.compile(r"^([0-9]+)(?:[.,]([0-9]+))?[eE]\+?([0-9]{1,2})$")
_LIST_SEPARATOR = re.compile(r"[;|\n/]|,(?![0-9]+[eE])")  # a comma before E+13 is decimal


@dataclass
class TableReading:
    """How a table was read: where, its header row, the column each header became."""

    table: str
    where: str  # « feuille « Lots » » or « fichier « lots.csv » »
    header_row: int = 0  # 1-based; 0 when not found
    columns: list[tuple[str, str, Column]] = field(default_factory=list)  # letter, header, column
    rows: int = 0  # data rows read


@dataclass
class TableMatch:
    """Which sheet (or CSV file) holds each table; the others are ignored, with a warning."""

    found: dict[str, str]
    problems: list[str]
    warnings: list[str]


def match_tables(src: str, names: list[str], kind: str = "feuille") -> TableMatch:
    """Find each table among sheet names (``kind`` « feuille ») or CSV file names
    (« fichier »): by its name or label (« Lots », « Sites de formation »), else by a name
    that contains it (« extraction_lots_2025.csv »)."""
    what = "feuilles" if kind == "feuille" else "fichiers CSV"
    keys = {n: header_key(n[:-4] if n.lower().endswith(".csv") else n).split() for n in names}
    hits: dict[str, list[str]] = {t: [] for t in REFERENTIEL_TABLES}
    for n, words in keys.items():  # a name that is the table's name
        for name, table in REFERENTIEL_TABLES.items():
            if " ".join(words) in table.keys:
                hits[name].append(n)
    exact = {n for found in hits.values() for n in found}
    named = {name for name, found in hits.items() if found}
    shadowed: dict[str, str] = {}  # a name that contains a table already found by name
    for n, words in keys.items():  # else a name that contains it, the earliest one first
        if n in exact:
            continue
        places = [
            (i, name)
            for name, table in REFERENTIEL_TABLES.items()
            for key in table.keys
            for i in range(len(words))
            if words[i : i + len(key.split())] == key.split()
        ]
        free = [(i, name) for i, name in places if name not in named]
        if free:
            hits[min(free)[1]].append(n)
        elif places:
            shadowed[n] = min(places)[1]
    found: dict[str, str] = {}
    problems: list[str] = []
    listed = ", ".join(f"« {n} »" for n in names) or "aucun"
    if not any(hits.values()) and SESSIONS_SHEET in names:  # given the entry workbook instead
        return TableMatch(
            found,
            [
                f"Référentiel {src} : c'est un classeur de saisie (feuille « {SESSIONS_SHEET} »), "
                "pas un référentiel : donnez l'extraction de la Région (lots, organismes, sites, "
                "contacts), ou sofi-bulk referentiel modele pour en écrire un vierge."
            ],
            [],
        )
    for name, table in REFERENTIEL_TABLES.items():
        if len(hits[name]) == 1:
            found[name] = hits[name][0]
        elif hits[name]:
            shown = ", ".join(f"« {n} »" for n in hits[name])
            problems.append(
                f"Référentiel {src} : plusieurs {what} pour la table « {name} » ({shown}) ; "
                "gardez-en un seul, ou renommez les autres."
            )
        else:
            expected = (
                f"le fichier {name}.csv" if kind == "fichier" else f"la feuille « {table.label} »"
            )
            problems.append(
                f"Référentiel {src} : table « {name} » introuvable ({what} "
                f"{'trouvées' if kind == 'feuille' else 'trouvés'} : "
                f"{listed}). Nommez {expected} (ou d'un nom qui contient « {name} »)."
            )
    used = {n for found_names in hits.values() for n in found_names}
    used |= {n for n in names if header_key(n) in {header_key(h) for h in HELP_SHEETS}}
    ignored = "ignorée" if kind == "feuille" else "ignoré"
    warnings = [
        f"Référentiel {src} : {kind} « {n} » {ignored} "
        + (
            f"(la table « {shadowed[n]} » est lue dans « {hits[shadowed[n]][0]} »)."
            if n in shadowed
            else "(ni lots, ni organismes, ni sites, ni contacts)."
        )
        for n in names
        if n not in used
    ]
    return TableMatch(found, problems, warnings)


def referentiel_from_tables(
    src: Path,
    tables: dict[str, tuple[str, Rows]],
    *,
    problems: list[str] | None = None,
    warnings: list[str] | None = None,
) -> Referentiel:
    """Check the tables' rows and build the référentiel; ``src`` names it in messages.

    ``tables`` maps a table name to (where it was read, its rows). Every problem found is
    reported at once (``ReferentielError.problems``), each naming the file, sheet, row and
    column; what is read but not used (unknown columns, example rows) becomes a warning.
    """
    reader = _Reader(src, list(problems or []), list(warnings or []))
    not_one = any("pas un référentiel" in p for p in reader.problems)  # said once, enough
    for name in TABLES:
        if (
            name not in tables
            and not not_one
            and not any(f"table « {name} »" in p for p in reader.problems)
        ):
            reader.problems.append(f"Référentiel {src.name} : table « {name} » absente.")
    built = {name: reader.table(name, *tables[name]) for name in TABLES if name in tables}
    if reader.problems:
        raise ReferentielError(reader.problems[:MAX_PROBLEMS])
    ref = Referentiel(
        source=str(src),
        warnings=reader.warnings,
        readings=reader.readings,
        **built,  # type: ignore[arg-type]
    )
    reader.check_links(ref)
    if reader.problems:
        raise ReferentielError(reader.problems[:MAX_PROBLEMS])
    return ref


class _Reader:
    """Reads the tables one by one, collecting every problem and warning, and where each
    object was read (for the messages about links between tables)."""

    def __init__(self, src: Path, problems: list[str], warnings: list[str]) -> None:
        self.src = src
        self.problems = problems
        self.warnings = warnings
        self.readings: dict[str, TableReading] = {}
        self.places: dict[tuple[str, str], int] = {}  # (table, key) -> row of the object

    def prefix(self, where: str) -> str:
        return f"Référentiel {self.src.name}, {where}"

    def table(self, name: str, where: str, rows: Rows) -> dict[str, Item]:
        spec = REFERENTIEL_TABLES[name]
        reading = TableReading(name, where)
        self.readings[name] = reading
        prefix = self.prefix(where)
        if not any(_text(v) for r in rows for v in r):
            self.problems.append(f"{prefix} : vide (aucun en-tête, aucune ligne).")
            return {}
        found = _find_header(rows, spec)
        if found is None:
            labels = ", ".join(f"« {c.title} »" for c in spec.columns if c.required)
            self.problems.append(
                f"{prefix} : ligne d'en-têtes introuvable dans les {HEADER_SCAN} premières "
                f"lignes (aucun en-tête reconnu). Écrivez les en-têtes attendus : {labels} "
                "(le référentiel vierge de « sofi-bulk referentiel modele » les donne tous)."
            )
            return {}
        index, matched = found
        reading.header_row = index + 1
        header = rows[index]
        positions: dict[str, int] = {}
        unknown: list[str] = []
        for c, value in enumerate(header):
            text = _text(value)
            if not text:
                continue
            letter = column_letter(c + 1)
            col = matched.get(c)
            if col is None:
                unknown.append(f"« {text} » ({letter})")
            elif col.attr in positions:
                first = positions[col.attr]
                self.warnings.append(
                    f"{prefix}, ligne {index + 1} : « {text} » ({letter}) désigne la même "
                    f"colonne que « {_text(header[first])} » ({column_letter(first + 1)}) ; "
                    "seule la première est lue."
                )
            else:
                positions[col.attr] = c
                reading.columns.append((letter, text, col))
        if unknown:
            many = len(unknown) > 1
            self.warnings.append(
                f"{prefix}, ligne {index + 1} : "
                + (
                    "colonnes non reconnues, donc ignorées : "
                    if many
                    else "colonne non reconnue, donc ignorée : "
                )
                + ", ".join(unknown)
                + (
                    ". Si elles doivent être lues, donnez-leur"
                    if many
                    else ". Si elle doit être lue, donnez-lui"
                )
                + " un en-tête attendu (voir sofi-bulk referentiel modele)."
            )
        data = rows[index + 1 :]
        headless = sorted(
            {
                c
                for r in data
                for c, v in enumerate(r)
                if _text(v) and (c >= len(header) or not _text(header[c]))
            }
        )
        if headless:
            letters = ", ".join(column_letter(c + 1) for c in headless)
            many = len(headless) > 1
            self.warnings.append(
                f"{prefix} : "
                + (
                    f"colonnes {letters} remplies mais sans en-tête (ligne {index + 1}), donc "
                    "ignorées. Si elles doivent être lues, donnez-leur"
                    if many
                    else f"colonne {letters} remplie mais sans en-tête (ligne {index + 1}), donc "
                    "ignorée. Si elle doit être lue, donnez-lui"
                )
                + " un en-tête attendu."
            )
        missing = [c for c in spec.columns if c.required and c.attr not in positions]
        for col in missing:
            accepted = ", ".join(col.headers)
            self.problems.append(
                f"{prefix}, ligne {index + 1} (en-têtes) : colonne obligatoire « {col.title} » "
                f"absente. Ajoutez-la, ou renommez l'en-tête de la colonne qui la contient ; "
                f"en-têtes acceptés : {accepted}."
            )
        if missing:
            return {}
        return self.objects(name, prefix, reading, positions, header, data, index + 2)

    def objects(
        self,
        name: str,
        prefix: str,
        reading: TableReading,
        positions: dict[str, int],
        header: list[Any],
        data: Rows,
        first_row: int,
    ) -> dict[str, Item]:
        spec = REFERENTIEL_TABLES[name]
        key_attr = spec.columns[0].attr
        items: dict[str, Item] = {}
        examples: list[int] = []
        for i, row in enumerate(data, start=first_row):
            if not any(_text(v) for v in row):
                continue
            if _is_example(spec, positions, row):
                examples.append(i)
                continue
            values: dict[str, Any] = {}
            ok = True
            for col in spec.columns:
                if col.attr not in positions:
                    continue
                pos = positions[col.attr]
                raw = row[pos] if pos < len(row) else None
                cell = (
                    f"{prefix}, ligne {i}, colonne « {_text(header[pos])} » "
                    f"({column_letter(pos + 1)}{i})"
                )
                try:
                    value = _convert(raw, col)
                except ValueError as exc:
                    self.problems.append(f"{cell} : {exc}")
                    ok = False
                    continue
                if value in ("", None, ()):
                    if col.required:
                        self.problems.append(
                            f"{cell} : valeur obligatoire manquante ; remplissez-la ou "
                            "supprimez la ligne."
                        )
                        ok = False
                    continue
                values[col.attr] = value
            if not ok:
                continue
            obj = MODELS[name](**values)
            key = getattr(obj, key_attr)
            if key in items:
                first = self.places[(name, key)]
                self.problems.append(
                    f"{prefix}, ligne {i} : « {key} » figure deux fois (déjà ligne {first}) ; "
                    "gardez une seule ligne par "
                    f"{'lot' if name == 'lots' else spec.columns[0].title}."
                )
                continue
            items[key] = obj
            self.places[(name, key)] = i
            reading.rows += 1
        if examples:
            rows_text = ", ".join(str(r) for r in examples)
            self.warnings.append(
                f"{prefix}, ligne{'s' if len(examples) > 1 else ''} {rows_text} : ligne "
                "d'exemple du référentiel vierge, ignorée ; supprimez-la."
            )
        if name == "lots" and not items and not self.problems:
            only = " (seule la ligne d'exemple, ignorée, s'y trouve)" if examples else ""
            self.problems.append(f"{prefix} : aucun lot ; le référentiel est vide{only}.")
        return items

    def check_links(self, ref: Referentiel) -> None:
        """Every SIRET of a lot is an organisme; sites and contacts of no lot are said."""
        reading = self.readings.get("lots")
        for lot in ref.lots.values():
            for attr, sirets in (
                ("siret_mandataire", [lot.siret_mandataire]),
                ("siret_formateurs", list(lot.siret_formateurs)),
            ):
                for siret in sirets:
                    if siret in ref.organismes:
                        continue
                    row = self.places.get(("lots", lot.numero), 0)
                    where = next(
                        (
                            f", colonne « {h} » ({letter}{row})"
                            for letter, h, c in (reading.columns if reading else [])
                            if c.attr == attr
                        ),
                        "",
                    )
                    organismes = self.readings.get("organismes")
                    self.problems.append(
                        f"{self.prefix(reading.where if reading else 'lots')}, ligne {row}"
                        f"{where} : lot {lot.numero} : l'organisme {siret} est absent de la "
                        f"{organismes.where if organismes else 'table « organismes »'} ; "
                        "ajoutez-y une ligne pour ce SIRET."
                    )
        used = {s for lot in ref.lots.values() for s in lot.sirets}
        for table, objects in (("sites", ref.sites), ("contacts", ref.contacts)):
            alone = [
                self.places.get((table, k), 0)
                for k, obj in objects.items()
                if getattr(obj, "siret", "") not in used
            ]
            if alone and table in self.readings:
                word = "site" if table == "sites" else "contact"
                self.warnings.append(
                    f"{self.prefix(self.readings[table].where)} : {len(alone)} {word}"
                    f"{'s' if len(alone) > 1 else ''} d'aucun lot (leur SIRET n'est ni "
                    "mandataire ni formateur d'un lot), jamais proposé"
                    f"{'s' if len(alone) > 1 else ''} : ligne{'s' if len(alone) > 1 else ''} "
                    f"{', '.join(str(r) for r in sorted(alone)[:20])}"
                    f"{' …' if len(alone) > 20 else ''}."
                )


def _find_header(rows: Rows, spec: Table) -> tuple[int, dict[int, Column]] | None:
    """The row (0-based) whose cells name the most columns of the table, and which column
    each of its cells names; None when no row names any."""
    index = _header_index(spec.name)
    best: tuple[int, dict[int, Column]] | None = None
    best_score = 0
    for i, row in enumerate(rows[:HEADER_SCAN]):
        matched = {c: col for c, v in enumerate(row) if (col := index.get(header_key(_text(v))))}
        score = len({col.attr for col in matched.values()})
        if score > best_score:
            best, best_score = (i, matched), score
    return best


_INDEXES: dict[str, dict[str, Column]] = {}


def _header_index(table: str) -> dict[str, Column]:
    if table not in _INDEXES:
        _INDEXES[table] = {
            header_key(h): col for col in REFERENTIEL_TABLES[table].columns for h in col.headers
        }
    return _INDEXES[table]


def _is_example(spec: Table, positions: dict[str, int], row: list[Any]) -> bool:
    """The example row of the blank référentiel, left in place."""
    return all(
        _text(row[positions[c.attr]] if positions[c.attr] < len(row) else None) == _text(c.example)
        for c in spec.columns
        if c.attr in positions
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(str(value))


def _digits(raw: Any, length: int, what: str) -> str:
    """A numeric code of ``length`` digits; a scientific notation is restored when it carries
    every digit, and refused with the reason otherwise."""
    text = _text(raw)
    code = digits_code(raw, length)
    if code is not None:
        return code
    sci = _SCIENTIFIC.match(text.replace(" ", "").replace("\u00a0", ""))
    if sci:
        whole, decimals, exponent = sci.group(1), sci.group(2) or "", int(sci.group(3))
        digits = (whole + decimals).lstrip("0")
        if len(decimals) <= exponent:
            number = (whole + decimals + "0" * (exponent - len(decimals))).lstrip("0")
            if len(number) == length and len(digits) == length:
                return number
        if len(whole.lstrip("0")) + exponent == length:
            raise ValueError(
                f"{what} « {text} » écrit en notation scientifique par un tableur, qui n'en a "
                f"gardé que {len(digits)} chiffres sur {length} : les autres sont perdus. Dans "
                "le fichier d'origine, mettez la colonne au format Texte et ressaisissez (ou "
                "réexportez) ces numéros."
            )
    raise ValueError(f"{what} « {text} » invalide ({length} chiffres attendus).")


def _siret(raw: Any) -> str:
    siret = _digits(raw, 14, "SIRET")
    if not siret_is_valid(siret):
        raise ValueError(
            f"SIRET « {_text(raw)} » invalide : la clé de contrôle ne correspond pas "
            "(chiffre mal recopié ?)."
        )
    return siret


def _convert(raw: Any, col: Column) -> Any:
    """A cell's value for the model; ValueError with the French reason when it is wrong."""
    text = _text(raw)
    if not text:
        return ""
    if col.kind == "siret":
        return _siret(raw)
    if col.kind == "siret-list":
        return tuple(_siret(part.strip()) for part in _LIST_SEPARATOR.split(text) if part.strip())
    if col.kind == "int":
        try:
            number = float(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except ValueError:
            raise ValueError(f"nombre entier attendu, pas « {text} ».") from None
        if not number.is_integer() or number < 0:
            raise ValueError(f"nombre entier positif attendu, pas « {text} ».")
        return int(number)
    if col.kind == "digits5":
        if isinstance(raw, str) and len(text) == 4 and text.isdigit():
            return "0" + text  # a CSV written from a number cell lost the leading zero
        code = digits_code(raw, 5)
        if code is None:
            raise ValueError(f"code postal « {text} » invalide (5 chiffres attendus).")
        return code
    if col.kind == "phone":
        digits = "".join(c for c in text if c.isdigit())
        if len(digits) == 9 and not text.startswith("+"):
            return "0" + digits  # the leading zero lost by a spreadsheet
        return text
    if col.kind == "nda":
        return _digits(raw, 11, "numéro de déclaration d'activité")
    if col.kind == "insee":
        return _insee(raw, text)
    if col.kind in _COORDINATE_LIMITS:
        return _coordinate(text, col.kind)
    return text


_INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_COORDINATE_LIMITS = {"latitude": 90, "longitude": 180}


def _insee(raw: Any, text: str) -> str:
    """A commune's INSEE code: 5 digits, or 2A/2B and 3 digits for Corsica."""
    code = text.upper().replace(" ", "")
    if isinstance(raw, int | float) or (len(code) == 4 and code.isdigit()):
        code = code.zfill(5)  # a number cell, or a CSV written from one, lost the leading zero
    if not _INSEE.match(code):
        raise ValueError(
            f"code INSEE de commune « {text} » invalide (5 caractères : 5 chiffres, ou 2A ou 2B "
            "suivis de 3 chiffres pour la Corse)."
        )
    return code


def _coordinate(text: str, kind: str) -> str:
    """A latitude or longitude in decimal degrees (WGS 84), written with a dot."""
    limit = _COORDINATE_LIMITS[kind]
    written = text.replace(" ", "").replace("\u00a0", "").replace(",", ".").lstrip("+")
    try:
        number = float(written)
    except ValueError:
        number = float("nan")
    if not -limit <= number <= limit:  # a NaN fails too
        raise ValueError(
            f"{kind} « {text} » invalide : un nombre de degrés décimaux entre -{limit} et "
            f"{limit} est attendu (ex. {'47.2184' if kind == 'latitude' else '-1.5536'})."
        )
    if "e" in written.lower():  # 4.72184E+01, as a spreadsheet may write it
        return format(number, ".6f").rstrip("0").rstrip(".")
    return written


def _from_json_table(name: str, items: list[Any]) -> dict[str, Item]:
    model, columns = TABLES[name]
    if not isinstance(items, list):
        raise ValueError(f"{name} : liste attendue")
    table: dict[str, Item] = {}
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"{name} : objet attendu")
        values = dict(item)
        for col in columns:
            if col.attr in values:
                values[col.attr] = _json_value(values[col.attr], col)
        obj = model(**values)
        table[getattr(obj, columns[0].attr)] = obj
    return table


def _json_value(value: Any, col: Column) -> Any:
    """A value of the embedded copy, as its column's kind allows it (ValueError otherwise)."""
    if col.kind == "int":
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
    elif col.kind == "siret-list":
        ok = isinstance(value, list) and all(_is_siret(v) for v in value)
        value = tuple(value) if ok else value
    elif col.kind == "siret":
        ok = _is_siret(value)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ValueError(f"{col.attr} : valeur inattendue")
    return value


def _is_siret(value: Any) -> bool:
    return isinstance(value, str) and siret_is_valid(value)  # as a file's reader (_siret)
