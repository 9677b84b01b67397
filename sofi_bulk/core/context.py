"""Decide which programme profile and référentiel a workbook is checked against.

The template stamps its programme, versions and the référentiel it was made from in
the hidden ``_meta`` sheet; a workbook of another programme or programme version is
refused plainly, with what to do.

The layout's stamp is computed from the columns (``core.layout``), and the template keeps
their signature beside it: a workbook of another layout is read whenever it can be read
right (every required column there, no column read differently since, no pre-filled value
changed), with a notice naming the optional columns it lacks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sofi_bulk.core.errors import UserError, WorkbookError
from sofi_bulk.core.fields import FIELDS
from sofi_bulk.core.issues import Issue, make_issue
from sofi_bulk.core.layout import (
    DATA_SHEETS,
    LEGACY_FORMAT,
    META_SHEET,
    Signature,
    column_signature,
    layout_stamp,
)
from sofi_bulk.core.profile import DEFAULT_PROGRAMME, Profile, available_profiles, load_profile
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.core.workbook import WorkbookInput


@dataclass
class Context:
    profile: Profile
    referentiel: Referentiel
    notices: list[Issue] = field(default_factory=list)


def resolve_context(
    book: WorkbookInput,
    programme: str | None = None,
    referentiel: Referentiel | None = None,
    *,
    fallback: Callable[[], Referentiel] | None = None,
) -> Context:
    """The profile and référentiel to check ``book`` with.

    ``referentiel`` is the user's choice; otherwise the copy the template carries, and
    for a workbook without one, ``fallback()`` (the adapters pass the bundled example).
    """
    meta = book.meta
    notices: list[Issue] = []
    if meta:
        stamped = meta.get("programme", "")
        if (
            programme
        ):  # the user's choice: a bundled id or a profile file, checked against the stamp
            try:
                profile = load_profile(programme)
            except UserError as exc:
                raise WorkbookError(
                    f"{book.name} : ce classeur est un modèle du programme « "
                    f"{meta.get('programme_label', stamped)} » ; "
                    f"--programme {programme} : {exc} Relancez sans --programme."
                ) from exc
            if profile.id != stamped:
                raise WorkbookError(
                    f"{book.name} : ce classeur est un modèle du programme « "
                    f"{meta.get('programme_label', stamped)} », "
                    f"pas « {profile.label} ». Relancez sans --programme, ou générez le modèle du "
                    "bon programme."
                )
        elif stamped in available_profiles():  # an id, never a path taken from the file
            profile = load_profile(stamped)
        else:
            raise WorkbookError(
                f"{book.name} : ce classeur est un modèle du programme « "
                f"{meta.get('programme_label', stamped)} », "
                "que cette version de sofi-bulk ne connaît pas (programmes connus : "
                f"{', '.join(available_profiles())}). "
                "Donnez son fichier de profil avec --programme, ou générez un nouveau modèle "
                "(sofi-bulk template --programme …) et recopiez-y vos lignes."
            )
        notices.extend(_layout_notices(book, profile))
    else:
        profile = load_profile(programme or DEFAULT_PROGRAMME)
    if referentiel is not None:
        ref = referentiel
    else:
        embedded = _embedded(book)
        if embedded is None and fallback is None:
            raise WorkbookError(
                f"{book.name} : ce classeur ne contient pas de copie du référentiel ; "
                "donnez le référentiel de la Région avec --referentiel."
            )
        ref = embedded if embedded is not None else fallback()  # type: ignore[misc]
    if not meta:
        notices.append(
            make_issue(
                "metadonnees-absentes",
                "Sessions",
                None,
                programme=profile.label,
                referentiel=Path(ref.source).name or "d'exemple",
            )
        )
    elif referentiel is not None:  # the user's référentiel wins; say so when it differs
        expected = meta.get("referentiel_fingerprint", "")
        lots = [n for n in meta.get("lots", "").split(";") if n]
        actual = ref.subset([lot for n in lots if (lot := ref.find_lot(n))]).fingerprint()
        if expected and actual != expected:
            notices.append(
                make_issue(
                    "referentiel-different", "Sessions", None, expected=expected, actual=actual
                )
            )
    return Context(profile, ref, notices)


def embedded_referentiel(book: WorkbookInput) -> Referentiel | None:
    """The copy of the référentiel a workbook carries (None without one), refused
    (``WorkbookError``) when it was damaged or edited."""
    return _embedded(book)


def _embedded(book: WorkbookInput) -> Referentiel | None:
    """The référentiel the template carries, refused when it was damaged or edited."""
    if not book.referentiel_json:
        return None
    advice = "Donnez le référentiel avec --referentiel, ou générez un nouveau modèle."
    try:
        ref = Referentiel.from_json(book.referentiel_json, source=f"{book.name} (intégré)")
        actual = ref.fingerprint()  # a lone surrogate in the copy fails here (UnicodeError)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise WorkbookError(
            f"{book.name} : la copie du référentiel de la feuille cachée {META_SHEET} est "
            f"illisible. {advice}"
        ) from exc
    expected = book.meta.get("referentiel_fingerprint", "")
    if not expected:  # the copy cannot be verified: never trusted silently
        raise WorkbookError(
            f"{book.name} : la copie du référentiel de la feuille cachée {META_SHEET} n'a plus "
            "son empreinte (ligne referentiel_fingerprint) : elle ne peut pas être vérifiée. "
            f"{advice}"
        )
    if actual != expected:
        raise WorkbookError(
            f"{book.name} : la copie du référentiel de la feuille cachée {META_SHEET} a été "
            f"modifiée. {advice}"
        )
    return ref


# --- another layout -----------------------------------------------------------------------
def _layout_notices(book: WorkbookInput, profile: Profile) -> list[Issue]:
    """Nothing for a workbook of the current layout; for another one, a notice per sheet
    naming the optional columns added since, or a refusal when it cannot be read right.

    A workbook stamped before the stamps were computed (``LEGACY_FORMAT``) carries no
    signature: it is read by its headers, as it always was."""
    current = column_signature(profile)
    stamp = layout_stamp(current)
    meta = book.meta
    if meta.get("template_version") == profile.template_version:  # the programme's version
        if meta.get("format") in (stamp, LEGACY_FORMAT):
            return []
        carried = _carried_signature(meta)
        if carried is not None:
            return _compare_layouts(book, profile, current, carried)
    raise WorkbookError(  # or a layout that cannot be compared with the current one
        f"{book.name} : ce classeur vient d'une autre version du modèle "
        f"({meta.get('template_version', '?')}, format {meta.get('format', '?')}) ; la "
        f"version en vigueur est {profile.template_version} (format {stamp}). Générez un "
        "nouveau modèle qui reprend vos lignes : sofi-bulk template --reprendre "
        f"{book.name} -o nouveau.xlsx."
    )


def _carried_signature(meta: dict[str, str]) -> Signature | None:
    """The column signature the template wrote beside its stamp, when it still matches it."""
    text = meta.get("columns", "")
    try:
        signature = json.loads(text) if text else None
        if signature is None or layout_stamp(signature) != meta.get("format"):
            return None
    except (ValueError, TypeError, RecursionError):
        return None
    well_formed = isinstance(signature, dict) and all(
        isinstance(columns, list)
        and all(isinstance(c, list) and len(c) == 4 and isinstance(c[0], str) for c in columns)
        for columns in signature.values()
    )
    return signature if well_formed else None


def _compare_layouts(
    book: WorkbookInput, profile: Profile, current: Signature, carried: Signature
) -> list[Issue]:
    """What the workbook's layout (``carried``) lacks or reads otherwise than the current
    one. A column the user removed from their own workbook is left to the check, as in a
    workbook of the current layout (``colonne-manquante`` for a required one)."""
    from sofi_bulk.core.validate import find_sheet, map_sheet

    required: list[str] = []
    changed: list[str] = []
    refilled: list[str] = []
    notices: list[Issue] = []
    for sheet in DATA_SHEETS:
        actual = find_sheet(book, sheet)
        smap = map_sheet(sheet, book.sheets[actual], []) if actual is not None else None
        if smap is None:  # an absent sheet, or one without headers: the check says so
            continue
        before = {c[0]: c for c in carried.get(sheet, [])}
        parts = [(f, part) for f in FIELDS if f.sheet == sheet for part in range(f.columns)]
        lacking: list[str] = []
        for (fld, part), (header, read_as, needed, prefill) in zip(
            parts, current[sheet], strict=True
        ):
            where = f"« {header} » (feuille {sheet})"
            if (fld.key, part) not in smap.columns:
                if fld.key in profile.fixed or header in before:
                    continue  # the programme's value; or a column the user removed
                if needed and part == 0:
                    required.append(where)
                else:
                    lacking.append(f"« {header} »")
                continue
            old = before.get(header)
            if old is not None and old[1] != read_as:
                changed.append(
                    f"la colonne {where} se lisait comme {_kind_text(old[1])}, elle se lit "
                    f"aujourd'hui comme {_kind_text(read_as)}"
                )
            elif old is not None and old[3] != prefill:
                refilled.append(where)
        if lacking:
            one = len(lacking) == 1
            notices.append(
                make_issue(
                    "colonnes-facultatives-absentes",
                    sheet,
                    None,
                    cols=("la colonne facultative " if one else "les colonnes facultatives ")
                    + ", ".join(lacking),
                    read="elle est lue comme vide" if one else "elles sont lues comme vides",
                )
            )
    advice = (
        "Générez un nouveau modèle qui reprend vos lignes : sofi-bulk template --reprendre "
        f"{book.name} -o nouveau.xlsx."
    )
    if required:
        raise WorkbookError(
            f"{book.name} : ce classeur vient d'une autre version du modèle, sans "
            f"{'la colonne obligatoire' if len(required) == 1 else 'les colonnes obligatoires'} "
            f"{', '.join(required)} : il ne peut pas être contrôlé. {advice}"
        )
    if changed:
        raise WorkbookError(
            f"{book.name} : ce classeur vient d'une autre version du modèle, où "
            f"{' ; '.join(changed)} : ses valeurs seraient mal comprises. {advice}"
        )
    if refilled:
        raise WorkbookError(
            f"{book.name} : ce classeur vient d'une autre version du modèle, où la valeur "
            f"pré-remplie {'de la colonne' if len(refilled) == 1 else 'des colonnes'} "
            f"{', '.join(refilled)} a changé depuis : ses lignes laissées vides ne se "
            f"distinguent plus des lignes saisies. {advice}"
        )
    return notices


def _kind_text(read_as: str) -> str:
    kind, _, table = read_as.partition(":")
    return f"« {kind} » (liste {table})" if table else f"« {kind} »"
