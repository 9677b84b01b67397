"""The Région's référentiel: lots, organismes, sites and contacts, as models and queries.

Tables arrive as plain rows (the adapters in ``sofi_bulk.excel.referentiel`` read them
from files); ``referentiel_from_tables`` checks and builds them, reporting every problem
in French with the file, sheet, row and column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sofi_bulk.core.cells import column_letter
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.text import clean, fold
from sofi_bulk.core.values import digits_code, siret_is_valid


class ReferentielError(UserError):
    pass


class Lot(BaseModel):
    model_config = ConfigDict(frozen=True)
    numero: str
    programme: str
    intitule: str
    id_action_cr: str
    of_mandataire_cr: str
    siret_mandataire: str
    places: int | None = None
    annee: int | None = None
    siret_formateurs: tuple[str, ...] = ()

    @property
    def sirets(self) -> tuple[str, ...]:
        """Organisations allowed to deliver the lot: the mandataire first, then the formateurs."""
        return (
            self.siret_mandataire,
            *[s for s in self.siret_formateurs if s != self.siret_mandataire],
        )


Siret = Annotated[str, Field(pattern=r"^\d{14}$")]


class Organisme(BaseModel):
    model_config = ConfigDict(frozen=True)
    siret: Siret
    nom: str
    raison_sociale: str
    numero_activite: str = ""
    adresse: str = ""
    code_postal: str = ""
    ville: str = ""
    telephone: str = ""
    email: str = ""

    @property
    def display(self) -> str:
        return f"{self.siret} - {self.nom}"


class Site(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    libelle: str
    siret: Siret
    adresse: str = ""
    code_postal: str = ""
    ville: str = ""

    @property
    def display(self) -> str:
        return f"{self.code} - {self.libelle}"


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    nom: str
    prenom: str = ""
    email: str = ""
    telephone: str = ""
    siret: Siret

    @property
    def display(self) -> str:
        return f"{self.id} - {self.prenom} {self.nom}".replace("  ", " ").strip()


@dataclass(frozen=True)
class Column:
    name: str  # header in the file
    attr: str  # model attribute
    required: bool = True
    kind: str = "text"  # text | siret | int | list | digits5 | phone


TABLES: dict[str, tuple[type[BaseModel], list[Column]]] = {
    "lots": (
        Lot,
        [
            Column("numero_lot", "numero"),
            Column("programme", "programme"),
            Column("intitule", "intitule"),
            Column("id_action_cr", "id_action_cr"),
            Column("of_mandataire_cr", "of_mandataire_cr"),
            Column("siret_mandataire", "siret_mandataire", kind="siret"),
            Column("places_commandees", "places", required=False, kind="int"),
            Column("annee_campagne", "annee", required=False, kind="int"),
            Column("siret_formateurs", "siret_formateurs", required=False, kind="list"),
        ],
    ),
    "organismes": (
        Organisme,
        [
            Column("siret", "siret", kind="siret"),
            Column("nom", "nom"),
            Column("raison_sociale", "raison_sociale"),
            Column("numero_activite", "numero_activite", required=False, kind="nda"),
            Column("adresse", "adresse", required=False),
            Column("code_postal", "code_postal", False, "digits5"),
            Column("ville", "ville", required=False),
            Column("telephone", "telephone", False, "phone"),
            Column("email", "email", required=False),
        ],
    ),
    "sites": (
        Site,
        [
            Column("code_site", "code"),
            Column("libelle", "libelle"),
            Column("siret", "siret", kind="siret"),
            Column("adresse", "adresse", required=False),
            Column("code_postal", "code_postal", False, "digits5"),
            Column("ville", "ville", required=False),
        ],
    ),
    "contacts": (
        Contact,
        [
            Column("id_contact", "id"),
            Column("nom", "nom"),
            Column("prenom", "prenom", required=False),
            Column("email", "email", required=False),
            Column("telephone", "telephone", False, "phone"),
            Column("siret", "siret", kind="siret"),
        ],
    ),
}


@dataclass
class Referentiel:
    lots: dict[str, Lot]
    organismes: dict[str, Organisme]
    sites: dict[str, Site]
    contacts: dict[str, Contact]
    source: str = ""

    # --- queries used by the template and the validator ---------------------------
    def lots_for(
        self, programme: str, siret: str | None = None, numbers: list[str] | None = None
    ) -> list[Lot]:
        lots = [lot for lot in self.lots.values() if fold(lot.programme) == fold(programme)]
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
        )

    # --- serialisation (embedded in templates) -----------------------------------
    def to_json(self) -> str:
        data = {
            name: [obj.model_dump(mode="json") for obj in getattr(self, name).values()]
            for name in TABLES
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()[:16]

    @classmethod
    def from_json(cls, text: str, source: str = "") -> Referentiel:
        data = json.loads(text)
        return cls(
            lots={d["numero"]: Lot(**d) for d in data["lots"]},
            organismes={d["siret"]: Organisme(**d) for d in data["organismes"]},
            sites={d["code"]: Site(**d) for d in data["sites"]},
            contacts={d["id"]: Contact(**d) for d in data["contacts"]},
            source=source,
        )


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


Rows = list[list[Any]]


def referentiel_from_tables(src: Path, tables: dict[str, tuple[str, Rows]]) -> Referentiel:
    """Check the tables' rows and build the référentiel; ``src`` names it in messages."""
    built: dict[str, dict[str, BaseModel]] = {}
    for table, (model, columns) in TABLES.items():
        where, rows = tables[table]
        prefix = f"Référentiel {src.name}, {where}"
        rows = [r for r in rows]
        header_idx = next((i for i, r in enumerate(rows) if any(_text(v) for v in r)), None)
        if header_idx is None:
            raise ReferentielError(f"{prefix} : vide (aucun en-tête).")
        header = [fold(_text(v)) for v in rows[header_idx]]
        positions: dict[str, int] = {}
        for col in columns:
            if col.name in header:
                positions[col.attr] = header.index(col.name)
            elif col.required:
                raise ReferentielError(
                    f"{prefix} : colonne « {col.name} » absente (ligne {header_idx + 1})."
                )
        items: dict[str, BaseModel] = {}
        for i, row in enumerate(rows[header_idx + 1 :], start=header_idx + 2):
            if not any(_text(v) for v in row):
                continue
            values: dict[str, Any] = {}
            for col in columns:
                if col.attr not in positions:
                    continue
                pos = positions[col.attr]
                raw = row[pos] if pos < len(row) else None
                cell = f"{prefix}, ligne {i}, colonne « {col.name} » ({column_letter(pos + 1)}{i})"
                value = _convert(raw, col, cell)
                if value in ("", None):
                    if col.required:
                        raise ReferentielError(f"{cell} : valeur obligatoire manquante.")
                    continue
                values[col.attr] = value
            obj = model(**values)
            key = getattr(obj, columns[0].attr)
            if key in items:
                raise ReferentielError(f"{prefix}, ligne {i} : « {key} » figure deux fois.")
            items[key] = obj
        if table == "lots" and not items:
            raise ReferentielError(f"{prefix} : aucun lot ; le référentiel est vide.")
        built[table] = items
    ref = Referentiel(source=str(src), **built)  # type: ignore[arg-type]
    _check_links(ref, src)
    return ref


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(str(value))


