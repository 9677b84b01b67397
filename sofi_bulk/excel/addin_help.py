"""The Aide sheet's paragraph on the Excel add-in: where to get it. A template handed out by
the service, or made with ``--service``, names the service's page « Contrôler dans Excel »
(the texts to paste are there); any other says whom to ask for it. Never a file the user
does not have."""

from __future__ import annotations

from dataclasses import dataclass

from sofi_bulk.distribution import ADDIN_BUTTONS, page_url

TITLE = "Contrôler dans Excel (complément xlwings Lite)"
CONTROL_BUTTON = ADDIN_BUTTONS["controler"]


@dataclass(frozen=True)
class AddinHelp:
    title: str
    intro: str
    where: str  # the paragraph that says where the page is
    steps: list[str]
    note: str
    page: str | None  # the service's page, which ``where`` names and links to

    @property
    def paragraphs(self) -> list[str]:
        return [self.intro, self.where, *self.steps, self.note]

    @property
    def page_paragraph(self) -> int | None:
        """Which of ``paragraphs`` names the page."""
        return 1 if self.page else None


def addin_help(service: str | None) -> AddinHelp:
    """The add-in's paragraph of the Aide sheet, for a template of ``service`` (its address)
    or of no service."""
    page = page_url(service) if service else None
    intro = (
        "Dans Excel (Microsoft 365 ou Office 2021 et plus, sous Windows, macOS ou dans le "
        "navigateur), sans installer Python : le complément gratuit xlwings Lite ajoute à ce "
        f"classeur un bouton « {CONTROL_BUTTON} » qui colore les erreurs sur place, avec une "
        "note sur chacune, et les liste dans une feuille « Erreurs »."
    )
    where = (
        f"Mode d'emploi et textes à coller : page « Contrôler dans Excel » du service, {page}"
        if page
        else "Le mode d'emploi et les deux textes à coller sont sur la page « Contrôler dans "
        "Excel » du service « Déposer son offre » du Carif-Oref : demandez-en l'adresse au "
        "Carif-Oref si vous ne l'avez pas."
    )
    steps = [
        "Dans Excel, onglet Accueil > Compléments : cherchez « xlwings Lite » et ajoutez-le "
        "(une fois pour toutes).",
        "Ouvrez ce classeur, puis le volet xlwings Lite (bouton au bout de l'onglet Accueil). "
        "Collez dans ses onglets requirements.txt et main.py les deux textes de la page, puis "
        "enregistrez le classeur.",
        f"Cliquez sur « {CONTROL_BUTTON} ». Les exports (soumission JSON, fichier LHEO) "
        "s'écrivent dans le panneau Files du volet, d'où vous les téléchargez.",
    ]
    note = (
        "LibreOffice ne fait pas tourner xlwings Lite : contrôlez le classeur sur la page web du "
        "service ou avec la commande sofi-bulk validate."
    )
    return AddinHelp(TITLE, intro, where, steps, note, page)
