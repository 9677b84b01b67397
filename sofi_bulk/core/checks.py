"""The procedure's checks across fields, rows and sheets.

Each check is a function of the workbook's ``Checking``, run after the resolution rules
(``resolve.py``): it reads the values and reports issues, and never changes a value. The
parameters (campaign year, minimum number of informations collectives, the weekly hours
of a full time) come from the programme profile and the référentiel, never from constants
here. ``rules.py`` declares each check: its codes, the fields it reads, its order.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sofi_bulk.core.checking import Checking, usable
from sofi_bulk.core.codes import table_of
from sofi_bulk.core.comparisons import (
    CAMPAIGN,
    COMPARISONS,
    RHYTHM_HOURS,
    Comparison,
    Exclusion,
    shown,
)
from sofi_bulk.core.fields import BY_KEY, INFOS_SHEET, Kind
from sofi_bulk.core.identity import ACTION_KEYS, FORMATION_KEYS, INACTIVE, FasCode
from sofi_bulk.core.lots import campaign_year, expected_campaigns
from sofi_bulk.core.records import Record
from sofi_bulk.core.resolve import LOT_CODES
from sofi_bulk.core.text import fold, fr_date, fr_money, fr_number

_MISSING: Any = object()
ADDRESS = [("adresse", "l'adresse"), ("code_postal", "le code postal"), ("ville", "la ville")]
MANDATAIRE_NEEDS = [("numero_activite", "le numéro de déclaration d'activité"), *ADDRESS]
SITE_FIELDS = ("site", "delivery_site")
FEES = ("fee_excl_tax", "vat_rate", "fee_incl_tax")
LOT_PLACES = ("lot", "places")
# the fields that make two rows one session entered twice
SESSION_FINGERPRINT = ("lot", "site", "delivery_site", "start_date", "end_date")

# the pre-requisites and their comment travel together, one line apart, in one field of the
# comment's size (LHEO conditions-specifiques)
_COMMENT_MAX = BY_KEY["prerequisites_comment"].max_length
assert _COMMENT_MAX is not None  # declared in the catalogue
PREREQUISITES_MAX: int = _COMMENT_MAX


# --- one session at a time ----------------------------------------------------------------
def check_referentiel_complete(run: Checking) -> None:
    """Warn once per référentiel object that lacks what the LHEO export needs: the first row
    that uses the site, or a lot of the mandataire, carries the warning."""
    warned: set[tuple[str, str]] = set()
    sites, organismes = run.ref.sites, run.ref.organismes

    def complete(rec: Record, key: str, table: str, obj: Any, ident: str, needs: list) -> None:
        warned.add((table, ident))
        missing = [label for attr, label in needs if not getattr(obj, attr)]
        if missing:
            run.add(
                "referentiel-incomplet", rec, key, what=", ".join(missing), table=table, ident=ident
            )

    for rec, lot in zip(run.sessions, run.lots, strict=True):
        for key in SITE_FIELDS:
            site = rec.get(key)
            if site in sites and key not in rec.unusable and ("sites", site) not in warned:
                complete(rec, key, "sites", sites[site], site, ADDRESS)
        if lot and ("organismes", lot.siret_mandataire) not in warned:
            siret = lot.siret_mandataire
            complete(
                rec, "responsible_org", "organismes", organismes[siret], siret, MANDATAIRE_NEEDS
            )


def check_responsible_org(run: Checking) -> None:
    """The organisme responsable is the mandataire of the session's lot."""
    organismes = run.ref.organismes
    for rec, lot in zip(run.sessions, run.lots, strict=True):
        if not lot:
            continue
        org = rec.get("responsible_org")
        if (
            org is not None
            and org != lot.siret_mandataire
            and "responsible_org" not in rec.unusable
        ):
            expected = organismes[lot.siret_mandataire].display
            run.add(
                "organisme-responsable", rec, "responsible_org", lot=lot.numero, expected=expected
            )


def check_lot_codes(run: Checking) -> None:
    """« ID Action CR » and « OF mandataire CR » are those of the session's lot."""
    for rec, lot in zip(run.sessions, run.lots, strict=True):
        if not lot:
            continue
        for key, attr in LOT_CODES.items():
            value, expected = rec.get(key), getattr(lot, attr)
            if value is not None and value != expected and fold(str(value)) != fold(expected):
                run.add("code-externe", rec, key, value=value, lot=lot.numero, expected=expected)


