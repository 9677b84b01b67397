"""Write schemas/submission.schema.json from the models: python -m sofi_bulk.schema"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sofi_bulk.models import submission_schema
from sofi_bulk.resources import PACKAGE_DIR


def schema_text() -> str:
    return json.dumps(submission_schema(), ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PACKAGE_DIR.parent / "schemas" / "submission.schema.json"
    target.write_text(schema_text(), encoding="utf-8")
    print(f"Schéma écrit : {target}")


if __name__ == "__main__":
    main()
