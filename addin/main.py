"""sofi-bulk dans Excel : ce texte va dans l'onglet main.py de xlwings Lite.

Quatre boutons (volet xlwings Lite, ou Ctrl+Maj+M pour le mode App) : contrôler le
classeur, effacer les marques du contrôle, exporter la soumission JSON et le fichier LHEO
(dans /data, à télécharger depuis le panneau Files).
"""

import xlwings as xw
from xlwings import script

try:
    from sofi_bulk import lite
except ImportError as exc:
    raise ImportError(
        "sofi-bulk n'est pas installé : collez dans l'onglet requirements.txt les lignes de "
        "la page « Contrôler dans Excel », puis menu > Restart."
    ) from exc


@script(name=lite.BUTTONS["controler"], include=lite.SHEETS)
def controler(book: xw.Book):
    """Contrôle le classeur et marque les erreurs sur place (feuille « Erreurs »)."""
    lite.controler(book)


@script(name=lite.BUTTONS["effacer_controle"], include=lite.SHEETS)
def effacer_controle(book: xw.Book):
    """Efface les marques du dernier contrôle."""
    lite.effacer_controle(book)


@script(name=lite.BUTTONS["exporter_soumission"], include=lite.SHEETS)
def exporter_soumission(book: xw.Book):
    """Écrit /data/soumission.json (refusé tant qu'il reste des erreurs)."""
    lite.exporter_soumission(book)


@script(name=lite.BUTTONS["exporter_lheo"], include=lite.SHEETS)
def exporter_lheo(book: xw.Book):
    """Écrit /data/offre.xml, au format LHEO 2.3 (refusé tant qu'il reste des erreurs)."""
    lite.exporter_lheo(book)