def check_campaign(run: Checking) -> None:
    """A session starts in the campaign year of its lot (else the programme's); a lot whose
    campaign is neither the check's year nor the next is warned once, on its first row,
    unless the référentiel is the bundled example (``Referentiel.example``)."""
    key, profile, today = CAMPAIGN.key, run.profile, run.today
    years: dict[str | None, int] = {}
    current, following = expected_campaigns(today)
    seen: set[str] = set()
    warn = not run.ref.example  # the example's fictitious lots: of the procedure's campaign
    for rec, lot in zip(run.sessions, run.lots, strict=True):
        if warn and lot is not None and lot.numero not in seen:
            seen.add(lot.numero)
            campaign = campaign_year(profile, lot)
            if campaign not in (current, following):
                run.add(
                    CAMPAIGN.stale_code,
                    rec,
                    "lot",
                    value=lot.numero,
                    year=campaign,
                    source="" if lot.annee else " (celle du programme : le lot n'en donne pas)",
                    today=fr_date(today),
                    current=current,
                    next=following,
                )
        start = rec.get(key)
        if start is None or key in rec.unusable or "lot" in rec.unusable:
            continue
        numero = lot.numero if lot else None
        year = years.get(numero)
        if year is None:
            year = years[numero] = campaign_year(profile, lot)
        if start.year != year:
            run.add(
                CAMPAIGN.code,
                rec,
                key,
                value=fr_date(start),
                year=year,
                lot=numero or "(non choisi)",
            )


def comparison_check(comparisons: tuple[Comparison, ...]) -> Callable[[Checking], None]:
    """The check of declared comparisons: with a field of the same row, or of the row's
    session (one whose value another rule refused is not compared with)."""

    def check(run: Checking) -> None:
        for c in comparisons:
            sheet = BY_KEY[c.key].sheet
            records = run.rows[sheet]
            key, other_key = c.key, c.other
            holds = operator.ge if c.op == ">=" else operator.le
            value_name, other_name = c.names
            if c.scope == "row":
                for rec in records:
                    get = rec.get
                    value, other = get(key), get(other_key)
                    if value is None or other is None or key in rec.unusable:
                        continue
                    if not holds(value, other):
                        params = {value_name: shown(value), other_name: shown(other)}
                        run.add(c.code, rec, key, **params)
                continue
            for rec, session in zip(records, run.parents[sheet], strict=True):
                value = rec.get(key)
                if value is None or session is None or key in rec.unusable:
                    continue
                other = session.get(other_key)
                if other is None or other_key in session.unusable or holds(value, other):
                    continue
                params = {value_name: shown(value), other_name: shown(other)}
                run.add(c.code, rec, key, session=session.get("session_ref"), **params)

    return check


def comparisons_of_code(code: str) -> tuple[Comparison, ...]:
    return tuple(c for c in COMPARISONS if c.code == code)


def exclusion_check(exclusion: Exclusion) -> Callable[[Checking], None]:
    """The check of two codes a row may not hold together (``comparisons.EXCLUSIONS``)."""
    key, other = exclusion.key, exclusion.other
    values, others = frozenset(exclusion.values), frozenset(exclusion.others)
    table, other_table = table_of(BY_KEY[key]), table_of(BY_KEY[other])
    keys = (key, other)

    def check(run: Checking) -> None:
        for rec in run.rows[BY_KEY[key].sheet]:
            value, other_value = rec.get(key), rec.get(other)
            if value in values and other_value in others and rec.unusable.isdisjoint(keys):
                run.add(
                    exclusion.code,
                    rec,
                    key,
                    value=value,
                    shown=table.option(value).label,
                    other_col=BY_KEY[other].header,
                    other=other_table.option(other_value).label,
                    advice=other_table.option(exclusion.advice).label,
                )

    return check


def check_certifinfo(run: Checking) -> None:
    """No Certifinfo code when « Référence Certifinfo » says non."""
    for rec in run.sessions:
        if rec.get("certifinfo_code") and rec.get("certifinfo_reference") == "non":
            run.add("certifinfo-incoherent", rec, "certifinfo_code")


