"""The package's shape holds: the core loads no file format, each folder imports only what
its role allows, the faces go through the front door (``sofi_bulk.api``), and no two
modules import each other (even through function-level imports)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "sofi_bulk"
HEAVY = [
    "openpyxl",
    "python_calamine",
    "re2",
    "lxml",
    "jsonschema",
    "defusedxml",
    "click",
    "rich",
    "xlwings",
    "django",
    "pydantic",  # validates profile files and the submission: not needed to check a workbook
]
CORE, ADAPTERS, FRONT, TOOL, FACES = "core", "adapter", "front door", "tool", "face"
ROLES = {
    "core": CORE,
    "excel": ADAPTERS,
    "submission": ADAPTERS,
    "lheo": ADAPTERS,
    "reprise": ADAPTERS,  # an existing offer (LHEO, JSON, workbook) read back into rows
    "files": ADAPTERS,
    "distribution": ADAPTERS,  # the add-in's wheel, main.py and requirements.txt
    # the library's functions; the package's root re-exports them (lazily)
    "api": FRONT,
    "__init__": FRONT,
    # generates the documentation from the declarations themselves (catalogue, issue codes,
    # profile, LHEO mapping): a tool of the developers, which no user runs
    "docs": TOOL,
    "cli": FACES,
    "__main__": FACES,  # python -m sofi_bulk: the command line
    "lite": FACES,
    "web": FACES,
    "service": FACES,  # the web face's Django project (settings, WSGI, processes)
}
ALLOWED = {
    CORE: {CORE},
    ADAPTERS: {CORE, ADAPTERS},
    FRONT: {CORE, ADAPTERS, FRONT},
    TOOL: {CORE, ADAPTERS, FRONT},
    FACES: {CORE, ADAPTERS, FRONT, FACES},  # and, more narrowly, FACE_MAY_IMPORT below
}

# What a face may import besides the front door and its own package: the core's display
# helpers, which say or place what the front door returns (French text, the report's
# counts, the errors' messages, the annotation plan and where its cells sit).
DISPLAY_HELPERS = {
    "sofi_bulk.core.errors",  # UserError and its French message; os_reason
    "sofi_bulk.core.text",  # French numbers, plurals, dates
    "sofi_bulk.core.report",  # the report's data: counts per code, JSON report
    "sofi_bulk.core.plan",  # the annotation plan the faces paint
    "sofi_bulk.core.layout",  # where sheets, header rows and tool columns sit
    "sofi_bulk.core.cells",  # A1 references
}
FACE_OF = {"cli": "cli", "__main__": "cli", "lite": "lite", "web": "web", "service": "web"}
# Temporary, and named: each is being rewritten to go through the front door; remove the
# line when it is done (test_the_exemptions_are_still_needed says when).
EXEMPT: dict[str, str] = {}
# One face starting another, declared: `sofi-bulk serveur` and `sofi-bulk travailleur` start
# the web service's processes (they reach no check, export or file through it).
FACE_STARTS = {("sofi_bulk.cli.server", "sofi_bulk.service.server")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def imports_of(name: str, path: Path) -> set[str]:
    """Every sofi_bulk module ``path`` imports, at module level or inside functions."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1]
                    + ([base] if base else [])
                )
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        for target in targets:
            if target.startswith("sofi_bulk") and target != name:
                while target not in known and "." in target:
                    target = target.rpartition(".")[0]
                if target != name:
                    found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    # a package's __init__ is imported with any of its modules: not an edge of its own
    return {name: imports_of(name, path) for name, path in modules().items()}


def role(name: str) -> str:
    parts = name.split(".")
    return ROLES[parts[1] if len(parts) > 1 else "__init__"]


def test_every_module_has_a_role():
    for name in modules():
        assert role(name) in ALLOWED, name


def test_each_layer_imports_only_what_its_role_allows():
    wrong = [
        f"{name} ({role(name)}) -> {target} ({role(target)})"
        for name, targets in graph().items()
        for target in targets
        if target != "sofi_bulk" and role(target) not in ALLOWED[role(name)]
    ]
    assert not wrong, "\n".join(wrong)


def face(name: str) -> str | None:
    parts = name.split(".")
    return FACE_OF.get(parts[1] if len(parts) > 1 else "")


def exempt(name: str) -> bool:
    return any(name == e or name.startswith(e + ".") for e in EXEMPT)


def face_violations(edges: dict[str, set[str]]) -> list[str]:
    """Each import of a face that is neither the front door, a display helper nor its own
    package."""
    wrong = []
    for name, targets in edges.items():
        own = face(name)
        if own is None:
            continue
        for target in sorted(targets):
            if target in ("sofi_bulk", "sofi_bulk.api") or target in DISPLAY_HELPERS:
                continue
            if face(target) == own or (name, target) in FACE_STARTS:
                continue
            wrong.append(f"{name} -> {target}")
    return wrong


def test_the_faces_go_through_the_front_door():
    """cli, lite and web call sofi_bulk.api (and say its results with the display helpers):
    a second road to a check, an export or a file cannot come back."""
    wrong = [w for w in face_violations(graph()) if not exempt(w.split(" -> ")[0])]
    assert not wrong, "\n".join(wrong)


