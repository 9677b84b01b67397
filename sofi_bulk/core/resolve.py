"""Resolution: what a typed value stands for, before any rule checks it.

The lot typed becomes the référentiel's lot number, a site or contact its code, the
organisme its SIRET, a child row's « Réf. session » the session's own; the lot's external
codes fill the cells left empty. These are the only rules that change a row's values; a
value they cannot resolve gets its issue, and the rules that follow leave it aside.
"""

from __future__ import annotations

from typing import Any

from sofi_bulk.core.checking import Checking
from sofi_bulk.core.fields import BY_KEY, INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET
from sofi_bulk.core.referentiel import Lot, reference_head
from sofi_bulk.core.text import fold
from sofi_bulk.core.values import digits_code, siret_is_valid

_MISSING: Any = object()
SITE_KEYS = ("delivery_site", "realisation_site", "site", "ic_site")
CONTACT_KEYS = ("pmr_contact", "prf_contact", "mobility_contact")
# each reference field: the référentiel attribute that replaces what was typed, and the codes
# of an unknown object and of one outside the row's lot
REFERENCES = [(key, "code", "site-inconnu", "site-hors-lot") for key in SITE_KEYS] + [
    (key, "id", "contact-inconnu", "contact-hors-lot") for key in CONTACT_KEYS
]
# those of each sheet
REFERENCES_OF = {
    sheet: [ref for ref in REFERENCES if BY_KEY[ref[0]].sheet == sheet]
    for sheet in (SESSIONS_SHEET, INFOS_SHEET)
}
Outcome = tuple[str | None, Any, dict[str, Any]]  # issue code, replacement, issue parameters
# a child sheet's field that names its session
SESSION_OF = {INFOS_SHEET: "ic_session", PERIODES_SHEET: "pi_session"}
# the external codes of a session that its lot gives
LOT_CODES = {"cr_action_id": "id_action_cr", "cr_mandataire_id": "of_mandataire_cr"}


def resolve_lots(run: Checking) -> None:
    """« Numéro lot CR » → the référentiel's lot, when it is one of this programme's."""
    programme = run.profile.referentiel_programme
    ours: dict[str, bool] = {}  # lot numero -> of this programme (memo)
    lots, find_lot, add = run.lots, run.find_lot, run.add
    for i, rec in enumerate(run.sessions):
        numero = rec.get("lot")
        if numero is None:
            continue
        lot = find_lot(numero)
        if lot is None:
            add("lot-inconnu", rec, "lot", value=numero)
            continue
        known = ours.get(lot.numero)
        if known is None:
            known = ours[lot.numero] = lot.in_programme(programme)
        if not known:
            add("lot-autre-programme", rec, "lot", value=numero, programme=lot.programme)
            continue
        rec.values["lot"] = lot.numero
        lots[i] = lot


def resolve_sessions(run: Checking) -> None:
    """The sessions by « Réf. session » (the first row of a reference), and the session
    each row of « Infos collectives » and « Périodes inscription » belongs to."""
    by_ref, by_typed = run.by_ref, run.by_typed_ref
    for rec in run.sessions:
        ref = rec.get("session_ref")
        if ref is not None and by_ref.setdefault(fold(str(ref)), rec) is rec:
            by_typed[ref] = rec
    for sheet, key in SESSION_OF.items():
        parents = run.parents[sheet]
        for i, rec in enumerate(run.rows[sheet]):
            ref = rec.get(key)
            if ref is None:
                continue
            # a reference is mostly picked from the list, as its session spells it
            session = by_typed.get(ref) or by_ref.get(fold(str(ref)))
            if session is None:
                run.add("session-inconnue", rec, key, value=ref)
            else:
                rec.values[key] = session.get("session_ref")
                parents[i] = session


def resolve_references(run: Checking) -> None:
    """What was typed in each site and contact cell → the référentiel's code; unknown ones
    and those of another lot refused (each distinct case looked at once). A child row's
    references are judged by its session's lot."""
    resolved: dict[tuple[str, Any, str | None], Outcome] = {}
    sirets: dict[str, frozenset[str]] = {}
    ref = run.ref

    def resolve(attr: str, typed: Any, lot: Lot | None, unknown: str, outside: str) -> Outcome:
        find = ref.find_site if attr == "code" else ref.find_contact
        found = find(typed)
        if found is None:
            return unknown, None, {"value": typed}
        value = getattr(found, attr)
        if lot:
            allowed = sirets.get(lot.numero)
            if allowed is None:
                allowed = sirets[lot.numero] = frozenset(lot.sirets)
            if found.siret not in allowed:
                return outside, value, {"value": found.display, "lot": lot.numero}
        return None, value, {}

    def references(rec: Any, lot: Lot | None, keys: list[tuple[str, str, str, str]]) -> None:
        values, unusable = rec.values, rec.unusable
        numero = lot.numero if lot else None
        for key, attr, unknown, outside in keys:
            typed = values.get(key)
            if typed is None or key in unusable:
                continue
            outcome = resolved.get((attr, typed, numero))
            if outcome is None:
                outcome = resolved[(attr, typed, numero)] = resolve(
                    attr, typed, lot, unknown, outside
                )
            code, value, params = outcome
            if value is not None:
                values[key] = value
            if code is not None:
                run.add(code, rec, key, **params)

    keys = REFERENCES_OF[SESSIONS_SHEET]
    for rec, lot in zip(run.sessions, run.lots, strict=True):
        references(rec, lot, keys)
    keys = REFERENCES_OF[INFOS_SHEET]
    for rec, session in zip(run.rows[INFOS_SHEET], run.parents[INFOS_SHEET], strict=True):
        numero = session.get("lot") if session else None
        lot = run.find_lot(numero) if numero else None
        references(rec, lot if session and "lot" not in session.unusable else None, keys)


def drop_same_realisation_site(run: Checking) -> None:
    """A lieu de réalisation equal to the site dispensateur is dropped: the default says the
    same, so that one form of the session is kept."""
    for rec in run.sessions:
        if rec.get("realisation_site") == rec.get("delivery_site"):
            rec.values.pop("realisation_site", None)


def resolve_organismes(run: Checking) -> None:
    """« Organisme responsable » → the organisme's SIRET, or why it is refused."""
    found: dict[str, Any] = {}  # typed text -> organisme (memo)
    find = run.ref.find_organisme
    for rec in run.sessions:
        typed = rec.get("responsible_org")
        if typed is None or "responsible_org" in rec.unusable:
            continue
        org = found.get(typed, _MISSING)
        if org is _MISSING:
            org = found[typed] = find(typed)
        if org is not None:
            rec.values["responsible_org"] = org.siret
            continue
        siret = digits_code("".join(reference_head(typed).split()), 14)
        code = "organisme-inconnu" if siret and siret_is_valid(siret) else "siret-invalide"
        if siret is None and not any(ch.isdigit() for ch in typed):
            code = "organisme-inconnu"
        run.add(code, rec, "responsible_org", value=typed)


def fill_lot_codes(run: Checking) -> None:
    """An empty « ID Action CR » or « OF mandataire CR » takes its lot's code."""
    for rec, lot in zip(run.sessions, run.lots, strict=True):
        if lot:
            values = rec.values
            for key, attr in LOT_CODES.items():
                if values.get(key) is None:
                    values[key] = getattr(lot, attr)