def _convert(raw: Any, col: Column, cell: str) -> Any:
    text = _text(raw)
    if not text:
        return ""
    if col.kind == "siret":
        siret = digits_code(raw, 14)
        if siret is None or not siret_is_valid(siret):
            raise ReferentielError(
                f"{cell} : SIRET « {text} » invalide (14 chiffres, clé de contrôle)."
            )
        return siret
    if col.kind == "list":
        out = []
        for part in text.replace(",", ";").split(";"):
            if part.strip():
                siret = digits_code(part.strip(), 14)
                if siret is None or not siret_is_valid(siret):
                    raise ReferentielError(f"{cell} : SIRET « {part.strip()} » invalide.")
                out.append(siret)
        return tuple(out)
    if col.kind == "int":
        try:
            number = float(text.replace(" ", "").replace(",", "."))
        except ValueError:
            raise ReferentielError(f"{cell} : nombre entier attendu, pas « {text} ».") from None
        if not number.is_integer() or number < 0:
            raise ReferentielError(f"{cell} : nombre entier positif attendu, pas « {text} ».")
        return int(number)
    if col.kind == "digits5":
        code = digits_code(raw, 5)
        if code is None:
            raise ReferentielError(f"{cell} : code postal « {text} » invalide (5 chiffres).")
        return code
    if col.kind == "phone":
        digits = "".join(c for c in text if c.isdigit())
        if len(digits) == 9 and not text.startswith("+"):
            return "0" + digits  # the leading zero lost by a spreadsheet
        return text
    if col.kind == "nda":
        nda = digits_code(raw, 11)
        if nda is None:
            raise ReferentielError(
                f"{cell} : numéro de déclaration d'activité « {text} » invalide (11 chiffres)."
            )
        return nda
    return text


def _check_links(ref: Referentiel, src: Path) -> None:
    for lot in ref.lots.values():
        for siret in lot.sirets:
            if siret not in ref.organismes:
                raise ReferentielError(
                    f"Référentiel {src.name}, feuille « lots », lot {lot.numero} : "
                    f"l'organisme {siret} est absent de la feuille « organismes »."
                )