def test_the_exemptions_are_still_needed():
    """An exemption that nothing uses any more is removed, not kept as a door left open."""
    violations = [w.split(" -> ")[0] for w in face_violations(graph())]
    for prefix in EXEMPT:
        assert any(name == prefix or name.startswith(prefix + ".") for name in violations), prefix


def test_the_front_door_rule_sees_a_face_going_around_it():
    edges = {
        "sofi_bulk.cli.app": {"sofi_bulk.api", "sofi_bulk.cli.term", "sofi_bulk.core.text"},
        "sofi_bulk.lite.scripts": {"sofi_bulk.excel.reader", "sofi_bulk.core.validate"},
        "sofi_bulk.__main__": {"sofi_bulk.cli"},
        "sofi_bulk.cli.term": {"sofi_bulk.lite.reader"},
        "sofi_bulk.excel.copy": {"sofi_bulk.core.validate"},  # an adapter: not a face
    }
    assert face_violations(edges) == [
        "sofi_bulk.lite.scripts -> sofi_bulk.core.validate",
        "sofi_bulk.lite.scripts -> sofi_bulk.excel.reader",
        "sofi_bulk.cli.term -> sofi_bulk.lite.reader",
    ]


def test_the_core_imports_nothing_but_the_core_the_standard_library_and_pydantic():
    allowed = set(sys.stdlib_module_names) | {"pydantic", "sofi_bulk", "__future__"}
    wrong = []
    for name, path in modules().items():
        if role(name) != CORE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            roots = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            for root in roots:
                top = root.split(".")[0]
                if top not in allowed or (
                    top == "sofi_bulk" and not root.startswith("sofi_bulk.core")
                ):
                    wrong.append(f"{name}: {root}")
    assert not wrong, wrong


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return cycles


def test_there_is_no_import_cycle():
    edges = {name: {t for t in targets if t != "sofi_bulk"} for name, targets in graph().items()}
    cycles = find_cycles(edges)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_test_sees_function_level_imports_and_finds_cycles(tmp_path):
    path = tmp_path / "x.py"
    path.write_text("def f():\n    from sofi_bulk.core import rules\n", encoding="utf-8")
    assert imports_of("sofi_bulk.core.x", path) == {"sofi_bulk.core.rules"}
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


LIGHT_CHECK = """
import datetime, json, sys
import sofi_bulk
after_root = sorted(m for m in sys.modules if m.split('.')[0] in {heavy})
import sofi_bulk.core
from sofi_bulk.core.context import resolve_context
from sofi_bulk.core.validate import validate_book
from sofi_bulk.core.workbook import WorkbookInput
sheets = json.loads(sys.stdin.read(), object_hook=None)
book = WorkbookInput.from_sheets("exemple.xlsx", sheets)
ctx = resolve_context(book)
result = validate_book(book, ctx.profile, ctx.referentiel, ctx.notices,
                       today=datetime.date(2025, 1, 2))
front = sofi_bulk.check(sheets, name="exemple.xlsx")
plan = sofi_bulk.plan(front)
loaded = sorted(m for m in sys.modules if m.split('.')[0] in {heavy})
print(json.dumps({{"root": after_root, "loaded": loaded, "sessions": len(result.sessions),
                  "issues": len(result.issues), "front": len(front.sessions),
                  "marks": len(plan.marks)}}))
"""


def test_checking_plain_rows_loads_no_file_format_library(sample_input):
    """import sofi_bulk, the core, and a check of the bundled example given as plain rows:
    none of openpyxl, python-calamine, re2, lxml, jsonschema, defusedxml, click, rich, xlwings,
    pydantic."""
    from sofi_bulk.excel.reader import read_workbook

    example = read_workbook(ROOT / "examples" / "saisie-exemple.xlsx")
    sheets = dict(example.sheets)
    sheets["_meta"] = [
        ["clé", "valeur"],
        *([k, v] for k, v in example.meta.items()),
        ["referentiel_json", example.referentiel_json],
    ]
    payload = json.dumps(sheets, default=str)
    code = LIGHT_CHECK.format(heavy=set(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=payload,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["root"] == [] and out["loaded"] == [], out
    assert out["sessions"] == 6 and out["front"] == 6


@pytest.mark.parametrize("heavy", ["openpyxl", "python_calamine", "re2", "lxml", "pydantic"])
def test_the_light_check_would_notice_a_heavy_import(heavy):
    """The subprocess check is not vacuous: importing an adapter does load its library."""
    code = (
        "import sys, sofi_bulk, sofi_bulk.excel.copy, sofi_bulk.lheo.convert; "
        "sofi_bulk.read('examples/saisie-exemple.xlsx'); "
        f"print({heavy!r} in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.stdout.strip() == "True", done.stderr


def test_checking_a_workbook_file_does_not_import_pydantic():
    """The check of a file reads the bundled profile and the template's copy of the
    référentiel as plain dataclasses: importing pydantic would cost 0.1 s of CPU at each run
    (see the README's Performance section); a profile file given by path still imports it."""
    code = (
        "import sys, sofi_bulk; r = sofi_bulk.check('examples/saisie-exemple.xlsx'); "
        "print(len(r.sessions), 'pydantic' in sys.modules); "
        "from sofi_bulk.core.profile import load_profile_file, profiles_dir; "
        "load_profile_file(profiles_dir() / 'prepa-avenir-sup.json'); "
        "print('pydantic' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.stdout.split() == ["6", "False", "True"], done.stderr