def check_fees(run: Checking) -> None:
    """Frais TTC = frais HT with the VAT rate, to the cent."""
    for rec in run.sessions:
        get = rec.get
        ht, rate, ttc = get("fee_excl_tax"), get("vat_rate"), get("fee_incl_tax")
        if ht is None or rate is None or ttc is None or not rec.unusable.isdisjoint(FEES):
            continue
        rate = float(rate)
        expected = round(ht * (1 + rate / 100) + 1e-9, 2)
        if abs(expected - ttc) >= 0.005:
            run.add(
                "frais-ttc",
                rec,
                "fee_incl_tax",
                ttc=fr_money(ttc),
                ht=fr_money(ht),
                rate=f"{rate:g}".replace(".", ","),
                expected=fr_money(expected),
            )


def check_placeholders(run: Checking) -> None:
    """A default sentence the programme asks to replace (its profile's ``placeholders``) is
    refused while it is still there."""
    profile = run.profile
    found_in: dict[tuple[str, str], str | None] = {}  # (key, text) -> the sentence found
    for key, texts in profile.placeholders.items():
        example = profile.placeholder_examples.get(key)
        example = f" (par exemple {example})" if example else ""
        for rec in run.rows[BY_KEY[key].sheet]:
            value = rec.get(key)
            if value.__class__ is not str or key in rec.unusable:
                continue
            found = found_in.get((key, value), _MISSING)
            if found is _MISSING:  # the same text on many rows: looked at once
                folded = fold(value)
                found = next((text for text in texts if fold(text) in folded), None)
                found_in[(key, value)] = found
            if found is not None:
                run.add("texte-a-completer", rec, key, placeholder=found, example=example)


def check_rhythm(run: Checking) -> None:
    """The rythme and the weekly hours say the same thing (the profile's full time)."""
    threshold = run.profile.rules.full_time_min_weekly_hours
    rule = RHYTHM_HOURS
    if threshold is None:
        return
    labels = table_of(BY_KEY[rule.rhythm])
    keys = (rule.key, rule.rhythm)
    for rec in run.sessions:
        rhythm, hours = rec.get(rule.rhythm), rec.get(rule.key)
        if rhythm is None or hours is None or not rec.unusable.isdisjoint(keys):
            continue
        if rule.contradicts(rhythm, hours, threshold):
            run.add(
                rule.code,
                rec,
                rule.key,
                value=fr_number(hours),
                rhythm=labels.option(rhythm).label,
                threshold=fr_number(threshold),
            )


def check_prerequisites(run: Checking) -> None:
    """The pre-requisites and their comment fit together in LHEO's one field."""
    for rec in run.sessions:
        prereq = rec.get("prerequisites") or ""
        comment = rec.get("prerequisites_comment") or ""
        if prereq and comment and len(prereq) + 1 + len(comment) > PREREQUISITES_MAX:
            total = len(prereq) + 1 + len(comment)
            run.add(
                "prerequis-trop-longs",
                rec,
                "prerequisites_comment",
                length=total,
                max=PREREQUISITES_MAX,
                excess=total - PREREQUISITES_MAX,
            )


# --- across rows and sheets ------------------------------------------------------------
def check_duplicate_refs(run: Checking) -> None:
    """Each « Réf. session » names one session."""
    by_ref, by_typed = run.by_ref, run.by_typed_ref
    for rec in run.sessions:
        ref = rec.get("session_ref")
        if ref is None or by_typed.get(ref) is rec:
            continue
        first = by_ref[fold(str(ref))]
        if first is not rec:
            run.add("reference-en-double", rec, "session_ref", value=ref, first=first.row)


def check_duplicate_sessions(run: Checking) -> None:
    """Two rows of the same lot, sites and dates are probably one session entered twice."""
    seen: dict[tuple, Record] = {}
    for rec in run.sessions:
        fingerprint = tuple(map(rec.get, SESSION_FINGERPRINT))
        if None in fingerprint:
            continue
        first = seen.setdefault(fingerprint, rec)
        if first is not rec:
            run.add("session-en-double", rec, "session_ref", first=first.row)


