"""Read the Région's référentiel from files: an .xlsx with one sheet per table, or a folder
of CSV files named after the tables. The core checks the rows and builds the model."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sofi_bulk.core.referentiel import (
    TABLES,
    Referentiel,
    ReferentielError,
    Rows,
    referentiel_from_tables,
)
from sofi_bulk.core.resources import example_referentiel
from sofi_bulk.core.text import fold
from sofi_bulk.excel.scan import check_xlsx_container, scan_workbook


def load_referentiel(path: str | Path | None = None) -> Referentiel:
    """Read a référentiel (.xlsx or folder of CSV); the bundled example when path is None."""
    src = Path(path) if path is not None else example_referentiel()
    if not src.exists():
        raise ReferentielError(f"Référentiel introuvable : {src}")
    if src.is_dir():
        tables = _read_csv_folder(src)
    elif src.suffix.lower() in (".xlsx", ".xlsm"):
        tables = _read_xlsx(src)
    elif src.suffix.lower() == ".csv":
        raise ReferentielError(
            f"Référentiel {src} : donnez le dossier qui contient lots.csv, organismes.csv, "
            "sites.csv et contacts.csv, pas un seul fichier CSV."
        )
    else:
        raise ReferentielError(
            f"Référentiel {src} : format non reconnu (attendu : .xlsx ou dossier de CSV)."
        )
    return referentiel_from_tables(src, tables)


def _read_xlsx(path: Path) -> dict[str, tuple[str, Rows]]:
    check_xlsx_container(path)
    scan_workbook(path)  # a far-away cell would make the reader allocate a huge grid
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        raise ReferentielError(f"Référentiel {path} illisible : {exc}") from exc
    names = {fold(n): n for n in book.sheet_names}
    tables = {}
    for table in TABLES:
        if table not in names:
            raise ReferentielError(
                f"Référentiel {path} : feuille « {table} » absente "
                f"(feuilles trouvées : {', '.join(book.sheet_names)})."
            )
        rows = book.get_sheet_by_name(names[table]).to_python(skip_empty_area=False)
        tables[table] = (f"feuille « {names[table]} »", rows)
    return tables


def _read_csv_folder(folder: Path) -> dict[str, tuple[str, Rows]]:
    tables = {}
    files = {fold(p.stem): p for p in folder.glob("*.csv")}
    for table in TABLES:
        if table not in files:
            raise ReferentielError(f"Référentiel {folder} : fichier {table}.csv absent.")
        raw = files[table].read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")  # CSV saved by French Excel
        try:
            dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ";", delimiters=";,\t")
            delimiter = dialect.delimiter
        except csv.Error:
            delimiter = ";"
        rows: Rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
        tables[table] = (f"fichier « {files[table].name} »", rows)
    return tables
