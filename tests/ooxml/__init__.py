"""Every XML part of an .xlsx checked against the ECMA-376 Transitional schemas (``xsd/``,
see SOURCE.md): what Excel opens without offering to repair the file.

One driver schema imports them all; every ``schemaLocation`` (relative or http) is resolved
by file name in ``xsd/``, the network never asked. VML drawings (the notes' shapes) are not
XML Schema documents and are left out, as Excel's own validator does."""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path

from lxml import etree

XSD = Path(__file__).with_name("xsd")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_IMPORTS = {
    "http://www.w3.org/XML/1998/namespace": "xml.xsd",
    _MAIN: "sml.xsd",
    "http://schemas.openxmlformats.org/package/2006/content-types": "opc-contentTypes.xsd",
    "http://schemas.openxmlformats.org/package/2006/relationships": "opc-relationships.xsd",
    "http://schemas.openxmlformats.org/package/2006/metadata/core-properties": (
        "opc-coreProperties.xsd"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties": (
        "shared-documentPropertiesExtended.xsd"
    ),
    "http://schemas.openxmlformats.org/drawingml/2006/main": "dml-main.xsd",
}


class _ByName(etree.Resolver):
    def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
        local = XSD / str(url).rsplit("/", 1)[-1]
        return self.resolve_filename(str(local), context) if local.is_file() else None


@cache
def schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_ByName())
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{name}"/>' for ns, name in _IMPORTS.items()
    )
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    tree = etree.parse(io.BytesIO(driver.encode()), parser, base_url=str(XSD / "driver.xsd"))
    return etree.XMLSchema(tree)


def xlsx_errors(data: bytes) -> list[str]:
    """Each schema error of the file's parts, as « part, line: message »; none when valid."""
    checker = schema()
    errors: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            tree = etree.fromstring(archive.read(name), etree.XMLParser(resolve_entities=False))
            for text in tree.iter(f"{{{_MAIN}}}t"):
                text.attrib.pop(_XML_SPACE, None)
            if not checker.validate(tree):
                errors += [f"{name}, ligne {e.line} : {e.message}" for e in checker.error_log]
    return errors
