"""Decide which programme profile and référentiel a workbook is checked against.

The template stamps its programme, versions and the référentiel it was made from in
the hidden ``_meta`` sheet; a workbook of another programme or template version is
refused plainly, with what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sofi_bulk.errors import WorkbookError
from sofi_bulk.issues import Issue, make_issue
from sofi_bulk.layout import FORMAT_VERSION, META_SHEET
from sofi_bulk.profile import Profile, available_profiles, load_profile
from sofi_bulk.reader import WorkbookInput
from sofi_bulk.referentiel import Referentiel, load_referentiel


@dataclass
class Context:
    profile: Profile
    referentiel: Referentiel
    notices: list[Issue] = field(default_factory=list)


def resolve_context(book: WorkbookInput, programme: str | None = None,
                    referentiel: str | Path | Referentiel | None = None) -> Context:
    meta = book.meta
    notices: list[Issue] = []
    if meta:
        stamped = meta.get("programme", "")
        if stamped not in available_profiles():  # an id, never a path taken from the file
            raise WorkbookError(
                f"{book.name} : ce classeur est un modèle du programme « {meta.get('programme_label', stamped)} », "
                f"que cette version de sofi-bulk ne connaît pas (programmes connus : {', '.join(available_profiles())}). "
                "Utilisez la version de sofi-bulk qui l'a généré, ou générez un nouveau modèle "
                "(sofi-bulk template --programme …) et recopiez-y vos lignes."
            )
        if programme and Path(programme).stem != stamped and programme != stamped:
            raise WorkbookError(
                f"{book.name} : ce classeur est un modèle du programme « {meta.get('programme_label', stamped)} », "
                f"pas « {programme} ». Relancez sans --programme, ou générez le modèle du bon programme."
            )
        profile = load_profile(programme or stamped)
        if meta.get("format") != FORMAT_VERSION or meta.get("template_version") != profile.template_version:
            raise WorkbookError(
                f"{book.name} : ce classeur vient d'une autre version du modèle "
                f"({meta.get('template_version', '?')}, format {meta.get('format', '?')}) ; la version en "
                f"vigueur est {profile.template_version} (format {FORMAT_VERSION}). Générez un nouveau modèle "
                "avec « sofi-bulk template » et recopiez-y vos lignes (collage spécial > valeurs)."
            )
    else:
        profile = load_profile(programme or "prepa-avenir-sup")
    if isinstance(referentiel, Referentiel):
        ref = referentiel
    elif referentiel is not None:
        ref = load_referentiel(referentiel)
    elif book.referentiel_json:
        try:
            ref = Referentiel.from_json(book.referentiel_json, source=f"{book.name} (intégré)")
        except (ValueError, KeyError, TypeError) as exc:
            raise WorkbookError(
                f"{book.name} : la feuille cachée {META_SHEET} est altérée ({exc}). Donnez le référentiel "
                "avec --referentiel, ou générez un nouveau modèle."
            ) from exc
    else:
        ref = load_referentiel()
    if not meta:
        notices.append(make_issue("metadonnees-absentes", "Sessions", None, programme=profile.label,
                                  referentiel=Path(ref.source).name or "d'exemple"))
    else:
        expected = meta.get("referentiel_fingerprint", "")
        embedded_fp = None
        if book.referentiel_json:
            embedded_fp = Referentiel.from_json(book.referentiel_json).fingerprint()
        if embedded_fp and expected and embedded_fp != expected:
            raise WorkbookError(
                f"{book.name} : le référentiel intégré au classeur (feuille cachée {META_SHEET}) a été modifié. "
                "Générez un nouveau modèle, ou donnez le référentiel avec --referentiel."
            )
        if referentiel is not None and expected:
            lots = [n for n in meta.get("lots", "").split(";") if n]
            actual = ref.subset([lot for n in lots if (lot := ref.find_lot(n))]).fingerprint()
            if actual != expected:
                notices.append(make_issue("referentiel-different", "Sessions", None, expected=expected, actual=actual))
    return Context(profile, ref, notices)
