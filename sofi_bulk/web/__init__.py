"""« Déposer son offre »: the web face (Django).

Anyone checks a workbook and downloads its annotated copy, nothing stored; organisation
accounts deposit clean workbooks (workbook, JSON, LHEO, in one database transaction);
Carif-Oref staff see every deposit and download one merged LHEO file. Started by
``sofi-bulk serveur``. Nothing here is imported by ``import sofi_bulk`` or by the other
commands: Django loads only when the server starts.
"""