def check_lot_places(run: Checking) -> None:
    """The sessions of a lot offer no more places than the Région ordered."""
    totals: dict[str, int] = defaultdict(int)
    last: dict[str, Record] = {}
    for rec in run.sessions:
        numero, places = rec.get("lot"), rec.get("places")
        if numero is not None and places is not None and rec.unusable.isdisjoint(LOT_PLACES):
            totals[numero] += places
            last[numero] = rec
    for numero, total in totals.items():
        lot = run.find_lot(numero)
        if lot and lot.places is not None and total > lot.places:
            run.add(
                "places-lot-depassees",
                last[numero],
                "places",
                lot=numero,
                total=total,
                ordered=lot.places,
            )


def check_modifications(run: Checking) -> None:
    """A row with a complete FAS code modifies a SOFI session: the Région must agree, and
    the session must not have ended on the check's date (the procedure allows changes
    before a session or during it)."""
    today = run.today
    for rec in run.sessions:
        fas = _fas(rec)
        if fas is None or not fas.session:
            continue
        end = rec.get("end_date")
        if end is not None and end < today and "end_date" not in rec.unusable:
            run.add(
                "modification-session-terminee",
                rec,
                "fas_code",
                value=str(fas),
                end=fr_date(end),
                today=fr_date(today),
            )
        else:
            run.add("modification-accord-region", rec, "fas_code", value=str(fas))


def check_numbering(run: Checking) -> None:
    """A SOFI number is unique across SOFI: a session number belongs to one action, an
    action number to one formation. A row whose code says otherwise than the first row of
    that number is flagged."""
    actions: dict[str, tuple[str, Record]] = {}  # action number -> its formation, first row
    sessions: dict[str, tuple[str, Record]] = {}  # session number -> its action, first row
    for rec in run.sessions:
        fas = _fas(rec)
        if fas is None or fas.action is None:
            continue
        for code, number, parent, seen in (
            ("action-autre-formation", fas.action, fas.formation, actions),
            ("session-autre-action", fas.session, fas.action, sessions),
        ):
            if number is None:
                continue
            other, first = seen.setdefault(number, (parent, rec))
            if other != parent:
                run.add(
                    code,
                    rec,
                    "fas_code",
                    value=str(fas),
                    number=number,
                    parent=parent,
                    other=other,
                    first=first.row,
                )


def check_inactive_state(run: Checking) -> None:
    """« Inactif » takes an existing SOFI session out of the offer: a new session (no
    complete FAS code) cannot be; an unreadable code is said by its own issue."""
    for rec in run.sessions:
        if rec.get("session_state") != INACTIVE or "fas_code" in rec.unusable:
            continue
        fas = _fas(rec)
        if fas is None or not fas.session:
            run.add("etat-inactif-nouvelle-session", rec, "session_state")


def check_info_sessions(run: Checking) -> None:
    """Each session has its informations collectives (the profile's minimum)."""
    minimum = run.profile.rules.min_info_sessions
    count: dict[int, int] = defaultdict(int)  # session row -> its informations
    for session in run.parents[INFOS_SHEET]:
        if session is not None:
            count[session.row] += 1
    for rec in run.by_ref.values():
        if count[rec.row] < minimum:
            run.add(
                "info-collective-manquante",
                rec,
                "session_ref",
                session=rec.get("session_ref"),
                min=minimum,
            )


def check_info_place(run: Checking) -> None:
    """An information collective has a place, or takes place at a distance with a link."""
    for rec in run.rows[INFOS_SHEET]:
        remote = rec.get("ic_remote") == "oui"
        key = "ic_url" if remote else "ic_site"
        if rec.get(key) is None and key not in rec.unusable and "ic_remote" not in rec.unusable:
            hint = (
                "une information collective à distance a un lien (https://…) que Kairos et "
                "Ouiform montrent aux candidats."
                if remote
                else "choisissez le site de l'information collective dans la liste, ou "
                "indiquez « oui » dans « À distance » et son lien."
            )
            run.add("champ-obligatoire", rec, key, hint=hint)


# --- SOFI identity: formations and actions ------------------------------------------------
def _fas(rec: Record) -> FasCode | None:
    text = rec.get("fas_code")
    return FasCode.parse(text) if text and "fas_code" not in rec.unusable else None


Seen = dict[str, tuple[Any, Record]]  # field -> the first value of a group, and its row


