"""Decide which programme profile and référentiel a workbook is checked against.

The template stamps its programme, versions and the référentiel it was made from in
the hidden ``_meta`` sheet; a workbook of another programme or template version is
refused plainly, with what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sofi_bulk.core.errors import UserError, WorkbookError
from sofi_bulk.core.issues import Issue, make_issue
from sofi_bulk.core.layout import FORMAT_VERSION, META_SHEET
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
        if (
            meta.get("format") != FORMAT_VERSION
            or meta.get("template_version") != profile.template_version
        ):
            raise WorkbookError(
                f"{book.name} : ce classeur vient d'une autre version du modèle "
                f"({meta.get('template_version', '?')}, format {meta.get('format', '?')}) ; la "
                "version en "
                f"vigueur est {profile.template_version} (format {FORMAT_VERSION}). Générez un "
                "nouveau modèle "
                "avec « sofi-bulk template » et recopiez-y vos lignes (collage spécial > valeurs)."
            )
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
