"""Run under Pyodide by tests/pyodide/test_delivery.py, as xlwings Lite runs a workbook's
code: install the lines of the service's requirements.txt with micropip, run the service's
main.py, click « Contrôler » on each workbook of input.json (a recording Book); print one
JSON line."""

import hashlib
import importlib.metadata
import json
import time
from pathlib import Path

import micropip
from pyodide.http import pyfetch

job = json.loads(Path("input.json").read_text(encoding="utf-8"))
requirements = [line for line in job["requirements"].splitlines() if line.strip()]
started = time.perf_counter()
await micropip.install(requirements, deps=False)  # noqa: F704 (Pyodide runs top-level await)
install_seconds = time.perf_counter() - started

import sofi_bulk  # noqa: E402
from sofi_bulk import lite  # noqa: E402
from sofi_bulk.core.plan import ERRORS_HEADER_ROW, ERRORS_HEADERS  # noqa: E402
from tests.lite.fake import excel_from_file  # noqa: E402

installed = importlib.metadata.distribution("sofi-bulk")
out = {
    "sofi_bulk_from": sofi_bulk.__file__,
    "version": installed.version,
    "installer": installed.read_text("INSTALLER"),
    "source_url": installed.read_text("PYODIDE_URL"),
    "sha256": installed.read_text("PYODIDE_SHA256"),
    "install_seconds": round(install_seconds, 2),  # download and unpacking, on the loopback
    "files": {},
}
# the stable address, followed as a browser does
latest = await pyfetch(job["latest_url"])  # noqa: F704
out["latest_sha256"] = hashlib.sha256(await latest.bytes()).hexdigest()  # noqa: F704
# a page of the service that is not the add-in's: a browser keeps it from the task pane
try:
    await pyfetch(job["other_url"])  # noqa: F704
    out["other_page"] = "lue"
except Exception as exc:  # noqa: BLE001
    out["other_page"] = f"refusée : {exc}"

main = {"__name__": "main"}
exec(compile(job["main_py"], "main.py", "exec"), main)  # the text pasted into Lite
at = {header: index for index, header in enumerate(ERRORS_HEADERS)}
SAID = ("Code", "Feuille", "Cellule", "Message")  # as the command's JSON report gives them
for name in job["files"]:
    excel = excel_from_file(Path(name))
    excel.run(main["controler"], include=lite.SHEETS)
    names = [s.name for s in excel.sheets]
    rows = excel.sheet("Erreurs").rows()[ERRORS_HEADER_ROW:] if "Erreurs" in names else []
    out["files"][name] = {
        "alert": excel.alerts[-1][0],
        "erreurs": [[row[at[h]] for h in SAID] for row in rows],
    }
print("RESULT " + json.dumps(out))
