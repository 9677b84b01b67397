"""The procedure's rules across cells, rows and sheets.

Each rule is a small function over parsed records; the parameters (campaign year,
minimum number of informations collectives, severities) come from the programme
profile and the référentiel, never from constants here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sofi_bulk.core.codes import table_of
from sofi_bulk.core.comparisons import CAMPAIGN, COMPARISONS, RHYTHM_HOURS, Comparison
from sofi_bulk.core.fields import BY_KEY, Kind
from sofi_bulk.core.identity import ACTION_KEYS, FORMATION_KEYS, INACTIVE, FasCode
from sofi_bulk.core.issues import make_issue
from sofi_bulk.core.lots import campaign_year
from sofi_bulk.core.records import Record, ValidationResult
from sofi_bulk.core.referentiel import Lot, Organisme, reference_head
from sofi_bulk.core.text import fold, fr_date, fr_money, fr_number, fr_time
from sofi_bulk.core.values import digits_code, siret_is_valid

ADDRESS = [("adresse", "l'adresse"), ("code_postal", "le code postal"), ("ville", "la ville")]


_MISSING: Any = object()
SITE_KEYS = ("delivery_site", "realisation_site", "site", "ic_site")
CONTACT_KEYS = ("pmr_contact", "prf_contact", "mobility_contact")
# each reference field: the référentiel attribute that replaces what was typed, and the codes
# of an unknown object and of one outside the row's lot
REFERENCES = [(key, "code", "site-inconnu", "site-hors-lot") for key in SITE_KEYS] + [
    (key, "id", "contact-inconnu", "contact-hors-lot") for key in CONTACT_KEYS
]
Outcome = tuple[str | None, Any, dict[str, Any]]  # issue code, replacement, issue parameters


class RuleChecker:
    def __init__(self, result: ValidationResult) -> None:
        self.result = result
        self.profile = result.profile
        self.ref = result.referentiel
        self.issues = result.issues
        self._objects: dict[str, dict[str, Any]] = {
            "sites": self.ref.sites,
            "organismes": self.ref.organismes,
        }
        self._lot_sirets: dict[str, frozenset[str]] = {}
        self._lots: dict[str, Lot | None] = {}  # typed lot -> référentiel lot (memo)
        self._programme_lots: dict[str, bool] = {}  # lot numero -> of this programme (memo)
        # (attribute, typed text, lot) -> outcome: references repeat on thousands of rows
        self._resolved: dict[tuple[str, Any, str | None], Outcome] = {}
        self._placeholders: dict[tuple[str, str], str | None] = {}  # (key, text) -> found
        self._organismes: dict[str, Organisme | None] = {}  # typed text -> organisme (memo)
        self._comparisons: dict[str, list[Comparison]] = {}  # sheet -> its comparisons
        self._warned: set[tuple[str, str]] = set()

    def add(self, code: str, rec: Record, key: str | None, **params: Any) -> None:
        cell = rec.cells.get(key) if key else None
        col = BY_KEY[key].header if key else ""
        self.issues.append(
            make_issue(code, rec.sheet, cell, row=rec.row, field=key, col=col, **params)
        )

    def usable(self, rec: Record, *keys: str) -> bool:
        """Every field has a value that parsed (rules skip what another issue already flags)."""
        values, bad = rec.values, rec.bad
        for k in keys:  # noqa: SIM110 - a loop: all() over a generator costs twice as much here
            if values.get(k) is None or k in bad:
                return False
        return True

    # --- sessions -------------------------------------------------------------------------
    def lot_of(self, rec: Record) -> Lot | None:
        numero = rec.get("lot")
        if numero is None:
            return None
        lot = self.find_lot(numero)
        if lot is None:
            self.add("lot-inconnu", rec, "lot", value=numero)
            rec.bad.add("lot")
            return None
        ours = self._programme_lots.get(lot.numero)
        if ours is None:
            ours = self._programme_lots[lot.numero] = lot.in_programme(
                self.profile.referentiel_programme
            )
        if not ours:
            self.add("lot-autre-programme", rec, "lot", value=numero, programme=lot.programme)
            rec.bad.add("lot")
            return None
        rec.values["lot"] = lot.numero
        return lot

    def find_lot(self, numero: str) -> Lot | None:
        """The référentiel's lot of a typed number, looked up once per distinct number."""
        lot = self._lots.get(numero, _MISSING)
        if lot is _MISSING:
            lot = self._lots[numero] = self.ref.find_lot(numero)
        return lot

    def year_of(self, lot: Lot | None) -> int:
        return campaign_year(self.profile, lot)

    def check_references(self, rec: Record, lot: Lot | None) -> None:
        """Replace what was typed in each site and contact cell by the référentiel's code;
        flag unknown ones and those of another lot (each distinct case looked at once)."""
        values, bad, resolved = rec.values, rec.bad, self._resolved
        numero = lot.numero if lot else None
        for key, attr, unknown, outside in REFERENCES:
            typed = values.get(key)
            if typed is None or key in bad:
                continue
            outcome = resolved.get((attr, typed, numero))
            if outcome is None:
                outcome = resolved[(attr, typed, numero)] = self.resolve(
                    attr, typed, lot, unknown, outside
                )
            code, value, params = outcome
            if value is not None:
                values[key] = value
            if code is not None:
                self.add(code, rec, key, **params)
                bad.add(key)

    def resolve(
        self, attr: str, typed: Any, lot: Lot | None, unknown: str, outside: str
    ) -> Outcome:
        """What a typed site or contact becomes: its code, or why it is refused."""
        find = self.ref.find_site if attr == "code" else self.ref.find_contact
        found = find(typed)
        if found is None:
            return unknown, None, {"value": typed}
        value = getattr(found, attr)
        if lot and found.siret not in self._sirets(lot):
            return outside, value, {"value": found.display, "lot": lot.numero}
        return None, value, {}

    def _sirets(self, lot: Lot) -> frozenset[str]:
        sirets = self._lot_sirets.get(lot.numero)
        if sirets is None:
            sirets = self._lot_sirets[lot.numero] = frozenset(lot.sirets)
        return sirets

    def check_complete(
        self, rec: Record, key: str, table: str, obj_key: str, what: list[tuple[str, str]]
    ) -> None:
        """Warn once per référentiel object that lacks what the LHEO export needs (each object
        is looked at once: the first row that uses it carries the warning)."""
        if (table, obj_key) in self._warned:
            return
        self._warned.add((table, obj_key))
        missing = [
            label for attr, label in what if not getattr(self._objects[table][obj_key], attr)
        ]
        if missing:
            self.add(
                "referentiel-incomplet",
                rec,
                key,
                what=", ".join(missing),
                table=table,
                ident=obj_key,
            )

    def check_session(self, rec: Record) -> None:
        lot = self.lot_of(rec)
        self.check_references(rec, lot)
        if rec.get("realisation_site") == rec.get("delivery_site"):
            rec.values.pop("realisation_site", None)  # the default says the same: one form
        for key in ("site", "delivery_site"):
            site = rec.get(key)
            if (
                site in self.ref.sites
                and key not in rec.bad
                and ("sites", site) not in self._warned
            ):
                self.check_complete(rec, key, "sites", site, ADDRESS)
        typed = rec.get("responsible_org")
        if typed is not None and "responsible_org" not in rec.bad:
            org = self._organismes.get(typed, _MISSING)
            if org is _MISSING:
                org = self._organismes[typed] = self.ref.find_organisme(typed)
            if org is not None:
                rec.values["responsible_org"] = org.siret
            else:
                siret = digits_code("".join(reference_head(typed).split()), 14)
                code = "organisme-inconnu" if siret and siret_is_valid(siret) else "siret-invalide"
                if siret is None and not any(ch.isdigit() for ch in typed):
                    code = "organisme-inconnu"
                self.add(code, rec, "responsible_org", value=typed)
                rec.bad.add("responsible_org")
        if lot:
            mandataire = self.ref.organismes[lot.siret_mandataire]
            if ("organismes", lot.siret_mandataire) not in self._warned:
                self.check_complete(
                    rec,
                    "responsible_org",
                    "organismes",
                    lot.siret_mandataire,
                    [("numero_activite", "le numéro de déclaration d'activité"), *ADDRESS],
                )
            org = rec.get("responsible_org")
            if org is not None and "responsible_org" not in rec.bad and org != lot.siret_mandataire:
                self.add(
                    "organisme-responsable",
                    rec,
                    "responsible_org",
                    lot=lot.numero,
                    expected=mandataire.display,
                )
            for key, expected in (
                ("cr_action_id", lot.id_action_cr),
                ("cr_mandataire_id", lot.of_mandataire_cr),
            ):
                value = rec.get(key)
                if value is None:
                    rec.values[key] = expected  # derived from the lot
                elif fold(str(value)) != fold(expected):
                    self.add(
                        "code-externe", rec, key, value=value, lot=lot.numero, expected=expected
                    )
        key = CAMPAIGN.key
        if self.usable(rec, key) and "lot" not in rec.bad:
            year = self.year_of(lot)
            if rec.get(key).year != year:
                self.add(
                    CAMPAIGN.code,
                    rec,
                    key,
                    value=fr_date(rec.get(key)),
                    year=year,
                    lot=lot.numero if lot else "(non choisi)",
                )
                rec.bad.add(key)  # children are not compared with a start already in error
        self.compare(rec)
        if rec.get("certifinfo_code") and rec.get("certifinfo_reference") == "non":
            self.add("certifinfo-incoherent", rec, "certifinfo_code")
        if self.usable(rec, "places", "places_remaining") and rec.get("places_remaining") > rec.get(
            "places"
        ):
            self.add(
                "places-restantes",
                rec,
                "places_remaining",
                value=rec.get("places_remaining"),
                places=rec.get("places"),
            )
        if self.usable(rec, "min_headcount", "simultaneous_capacity") and rec.get(
            "min_headcount"
        ) > rec.get("simultaneous_capacity"):
            self.add(
                "effectif-capacite",
                rec,
                "min_headcount",
                value=rec.get("min_headcount"),
                capacity=rec.get("simultaneous_capacity"),
            )
        self.check_fees(rec)
        self.check_placeholders(rec)
        self.check_rhythm(rec)
        prereq, comment = rec.get("prerequisites") or "", rec.get("prerequisites_comment") or ""
        if prereq and comment and len(prereq) + 1 + len(comment) > PREREQUISITES_MAX:
            total = len(prereq) + 1 + len(comment)
            self.add(
                "prerequis-trop-longs",
                rec,
                "prerequisites_comment",
                length=total,
                max=PREREQUISITES_MAX,
                excess=total - PREREQUISITES_MAX,
            )

    def check_placeholders(self, rec: Record) -> None:
        """A default sentence the programme asks to replace (« Modules optionnels à
        préciser. ») is refused while it is still there."""
        for key, texts in self.profile.placeholders.items():
            value = rec.get(key)
            if not isinstance(value, str) or key in rec.bad:
                continue
            found = self._placeholders.get((key, value), _MISSING)
            if found is _MISSING:  # the same text on many rows: looked at once
                folded = fold(value)
                found = next((text for text in texts if fold(text) in folded), None)
                self._placeholders[(key, value)] = found
            if found is not None:
                self.add("texte-a-completer", rec, key, placeholder=found)

    def check_rhythm(self, rec: Record) -> None:
        threshold = self.profile.rules.full_time_min_weekly_hours
        rule = RHYTHM_HOURS
        if threshold is None or not self.usable(rec, rule.key, rule.rhythm):
            return
        rhythm, hours = rec.get(rule.rhythm), rec.get(rule.key)
        if rule.contradicts(rhythm, hours, threshold):
            self.add(
                rule.code,
                rec,
                rule.key,
                value=fr_number(hours),
                rhythm=table_of(BY_KEY[rule.rhythm]).option(rhythm).label,
                threshold=fr_number(threshold),
                severity=self.profile.rules.rhythm_hours_severity,
            )

    def check_fees(self, rec: Record) -> None:
        if not self.usable(rec, "fee_excl_tax", "vat_rate", "fee_incl_tax"):
            return
        ht, rate, ttc = rec.get("fee_excl_tax"), float(rec.get("vat_rate")), rec.get("fee_incl_tax")
        expected = round(ht * (1 + rate / 100) + 1e-9, 2)
        if abs(expected - ttc) >= 0.005:
            self.add(
                "frais-ttc",
                rec,
                "fee_incl_tax",
                ttc=fr_money(ttc),
                ht=fr_money(ht),
                rate=f"{rate:g}".replace(".", ","),
                expected=fr_money(expected),
            )

    # --- whole workbook --------------------------------------------------------------
    def run(self) -> None:
        result = self.result
        by_ref: dict[str, Record] = {}
        seen: dict[tuple, Record] = {}
        for rec in result.sessions:
            self.check_session(rec)
            ref = rec.get("session_ref")
            if ref is not None:
                key = fold(str(ref))
                if key in by_ref:
                    self.add(
                        "reference-en-double", rec, "session_ref", value=ref, first=by_ref[key].row
                    )
                    rec.bad.add("session_ref")
                else:
                    by_ref[key] = rec
            get = rec.get
            fingerprint = (
                get("lot"),
                get("site"),
                get("delivery_site"),
                get("start_date"),
                get("end_date"),
            )
            if not any(v is None for v in fingerprint):
                if fingerprint in seen:
                    self.add(
                        "session-en-double",
                        rec,
                        "session_ref",
                        first=seen[fingerprint].row,
                        severity=self.profile.rules.duplicate_session_severity,
                    )
                else:
                    seen[fingerprint] = rec
        self.check_lot_places()
        self.check_identity()
        info_count: dict[int, int] = defaultdict(int)  # session row -> its informations
        for rec in result.infos:
            session = self.parent(rec, "ic_session", by_ref)
            lot = self.find_lot(session.get("lot")) if session and session.get("lot") else None
            self.check_references(rec, lot if session and "lot" not in session.bad else None)
            if session is not None:
                info_count[session.row] += 1
            self.compare(rec, session)
            self.check_info_place(rec)
        for rec in result.periodes:
            session = self.parent(rec, "pi_session", by_ref)
            self.compare(rec, session)
        minimum = self.profile.rules.min_info_sessions
        for rec in by_ref.values():
            if info_count[rec.row] < minimum:
                self.add(
                    "info-collective-manquante",
                    rec,
                    "session_ref",
                    session=rec.get("session_ref"),
                    min=minimum,
                    severity=self.profile.rules.info_sessions_severity,
                )

    def check_info_place(self, rec: Record) -> None:
        """An information collective has a place, or takes place at a distance with a link."""
        remote = rec.get("ic_remote") == "oui"
        key = "ic_url" if remote else "ic_site"
        if rec.get(key) is None and key not in rec.bad and "ic_remote" not in rec.bad:
            hint = (
                "une information collective à distance a un lien (https://…) que Kairos et "
                "Ouiform montrent aux candidats."
                if remote
                else "choisissez le site de l'information collective dans la liste, ou "
                "indiquez « oui » dans « À distance » et son lien."
            )
            self.add("champ-obligatoire", rec, key, hint=hint)

    # --- SOFI identity: FAS codes, formations and actions ---------------------------------
    def organisme_of(self, rec: Record) -> str | None:
        """The SIRET of the row's site dispensateur: the organisme its formation belongs to."""
        site = rec.get("delivery_site")
        if site is None or "delivery_site" in rec.bad or site not in self.ref.sites:
            return None
        return self.ref.sites[site].siret

    def shown(self, key: str, value: Any) -> str:
        """A value as the user reads it in a message (list entry, site label, excerpt)."""
        if value is None:
            return "(vide)"
        fld = BY_KEY[key]
        if isinstance(value, list):
            return " ; ".join(self.shown(key, v) for v in value)
        if fld.kind is Kind.CODE:
            return table_of(fld).option(str(value)).display
        if fld.kind is Kind.SITE and value in self.ref.sites:
            return self.ref.sites[value].display
        text = " ".join(str(value).split())
        return text if len(text) <= 60 else text[:59] + "…"

    def agree(
        self,
        rec: Record,
        seen: dict[str, tuple[Any, Record]],
        keys: tuple[str, ...],
        code: str,
        group: str,
    ) -> None:
        """Compare ``rec`` with the first row of its group, field by field."""
        for key in keys:
            if key in rec.bad:
                continue
            value = rec.get(key)
            if key not in seen:
                seen[key] = (value, rec)
                continue
            expected, first = seen[key]
            same = (
                set(value) == set(expected)
                if isinstance(value, list) and isinstance(expected, list)
                else value == expected
            )
            if not same:
                self.add(
                    code,
                    rec,
                    key,
                    value=value,
                    shown=self.shown(key, value),
                    expected=self.shown(key, expected),
                    first=first.row,
                    group=group,
                )

    def agree_organisme(self, rec: Record, seen: dict[str, tuple[Any, Record]], group: str) -> None:
        siret = self.organisme_of(rec)
        if siret is None:
            return
        if "organisme" not in seen:
            seen["organisme"] = (siret, rec)
            return
        expected, first = seen["organisme"]
        if siret != expected:
            orgs = self.ref.organismes
            self.add(
                "formation-autre-organisme",
                rec,
                "delivery_site",
                value=siret,
                shown=orgs[siret].display if siret in orgs else siret,
                expected=orgs[expected].display if expected in orgs else expected,
                first=first.row,
                group=group,
            )

    def fas(self, rec: Record) -> FasCode | None:
        text = rec.get("fas_code")
        return FasCode.parse(text) if text and "fas_code" not in rec.bad else None

    def check_identity(self) -> None:
        """FAS codes are unique; rows of one formation, one action code or one Réf. action
        agree on what that fiche holds; a modification recalls the Région's agreement."""
        complete: dict[str, list[Record]] = defaultdict(list)
        formations: dict[str, dict[str, tuple[Any, Record]]] = defaultdict(dict)
        actions: dict[tuple[str, str], dict[str, tuple[Any, Record]]] = defaultdict(dict)
        refs: dict[str, list[Record]] = defaultdict(list)
        for rec in self.result.sessions:
            fas = self.fas(rec)
            new = not (fas and fas.session) and "fas_code" not in rec.bad  # unreadable: said
            if new and rec.get("session_state") == INACTIVE:
                self.add("etat-inactif-nouvelle-session", rec, "session_state")
            if fas is not None:
                group = f"code {fas.formation}"
                self.agree(
                    rec, formations[fas.formation], FORMATION_KEYS, "formation-incoherente", group
                )
                self.agree_organisme(rec, formations[fas.formation], group)
                if fas.action:
                    self.agree(
                        rec,
                        actions[(fas.formation, fas.action)],
                        ACTION_KEYS,
                        "action-incoherente",
                        f"code {fas.formation}-{fas.action}",
                    )
                if fas.session:
                    complete[str(fas)].append(rec)
                    self.add(
                        "modification-accord-region",
                        rec,
                        "fas_code",
                        value=str(fas),
                        severity=self.profile.rules.modification_severity,
                    )
            elif rec.get("fas_code") is not None:
                continue  # an unreadable code: its row is grouped with nothing
            if self.usable(rec, "action_ref"):
                refs[fold(str(rec.get("action_ref")))].append(rec)
        for code, recs in complete.items():
            if len(recs) > 1:
                for rec in recs:
                    others = [str(r.row) for r in recs[:6] if r is not rec][:5]
                    shown = ", ".join(others) + (" …" if len(recs) > 6 else "")
                    self.add("code-fas-en-double", rec, "fas_code", value=code, others=shown)
                    rec.bad.add("fas_code")
        for recs in refs.values():
            self.check_action_reference(recs)

    def check_action_reference(self, recs: list[Record]) -> None:
        """Rows of one « Réf. action »: one F-A code (or none), and, for a new action, the
        same fiche Action (and fiche Formation when the formation is new too)."""
        first = recs[0]

        def parts(rec: Record) -> tuple[str | None, str | None]:
            fas = self.fas(rec)
            return (fas.formation, fas.action) if fas else (None, None)

        def label(fa: tuple[str | None, str | None]) -> str:
            return "-".join(p for p in fa if p) or "vide"

        wanted = parts(first)
        same = [first]
        for rec in recs[1:]:
            if parts(rec) == wanted:
                same.append(rec)
                continue
            self.add(
                "reference-action-incoherente",
                rec,
                "action_ref",
                value=rec.get("action_ref"),
                first=first.row,
                expected=label(wanted),
                actual=label(parts(rec)),
            )
        if wanted[1] is not None:
            return  # an existing action: its code groups and checks these rows
        group = f"Réf. action « {first.get('action_ref')} »"
        seen: dict[str, tuple[Any, Record]] = {}
        for rec in same:
            if wanted[0] is None:  # a new formation too
                self.agree(rec, seen, FORMATION_KEYS, "formation-incoherente", group)
                self.agree_organisme(rec, seen, group)
            self.agree(rec, seen, ACTION_KEYS, "action-incoherente", group)

    def parent(self, rec: Record, key: str, by_ref: dict[str, Record]) -> Record | None:
        ref = rec.get(key)
        if ref is None:
            return None
        session = by_ref.get(fold(str(ref)))
        if session is None:
            self.add("session-inconnue", rec, key, value=ref)
            rec.bad.add(key)
        else:
            rec.values[key] = session.get("session_ref")
        return session

    def compare(self, rec: Record, session: Record | None = None) -> None:
        """The declared comparisons of this row: with its own fields, then with its session's."""
        values, bad = rec.values, rec.bad
        comparisons = self._comparisons.get(rec.sheet)
        if comparisons is None:  # those whose field is on this row's sheet
            comparisons = self._comparisons[rec.sheet] = [
                c for c in COMPARISONS if fold(BY_KEY[c.key].sheet) == fold(rec.sheet)
            ]
        for c in comparisons:
            value = values.get(c.key)
            if value is None or c.key in bad:  # a field of another sheet, empty or unreadable
                continue
            if c.scope == "row":
                other = rec.get(c.other)
                if other is not None and not c.holds(value, other):
                    self.add(c.code, rec, c.key, start=_shown(other), end=_shown(value))
            elif session is not None:
                other = session.get(c.other)
                if other is not None and c.other not in session.bad and not c.holds(value, other):
                    self.add(
                        c.code,
                        rec,
                        c.key,
                        value=_shown(value),
                        session=session.get("session_ref"),
                        start=_shown(other),
                    )

    def check_lot_places(self) -> None:
        totals: dict[str, int] = defaultdict(int)
        last: dict[str, Record] = {}
        for rec in self.result.sessions:
            if self.usable(rec, "lot", "places"):
                totals[rec.get("lot")] += rec.get("places")
                last[rec.get("lot")] = rec
        for numero, total in totals.items():
            lot = self.find_lot(numero)
            if lot and lot.places is not None and total > lot.places:
                self.add(
                    "places-lot-depassees",
                    last[numero],
                    "places",
                    lot=numero,
                    total=total,
                    ordered=lot.places,
                    severity=self.profile.rules.lot_places_severity,
                )


# the pre-requisites and their comment travel together, one line apart, in one field of the
# comment's size (LHEO conditions-specifiques)
_COMMENT_MAX = BY_KEY["prerequisites_comment"].max_length
assert _COMMENT_MAX is not None  # declared in the catalogue
PREREQUISITES_MAX: int = _COMMENT_MAX


def _shown(value: Any) -> str:
    return fr_time(value) if isinstance(value, dt.time) else fr_date(value)


def check_rules(result: ValidationResult) -> None:
    RuleChecker(result).run()
