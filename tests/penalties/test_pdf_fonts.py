"""PDF size: the CJK faces are subset per document (regulator/pdf.py), embedded and subset, text still extractable."""

import re
import subprocess

import pytest
from django.core.files.storage import default_storage

from penalties import services
from penalties.pdf import render_document
from regulator import pdf

FONT_ROW = re.compile(r"^(?P<name>\S+)\s.*\s(?P<emb>yes|no)\s+(?P<sub>yes|no)\s+(?P<uni>yes|no)\s+\d+\s+\d+\s*$")


def pdffonts(content: bytes, tmp_path) -> list[dict]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(content)
    output = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [match.groupdict() for line in output.splitlines()[2:] if (match := FONT_ROW.match(line))]


def pdftext(content: bytes, tmp_path) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(content)
    output = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(output.split())


@pytest.fixture
def approved_order(users, institution, django_capture_on_commit_callbacks):
    order = services.order_draft(
        actor=users["education_inspector"],
        institution_id=institution.pk,
        items=[
            {"text": "未公示收费项目和标准", "legal_basis": "《价格法》第十三条"},
            {"text": "消防通道堵塞", "legal_basis": "《消防法》第二十八条"},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):  # the render task runs on commit
        services.order_approve(actor=users["education_head"], order_id=order.pk)
    order.refresh_from_db()
    return order


def test_one_page_order_notice_is_small_with_every_face_embedded_and_subset(approved_order, tmp_path):
    with default_storage.open(approved_order.pdf.name, "rb") as handle:
        content = handle.read()
    assert len(content) < 100_000  # ~300 KB when WeasyPrint subset the whole CJK faces itself
    fonts = pdffonts(content, tmp_path)
    assert len(fonts) >= 2  # regular and bold (the heading)
    for font in fonts:
        assert (font["emb"], font["sub"], font["uni"]) == ("yes", "yes", "yes"), font
        # GB/T 9704 faces: no 小标宋 or 仿宋_GB2312 on the test machine, so both are Noto Serif CJK SC's
        assert font["name"].split("+", 1)[1].startswith("Noto-Serif-CJK-SC-Subset"), font
    text = pdftext(content, tmp_path)
    assert "限期整改通知书" in text and approved_order.number in text
    assert "未公示收费项目和标准" in text and "《消防法》第二十八条" in text


def test_without_the_subsetter_the_same_notice_prints_with_the_whole_faces(approved_order, monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "_source_faces", lambda family=None: ())
    content = render_document("order", approved_order, verify_url="https://example.org/verify/x/")
    fonts = pdffonts(content, tmp_path)
    assert fonts and all(font["name"].split("+", 1)[1].startswith("Noto-Serif-CJK-SC") for font in fonts)
    assert not any("Subset" in font["name"] for font in fonts)
    assert "限期整改通知书" in pdftext(content, tmp_path)


def test_a_character_outside_the_subset_falls_back_to_the_whole_face(monkeypatch, tmp_path):
    # Only the ASCII characters go into the subset: the Chinese text must print from the installed face.
    monkeypatch.setattr(pdf, "document_characters", lambda source: pdf.ALWAYS)
    content = pdf.write_pdf(
        '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC Subset\', \'Noto Sans CJK SC\'">'
        "Order 42 整改通知</body></html>"
    )
    names = {font["name"].split("+", 1)[1] for font in pdffonts(content, tmp_path)}
    assert names == {"Noto-Sans-CJK-SC-Subset", "Noto-Sans-CJK-SC"}
    assert "Order42整改通知" in pdftext(content, tmp_path)


def test_document_characters_cover_text_entities_and_generated_content():
    characters = pdf.document_characters("<p>罚款&lt;2&#x4E07;&gt;</p><style>x{content:'第'}</style>")
    assert {"罚", "款", "<", ">", "2", "万", "第"} <= characters
    assert {"0", "9", "/", " "} <= characters  # page counters


def test_the_font_families_are_a_setting_and_the_first_installed_one_is_used(settings):
    settings.PDF_BODY_FONT_FAMILIES = ("仿宋_GB2312", "FangSong", "Noto Sans CJK SC")
    settings.PDF_TITLE_FONT_FAMILIES = ("方正小标宋简体", "Noto Serif CJK SC")
    assert pdf.font_stack("body").startswith('"Noto Sans CJK SC Subset", "Noto Sans CJK SC", "仿宋_GB2312"')
    assert pdf.font_stack("title").startswith('"Noto Serif CJK SC Subset", "Noto Serif CJK SC"')
    settings.PDF_BODY_FONT_FAMILIES = ("No Such Face",)
    assert pdf.font_stack("body") == '"No Such Face Subset", "No Such Face", serif'


def test_body_and_title_faces_are_both_subset(monkeypatch, tmp_path, settings):
    settings.PDF_BODY_FONT_FAMILIES = ("Noto Sans CJK SC",)
    settings.PDF_TITLE_FONT_FAMILIES = ("Noto Serif CJK SC",)
    body, title = pdf.font_stack("body"), pdf.font_stack("title")
    content = pdf.write_pdf(
        f"<html lang='zh-CN'><body style='font-family: {body}'>"
        f"<h1 style='font-family: {title}'>通知书</h1>正文</body></html>"
    )
    names = {font["name"].split("+", 1)[1] for font in pdffonts(content, tmp_path)}
    assert names == {"Noto-Sans-CJK-SC-Subset", "Noto-Serif-CJK-SC-Subset-Bold"}