class _Identity:
    """The rows of one SOFI formation or action agree on what its fiche holds."""

    def __init__(self, run: Checking) -> None:
        self.run = run
        self.sites = run.ref.sites
        self.organismes = run.ref.organismes

    def shown(self, key: str, value: Any) -> str:
        """A value as the user reads it in a message (list entry, site label, excerpt)."""
        if value is None:
            return "(vide)"
        fld = BY_KEY[key]
        if isinstance(value, list):
            return " ; ".join(self.shown(key, v) for v in value)
        if fld.kind is Kind.CODE:
            return table_of(fld).option(str(value)).display
        if fld.kind is Kind.SITE and value in self.sites:
            return self.sites[value].display
        text = " ".join(str(value).split())
        return text if len(text) <= 60 else text[:59] + "…"

    def agree(self, rec: Record, seen: Seen, keys: tuple[str, ...], code: str, group: str) -> None:
        """Compare ``rec`` with the first row of its group, field by field."""
        for key in keys:
            if key in rec.unusable:
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
                self.run.add(
                    code,
                    rec,
                    key,
                    value=value,
                    shown=self.shown(key, value),
                    expected=self.shown(key, expected),
                    first=first.row,
                    group=group,
                )

    def agree_organisme(self, rec: Record, seen: Seen, group: str) -> None:
        """A formation belongs to one organisme: that of its rows' site dispensateur."""
        site = rec.get("delivery_site")
        if site is None or "delivery_site" in rec.unusable or site not in self.sites:
            return
        siret = self.sites[site].siret
        if "organisme" not in seen:
            seen["organisme"] = (siret, rec)
            return
        expected, first = seen["organisme"]
        if siret != expected:
            orgs = self.organismes
            self.run.add(
                "formation-autre-organisme",
                rec,
                "delivery_site",
                value=siret,
                shown=orgs[siret].display if siret in orgs else siret,
                expected=orgs[expected].display if expected in orgs else expected,
                first=first.row,
                group=group,
            )

    def check(self) -> None:
        formations: dict[str, Seen] = defaultdict(dict)
        actions: dict[tuple[str, str], Seen] = defaultdict(dict)
        complete: dict[str, list[Record]] = defaultdict(list)
        refs: dict[str, list[Record]] = defaultdict(list)
        for rec in self.run.sessions:
            fas = _fas(rec)
            if fas is not None:
                group = f"code {fas.formation}"
                seen = formations[fas.formation]
                self.agree(rec, seen, FORMATION_KEYS, "formation-incoherente", group)
                self.agree_organisme(rec, seen, group)
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
            elif rec.get("fas_code") is not None:
                continue  # an unreadable code: its row is grouped with nothing
            if usable(rec, "action_ref"):
                refs[fold(str(rec.get("action_ref")))].append(rec)
        for code, recs in complete.items():
            if len(recs) > 1:
                for rec in recs:
                    others = [str(r.row) for r in recs[:6] if r is not rec][:5]
                    shown_rows = ", ".join(others) + (" …" if len(recs) > 6 else "")
                    self.run.add(
                        "code-fas-en-double", rec, "fas_code", value=code, others=shown_rows
                    )
        for recs in refs.values():
            self.check_action_reference(recs)

    def check_action_reference(self, recs: list[Record]) -> None:
        """Rows of one « Réf. action »: one F-A code (or none), and, for a new action, the
        same fiche Action (and fiche Formation when the formation is new too)."""
        first = recs[0]

        def parts(rec: Record) -> tuple[str | None, str | None]:
            fas = _fas(rec)
            return (fas.formation, fas.action) if fas else (None, None)

        def label(fa: tuple[str | None, str | None]) -> str:
            return "-".join(p for p in fa if p) or "vide"

        wanted = parts(first)
        same = [first]
        for rec in recs[1:]:
            if parts(rec) == wanted:
                same.append(rec)
                continue
            self.run.add(
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
        seen: Seen = {}
        for rec in same:
            if wanted[0] is None:  # a new formation too
                self.agree(rec, seen, FORMATION_KEYS, "formation-incoherente", group)
                self.agree_organisme(rec, seen, group)
            self.agree(rec, seen, ACTION_KEYS, "action-incoherente", group)


def check_identity(run: Checking) -> None:
    """FAS codes are unique; rows of one formation, one action code or one Réf. action
    agree on what that fiche holds."""
    _Identity(run).check()
