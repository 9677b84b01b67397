"""Take an offer back: read the source, move it to the next campaign when asked, write its
rows into the current template, check them with the tool's one check and mark the cells as
``validate`` marks them, and say what was taken and what was not (a « Reprise » sheet and
the report's lines for the faces).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import BY_KEY, INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET
from sofi_bulk.core.identity import DESACTIVATION, operation_of
from sofi_bulk.core.layout import SERVICE
from sofi_bulk.core.lots import select_lots
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.records import Record, ValidationResult
from sofi_bulk.core.referentiel import Lot, Referentiel
from sofi_bulk.core.report import code_counts
from sofi_bulk.core.resolve import SESSION_OF
from sofi_bulk.core.text import fold, fr_date, plural
from sofi_bulk.core.values import digits_code
from sofi_bulk.core.workbook import WorkbookInput
from sofi_bulk.distribution import service_address
from sofi_bulk.reprise.campaign import Moved, NextCampaign, next_campaign
from sofi_bulk.reprise.offer import LeftOut, Replaced, Section, TakenOffer
from sofi_bulk.reprise.rows import offer_sheets

MAX_SOURCE_BYTES = 200 * 1024 * 1024  # as a submission: far above a region's offer
KINDS_SAID = "un fichier LHEO 2.3 (.xml), une soumission JSON (.json) ou un classeur (.xlsx)"
# the check's refusal of a modification of a session ended on its date: a reprise for the same
# campaign leaves those sessions aside rather than write rows SOFI would refuse
ENDED = "modification-session-terminee"
ENDED_SHOWN = 10  # « Réf. session » named in the report; the count says the rest


@dataclass
class Ended:
    """The sessions a reprise for the same campaign left aside: the check refused them as
    modifications of a session ended on its date (``ENDED``), and their child rows."""

    day: dt.date  # the check's date
    refs: list[str]  # their « Réf. session » (or FAS code), in the source's order
    infos: int = 0
    periodes: int = 0


def source_kind(raw: bytes) -> str | None:
    """What a source holds, from its first bytes: ``xlsx`` (a zip), ``lheo`` (XML) or
    ``json``; None for anything else."""
    if raw[:4] == b"PK\x03\x04":
        return "xlsx"
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "lheo"
    if head.startswith((b"{", b"[")):
        return "json"
    return None


def read_offer(raw: bytes, name: str, profile: Profile) -> TakenOffer:
    """The offer a source holds, refused in one French line when it is none of the three."""
    if len(raw) > MAX_SOURCE_BYTES:
        raise UserError(
            f"{name} : fichier trop volumineux pour une offre ({len(raw) // 2**20} Mio ; "
            f"{MAX_SOURCE_BYTES // 2**20} Mio au plus)."
        )
    kind = source_kind(raw)
    if kind == "json":
        from sofi_bulk.reprise.submission import read_submission

        return read_submission(raw, name)
    if kind == "lheo":
        from sofi_bulk.reprise.lheo import read_lheo

        return read_lheo(raw, name, profile)
    if kind == "xlsx":
        from sofi_bulk.reprise.workbook import read_workbook_offer

        return read_workbook_offer(raw, name, profile)
    raise UserError(f"{name} : offre illisible ; --reprendre attend {KINDS_SAID}.")


@dataclass
class Reprise:
    """An offer taken back into a new workbook: what was read, moved, checked and written."""

    offer: TakenOffer
    result: ValidationResult
    profile: Profile
    lots: list[Lot]
    replaced: list[Replaced] = field(default_factory=list)
    moved: Moved | None = None
    ended: Ended | None = None
    taken_at: dt.datetime = field(default_factory=dt.datetime.now)
    _builder: Any = None

    @property
    def rows(self) -> dict[str, int]:
        """The rows prepared per sheet in the workbook written (as a template's)."""
        return self.builder().rows

    def builder(self) -> Any:
        """The workbook, built once: the rows in a fresh template, painted with the check's
        plan, and the « Reprise » sheet (its data cells written by ``save``)."""
        if self._builder is None:
            from sofi_bulk.core.plan import annotation_plan
            from sofi_bulk.excel.bulk import BulkCopy
            from sofi_bulk.excel.reprise_sheet import write_reprise_sheet

            copy = BulkCopy(self.result)
            plan = annotation_plan(self.result, copy.layout, checked_at=self.taken_at)
            copy.build(plan)
            write_reprise_sheet(copy.builder.book, self.title(), self.sections())
            self._builder = copy
        return self._builder.builder

    def save(self, target: Path | BinaryIO) -> None:
        from sofi_bulk.excel.bulk import save_bulk

        self.builder()
        save_bulk(self._builder, target)

    # -- what the report says (the « Reprise » sheet and the faces) --
    @property
    def inactive(self) -> int:
        return sum(1 for rec in self.result.sessions if operation_of(rec.values) == DESACTIVATION)

    def title(self) -> str:
        return (
            f"Reprise de {self.offer.name} ({self.offer.kind}) le {self.taken_at:%d/%m/%Y à %H:%M}"
        )

    def taken(self) -> str:
        result = self.result
        text = (
            f"{plural(len(result.sessions), 'session reprise', 'sessions reprises')}, "
            f"{plural(len(result.infos), 'information collective', 'informations collectives')}, "
            f"{plural(len(result.periodes), 'période')} d'inscription"
        )
        if self.inactive:
            text += f" ; {plural(self.inactive, 'session inactive', 'sessions inactives')}"
        return text + "."

    def left_aside(self) -> str | None:
        """The ended sessions a same-campaign reprise did not write, named (the first ones)."""
        ended = self.ended
        if ended is None:
            return None
        n = len(ended.refs)
        shown = ", ".join(ended.refs[:ENDED_SHOWN]) + (", …" if n > ENDED_SHOWN else "")
        text = (
            f"{plural(n, 'session terminée', 'sessions terminées')} au {fr_date(ended.day)} "
            f"{'laissée' if n == 1 else 'laissées'} de côté ({'elle' if n == 1 else 'elles'} "
            f"ne se {'modifie' if n == 1 else 'modifient'} plus dans SOFI) : {shown}"
        )
        children = []
        if ended.infos:
            children.append(
                plural(ended.infos, "information collective", "informations collectives")
            )
        if ended.periodes:
            children.append(f"{plural(ended.periodes, 'période')} d'inscription")
        if children:
            text += f" ; avec {'elle' if n == 1 else 'elles'}, {' et '.join(children)}"
        return text + "."

    def campaign(self) -> str | None:
        moved = self.moved
        if moved is None:
            return None
        years = ", ".join(str(y) for y in sorted(moved.years)) or "?"
        text = (
            f"Campagne {years} : {plural(moved.renewed, 'session reprise', 'sessions reprises')} "
            "comme nouvelles sessions des mêmes actions (codes F-A), places restantes remises "
            "au nombre de places, codes SOFI des informations collectives et des périodes "
            "retirés"
        )
        if not moved.dates:
            text += " ; dates laissées vides (à saisir)"
        elif moved.shifts:
            text += " ; dates " + ", ".join(
                _shift(n, d) for d, n in sorted(moved.shifts.items(), key=lambda s: abs(s[0]))
            )
        if moved.unmoved:
            text += (
                f" ; {plural(moved.unmoved, 'session')} sans date de début lisible : dates "
                "laissées telles quelles"
            )
        if moved.dropped_inactive:
            text += (
                f" ; {plural(moved.dropped_inactive, 'session inactive', 'sessions inactives')} "
                "non reprise(s)"
            )
        return text + "."

    def sections(self) -> list[Section]:
        """The report in sections (the « Reprise » sheet; the terminal says the same)."""
        notes = [self.taken()]
        for note in (self.left_aside(), self.campaign()):
            if note:
                notes.append(note)
        sections = [Section("Repris", notes)]
        result = self.result
        checked = Section(
            "À vérifier",
            [
                "Le contrôle a été fait sur les valeurs reprises : "
                f"{plural(len(result.errors), 'erreur')}, "
                f"{plural(len(result.warnings), 'avertissement')}. Les cellules en cause sont "
                "marquées comme par « sofi-bulk validate » (note, couleur, feuille Erreurs)."
            ],
        )
        if result.issues:
            checked.columns = ["Code", "Gravité", "Nombre", "Première cellule"]
            checked.rows = [
                [c.code, str(c.severity), c.count, c.first] for c in code_counts(result.issues)
            ]
        sections.append(checked)
        if self.replaced:
            sections.append(
                Section(
                    "Valeurs imposées par le programme, remplacées",
                    [],
                    ["Colonne", "Valeur de la source", "Valeur imposée", "Lignes"],
                    [[BY_KEY[r.key].header, r.old, r.new, r.count] for r in self.replaced],
                )
            )
        left = self.left()
        sections.append(
            Section(
                "Non repris (sans colonne dans le modèle)",
                []
                if left
                else ["Rien : tout ce que la source contenait a sa place dans le modèle."],
                ["Élément de la source", "Nombre", "Exemples"] if left else None,
                [[x.what, x.count, " | ".join(x.examples)] for x in left],
            )
        )
        return sections

    def left(self) -> list[LeftOut]:
        return sorted(self.offer.left.values(), key=lambda x: (-x.count, x.what))


def take_back(
    raw: bytes,
    name: str,
    profile: Profile,
    ref: Referentiel,
    *,
    lots: list[str] | None = None,
    siret: str | None = None,
    campaign: NextCampaign | None = None,
    offer: TakenOffer | None = None,
    today: dt.date,
    service: str | None = None,
) -> Reprise:
    """The offer of ``raw`` (named ``name``) taken back into a workbook of ``profile`` for the
    lots chosen (or the source's organisation's, or the programme's), its rows checked as on
    ``today``; ``service``: the address of the service handing the workbook out, whose page
    « Contrôler dans Excel » its Aide sheet names, as a template's."""
    offer = offer or read_offer(raw, name, profile)
    selected, chosen_siret = _lots(offer, profile, ref, lots, siret)
    moved = next_campaign(offer, campaign, profile, ref, selected) if campaign else None
    if not offer.sessions:
        said = " (toutes inactives)" if moved and moved.dropped_inactive else ""
        raise UserError(f"{name} : aucune session à reprendre{said}.")
    meta = {
        "programme": profile.id,
        "lots": ";".join(lot.numero for lot in selected),
        "siret": chosen_siret or "",
        "referentiel_source": Path(ref.source).name,
    }
    if service:
        meta[SERVICE] = service_address(service)  # as a template writes it
    from sofi_bulk.core.validate import validate_book

    def check() -> tuple[ValidationResult, list[Replaced]]:
        sheets, replaced = offer_sheets(offer, profile, ref)
        book = WorkbookInput(Path(name).stem + ".xlsx", sheets, dict(meta))
        return validate_book(book, profile, ref, today=today), replaced

    result, replaced = check()
    ended = None
    if campaign is None and any(issue.code == ENDED for issue in result.issues):
        ended = leave_ended(offer, result)
        if not offer.sessions:
            n = len(ended.refs)
            which = (
                "la session de l'offre est terminée"
                if n == 1
                else f"les {n} sessions de l'offre sont terminées"
            )
            raise UserError(
                f"{name} : aucune session à reprendre : {which} au {fr_date(today)} et ne se "
                f"{'modifie' if n == 1 else 'modifient'} plus dans SOFI. Pour préparer la "
                "campagne suivante, reprenez-la avec --campagne AAAA (sur le service web : "
                "« Préparer la campagne suivante »)."
            )
        result, replaced = check()  # the rows left, checked afresh
    return Reprise(offer, result, profile, selected, replaced, moved, ended)


def leave_ended(offer: TakenOffer, result: ValidationResult) -> Ended:
    """Take out of ``offer`` the sessions ``result`` refused as modifications of a session
    ended on its date (the rule's own verdict, never a date test of ours), and the
    informations collectives and périodes d'inscription the check linked to them."""
    rows = {issue.row for issue in result.issues if issue.code == ENDED}
    ended = [rec for rec in result.sessions if rec.row in rows]
    gone = {id(rec) for rec in ended}
    by_ref: dict[str, Record] = {}  # as the check links a child row: the reference's first row
    for rec in result.sessions:
        ref = rec.get("session_ref")
        if ref is not None:
            by_ref.setdefault(fold(str(ref)), rec)

    def place(sheet: str, rec: Record) -> int:
        """The index in the offer of the row ``rec`` was read from (one row each, in order)."""
        return rec.row - result.maps[sheet].header_row - 1

    out = Ended(
        result.today,
        [str(rec.get("session_ref") or rec.get("fas_code") or rec.row) for rec in ended],
    )
    drop = {place(SESSIONS_SHEET, rec) for rec in ended}
    offer.sessions = [values for i, values in enumerate(offer.sessions) if i not in drop]
    counts = {}
    for sheet, records, taken in (
        (INFOS_SHEET, result.infos, offer.infos),
        (PERIODES_SHEET, result.periodes, offer.periodes),
    ):
        key = SESSION_OF[sheet]
        drop = {
            place(sheet, rec)
            for rec in records
            if (ref := rec.get(key)) is not None and id(by_ref.get(fold(str(ref)))) in gone
        }
        taken[:] = [values for i, values in enumerate(taken) if i not in drop]
        counts[sheet] = len(drop)
    out.infos, out.periodes = counts[INFOS_SHEET], counts[PERIODES_SHEET]
    return out


def _lots(
    offer: TakenOffer,
    profile: Profile,
    ref: Referentiel,
    lots: list[str] | None,
    siret: str | None,
) -> tuple[list[Lot], str | None]:
    """The lots of the new workbook: those asked for, else the source's organisation's
    (when the référentiel knows it), else the programme's."""
    if siret:
        return select_lots(profile, ref, lots, siret), digits_code(siret, 14)
    own = offer.establishment
    if own and own in ref.organismes:
        try:
            return select_lots(profile, ref, lots, own), own
        except UserError:
            pass
    return select_lots(profile, ref, lots, None), None


def _shift(sessions: int, years: int) -> str:
    """« de 3 sessions décalées d'un an » (« dates … décalées »), as a reprise's summary says."""
    if years == 0:
        return f"de {plural(sessions, 'session')} inchangées"
    by = "d'un an" if abs(years) == 1 else f"de {abs(years)} ans"
    return f"de {plural(sessions, 'session')} décalées {by}" + (" en arrière" if years < 0 else "")
