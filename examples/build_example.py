"""Rebuild the bundled examples: the référentiel .xlsx from its CSV folder, the filled
example workbook, and the blank template in workbook_templates/.

    python examples/build_example.py
"""

from pathlib import Path

from openpyxl import Workbook

from sofi_bulk.core.referentiel import TABLES
from sofi_bulk.excel.referentiel import load_referentiel

HERE = Path(__file__).resolve().parent


def main() -> None:
    ref = load_referentiel(HERE / "referentiel-csv")
    book = Workbook()
    book.remove(book.active)
    for table, (_model, columns) in TABLES.items():
        sheet = book.create_sheet(table)
        sheet.append([c.name for c in columns])
        for obj in getattr(ref, table).values():
            row = []
            for col in columns:
                value = getattr(obj, col.attr)
                row.append(";".join(value) if isinstance(value, tuple) else value)
            sheet.append(row)
        for col in sheet.columns:
            sheet.column_dimensions[col[0].column_letter].width = 22
            for cell in col:
                cell.number_format = "@"
    book.save(HERE / "referentiel-exemple.xlsx")


def build_filled() -> None:
    from sofi_bulk.core.profile import load_profile
    from sofi_bulk.excel.sample import write_deposit_example, write_example
    from sofi_bulk.excel.template import write_template

    write_example(HERE / "saisie-exemple.xlsx")
    write_deposit_example(HERE / "depot-exemple.xlsx")
    blank = HERE.parent / "workbook_templates" / "saisie-prepa-avenir-sup.xlsx"
    write_template(blank, load_profile(), load_referentiel(HERE / "referentiel-exemple.xlsx"))


if __name__ == "__main__":
    main()
    build_filled()
