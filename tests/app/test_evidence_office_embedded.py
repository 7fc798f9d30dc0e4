"""sniff() on Office files (issue 19, review of item 11): macros in legacy .doc/.xls, script
links behind character references in OpenDocument, embedded objects and packages in OOXML
and OpenDocument, macro markers that only an XML parser reads right. Benign look-alikes pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.evidence import RefusedFile, sniff
from tests.app import test_evidence_samples as samples

ODT = "application/vnd.oasis.opendocument.text"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
CHART_RELS = "word/charts/_rels/chart1.xml.rels"


def refusal(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "bukti.bin"
    path.write_bytes(data)
    with pytest.raises(RefusedFile) as caught:
        sniff(path)
    return caught.value.code


def kind(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "bukti.bin"
    path.write_bytes(data)
    return sniff(path).kind


def docx_embedding(part: str, data: bytes, relationship: str = "oleObject") -> bytes:
    rels = samples.relationships((relationship, part.removeprefix("word/"), None))
    return samples.docx({DOCUMENT_RELS: rels, part: data})


def docx_with_chart(workbook: bytes) -> bytes:
    """What Word writes for a chart: the chart part, and its data as an embedded workbook."""
    return samples.docx({
        DOCUMENT_RELS: samples.relationships(("chart", "charts/chart1.xml", None)),
        "word/charts/chart1.xml": b'<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"/>',
        CHART_RELS: samples.relationships(("package", "../embeddings/Microsoft_Excel_Worksheet.xlsx", None)),
        "word/embeddings/Microsoft_Excel_Worksheet.xlsx": workbook,
    })


# --- legacy .doc and .xls ------------------------------------------------------------------


@pytest.mark.parametrize(
    "streams",
    [
        pytest.param(("WordDocument", "Macros", "VBA", "_VBA_PROJECT"), id="Word macros"),
        pytest.param(("Workbook", "_VBA_PROJECT_CUR", "VBA"), id="Excel macros"),
        pytest.param(("WordDocument", "MACROS"), id="Word macros in capitals"),
        pytest.param(("Book", "_vba_project_cur"), id="Excel 5 macros in lower case"),
    ],
)
def test_legacy_office_file_with_macros(tmp_path, streams):
    assert refusal(tmp_path, samples.ole(*streams)) == "office_macros"


@pytest.mark.parametrize(
    "streams",
    [
        pytest.param(("WordDocument", "ObjectPool", "_1234", "\x01Ole10Native"), id="package"),
        pytest.param(("WordDocument", "ObjectPool", "_1235", "Equation Native"), id="Equation Editor"),
    ],
)
def test_legacy_word_file_with_a_dangerous_embedded_object(tmp_path, streams):
    assert refusal(tmp_path, samples.ole(*streams)) == "office_embedded"


def test_legacy_files_with_an_embedded_chart_or_many_entries_pass(tmp_path):
    chart = ("WordDocument", "1Table", "ObjectPool", "_1236", "\x01CompObj", "Workbook")
    assert kind(tmp_path, samples.ole(*chart)) == "doc"
    assert kind(tmp_path, samples.ole("A", "B", "C", "D", "E", "F", "G", "Workbook")) == "xls"  # 3 directory sectors


def test_macro_names_outside_the_directory_do_not_count(tmp_path):
    text = "Macros VBA _VBA_PROJECT".encode("utf-16-le") * 20
    assert kind(tmp_path, samples.ole("WordDocument", filler=text)) == "doc"


# --- OpenDocument links behind character references ----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(b'<text:a xlink:href="vnd.sun.star.scr&#105;pt:Tools.Misc.X?language=Basic">x</text:a>',
                     id="decimal reference"),
        pytest.param(b'<text:a xlink:href="macr&#111;:///Tools.Misc.X">x</text:a>', id="in macro:"),
        pytest.param(b'<text:a xlink:href="&#x6D;&#x61;cro&#x3A;///Tools.Misc.X">x</text:a>', id="hexadecimal"),
        pytest.param(b'<form:property form:property-name="TargetURL" office:value-type="string" '
                     b'office:string-value="vnd.sun.star.scr&#x69;pt:Standard.Module1.Main"/>',
                     id="button target"),
    ],
)
def test_opendocument_script_link_behind_character_references(tmp_path, text):
    assert refusal(tmp_path, samples.opendocument(ODT, text=b"<text:p>" + text + b"</text:p>")) == "office_macros"


def test_opendocument_script_link_behind_an_entity_of_its_own(tmp_path):
    """libxml2 (as LibreOffice uses it) expands `&s;` in an attribute even with entity resolution off."""
    link = b'<text:p><text:a xlink:href="vnd.sun.star.&s;:Tools.Misc.X?language=Basic">x</text:a></text:p>'
    content = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY s "script">]>' + samples.ODF_CONTENT % link
    assert refusal(tmp_path, samples.opendocument(ODT, {"content.xml": content})) == "corrupt"


def test_opendocument_text_about_scripts_passes(tmp_path):
    text = (b"<text:p>Contoh &lt;script&gt; &amp; macro&#58; dalam teks, bukan tautan.</text:p>"
            b'<text:p><text:a xlink:href="https://kla.go.id/?a=1&amp;b=&#50;">KLA</text:a></text:p>')
    assert kind(tmp_path, samples.opendocument(ODT, text=text)) == "odt"


# --- embedded objects in OOXML and OpenDocument --------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(docx_embedding("word/embeddings/oleObject1.bin", samples.ole("\x01Ole10Native")), id="package"),
        pytest.param(docx_embedding("word/embeddings/oleObject2.bin", samples.ole("Equation Native")),
                     id="Equation Editor"),
        pytest.param(docx_embedding("word/embeddings/oleObject3.bin", samples.ole("CONTENTS")), id="other program"),
        pytest.param(docx_embedding("word/media/image1.png", samples.ole("\x01Ole10Native")),
                     id="package named as a picture"),
        pytest.param(samples.docx({DOCUMENT_RELS: samples.relationships(("control", "activeX/activeX1.xml", None)),
                                   "word/activeX/activeX1.xml": b"<ax:ocx/>"}), id="ActiveX control"),
        pytest.param(samples.docx({"word/embeddings/Doc.docx": docx_with_chart(samples.xlsx())}),
                     id="package inside a package"),
        pytest.param(samples.opendocument(ODT, {"Object 1": samples.ole("\x01Ole10Native")}),
                     id="package in OpenDocument"),
    ],
)
def test_embedded_object_that_can_run(tmp_path, data):
    assert refusal(tmp_path, data) == "office_embedded"


def test_embedded_workbook_with_macros(tmp_path):
    assert refusal(tmp_path, docx_with_chart(samples.xlsx({"xl/vbaProject.bin": b"\xcc"}))) == "office_macros"
    assert refusal(tmp_path, docx_embedding("word/embeddings/sheet.xls", samples.ole("Workbook", "_VBA_PROJECT_CUR"))) \
        == "office_macros"


def test_chart_data_pictures_and_old_embedded_workbooks_pass(tmp_path):
    assert kind(tmp_path, docx_with_chart(samples.xlsx())) == "docx"
    assert kind(tmp_path, docx_embedding("word/embeddings/Microsoft_Excel_97-2003_Worksheet.xls",
                                         samples.ole("Workbook"))) == "docx"
    assert kind(tmp_path, docx_embedding("word/media/image1.png", samples.png(), "image")) == "docx"


# --- macro markers that only an XML parser reads right -------------------------------------


def test_macro_content_type_behind_a_character_reference(tmp_path):
    types = samples.CONTENT_TYPES.replace(b"/>", b'><Override PartName="/word/x.bin" '
                                                 b'ContentType="application/vnd.ms-office.vba&#80;roject"/></Types>')
    assert refusal(tmp_path, samples.docx({"[Content_Types].xml": types})) == "office_macros"


def test_macro_relationship_type_in_other_case(tmp_path):
    rels = samples.relationships(("oleObject", "x.bin", None)).replace(
        b"officeDocument/2006/relationships/oleObject", b"office/2006/relationships/VBAProject")
    assert refusal(tmp_path, samples.docx({DOCUMENT_RELS: rels, "word/x.bin": b"x"})) == "office_macros"
