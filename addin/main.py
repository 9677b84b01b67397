"""sofi-bulk dans Excel : collez ce fichier dans l'onglet main.py de xlwings Lite.

Quatre boutons (menu de xlwings Lite, ou Ctrl+Maj+M pour le mode App) : contrôler le
classeur, effacer les marques du contrôle, exporter la soumission JSON et le fichier LHEO
(dans /data, à télécharger depuis le panneau Files).
"""

import xlwings as xw
from xlwings import script

from sofi_bulk import lite


@script(include=lite.SHEETS)
def controler(book: xw.Book):
    """Contrôle le classeur et marque les erreurs sur place (feuille « Erreurs »)."""
    lite.controler(book)


@script(include=lite.SHEETS)
def effacer_controle(book: xw.Book):
    """Efface les marques du dernier contrôle."""
    lite.effacer_controle(book)


@script(include=lite.SHEETS)
def exporter_soumission(book: xw.Book):
    """Écrit /data/soumission.json (refusé tant qu'il reste des erreurs)."""
    lite.exporter_soumission(book)


@script(include=lite.SHEETS)
def exporter_lheo(book: xw.Book):
    """Écrit /data/offre.xml, au format LHEO 2.3 (refusé tant qu'il reste des erreurs)."""
    lite.exporter_lheo(book)
