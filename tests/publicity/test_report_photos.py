"""Report photos (issue 11): decoded and re-encoded without EXIF/GPS before they are stored, the upload itself
never kept; refusals said in Chinese on the page with nothing stored; served only to staff who may see the
report, with the stored kind's type, Content-Disposition and nosniff."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from publicity.models import EntryStatus, Report, ReportAttachment
from tests import upload_samples as samples
from tests.factories import ListEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def institution(institution):
    """The fixture's institution on the published white list, so the public report form offers it."""
    ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED)
    return institution


def _file_report(institution, *photos):
    institution_id = institution.pk
    return Client().post(
        reverse("publicity:report_form") + f"?institution={institution_id}",
        {"institution": institution_id, "content": "周末上学科课", "photos": list(photos), "website": ""},
    )


def _photo(data: bytes, name="IMG_2041.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _new_report() -> Report:
    return Report.objects.get()


def _all_report_files() -> list[str]:
    try:  # an object store has no directories: listdir of a missing prefix is empty there, an error on disk
        directories, _files = default_storage.listdir("reports")
    except FileNotFoundError:
        return []
    return [
        f"reports/{directory}/{name}"
        for directory in directories
        for name in default_storage.listdir(f"reports/{directory}")[1]
    ]


def test_gps_in_the_upload_is_absent_from_the_stored_photo(institution):
    upload = samples.jpeg(with_gps=True, size=(120, 90))
    with Image.open(io.BytesIO(upload)) as original:
        assert original.getexif().get_ifd(0x8825)  # the upload really carries the reporter's position
    before = set(_all_report_files())
    response = _file_report(institution, _photo(upload))
    assert response.status_code == 302
    attachment = ReportAttachment.objects.get(report=_new_report())
    with attachment.file.open("rb") as handle:
        stored = handle.read()
    assert stored != upload and b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (120, 90) and not image.getexif().get_ifd(0x8825) and "exif" not in image.info
    assert set(_all_report_files()) - before == {attachment.file.name}  # the upload itself is stored nowhere


def test_a_script_appended_to_a_jpeg_is_dropped(institution):
    response = _file_report(institution, _photo(samples.jpeg() + b"<script>alert(document.cookie)</script>"))
    assert response.status_code == 302
    attachment = ReportAttachment.objects.get(report=_new_report())
    with attachment.file.open("rb") as handle:
        assert b"<script>" not in handle.read()


def test_an_iphone_heic_photo_is_stored_as_jpeg(institution):
    response = _file_report(institution, _photo(samples.heic(with_gps=True), name="IMG_0001.HEIC"))
    assert response.status_code == 302
    attachment = ReportAttachment.objects.get(report=_new_report())
    assert attachment.content_type == "image/jpeg" and attachment.file.name.endswith(".jpg")
    with attachment.file.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as image:
        assert not image.getexif().get_ifd(0x8825)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (samples.png_bomb(), "图片像素过多"),
        (b"\xff\xd8\xff\xe0" + samples.HTML, "照片无法识别或已损坏"),
        (samples.pdf(), "不是JPEG、PNG、WebP或HEIC图片"),
    ],
    ids=["decompression bomb", "JPEG header then HTML", "a PDF"],
)
def test_a_refused_photo_is_explained_in_chinese_and_nothing_is_stored(institution, data, message):
    reports, before = Report.objects.count(), set(_all_report_files())
    # A good photo first: the whole report is refused, so it is not stored either.
    response = _file_report(institution, _photo(samples.jpeg()), _photo(data, name="bad.png"))
    assert response.status_code == 400 and message in response.content.decode()
    assert Report.objects.count() == reports and not ReportAttachment.objects.exists()
    assert set(_all_report_files()) == before


def test_attachment_is_served_to_staff_only_with_safe_headers(institution, joint_office_client, other_county_client):
    _file_report(institution, _photo(samples.jpeg()))
    report = _new_report()
    attachment = ReportAttachment.objects.get(report=report)
    url = reverse("publicity:report_attachment", args=[report.pk, attachment.pk])
    response = joint_office_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert "filename*=UTF-8''%E4%B8%BE%E6%8A%A5%E9%99%84%E4%BB%B6" in response["Content-Disposition"]
    assert "private" in response["Cache-Control"]
    assert other_county_client.get(url).status_code in (403, 404)
    assert Client().get(url).status_code == 302  # to the login page
