"""Evidence uploads: type by content, size limits, EXIF/GPS stripped from the display copy, retries."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inspections import services
from inspections.models import Evidence
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import AuditEvent
from tests import upload_samples as samples
from tests.inspections.conftest import jpeg_bytes

pytestmark = pytest.mark.django_db


def _upload(visit, user, data: bytes, name="photo.jpg", client_id="c1", content_type="image/jpeg"):
    return services.evidence_upload(
        actor=user,
        visit_id=visit.pk,
        client_id=client_id,
        upload=SimpleUploadedFile(name, data, content_type=content_type),
        item_id=visit.answers.first().item_id,
    )


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200,  # Windows executable
        b"\x7fELF\x02\x01\x01" + b"\x00" * 200,  # Linux executable
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    ],
)
def test_disguised_files_are_refused(visit, users, data):
    with pytest.raises(ServiceError, match="文件类型不被接受"):
        _upload(visit, users["education_inspector"], data, content_type="image/jpeg")
    assert not Evidence.objects.exists()


def test_truncated_jpeg_is_refused(visit, users):
    with pytest.raises(ServiceError, match="无法识别"):
        _upload(visit, users["education_inspector"], b"\xff\xd8\xff\xe0" + b"garbage" * 20)
    assert not Evidence.objects.exists()


def test_oversize_photo_is_refused(visit, users, settings):
    settings.INSPECTIONS_PHOTO_MAX_BYTES = 1000
    data = jpeg_bytes(size=(400, 400))
    assert len(data) > 1000
    with pytest.raises(ServiceError, match="文件过大"):
        _upload(visit, users["education_inspector"], data)
    assert not Evidence.objects.exists()


def test_oversize_video_is_refused(visit, users, settings):
    settings.INSPECTIONS_VIDEO_MAX_BYTES = 100
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200
    with pytest.raises(ServiceError, match="文件过大"):
        _upload(visit, users["education_inspector"], mp4, name="clip.mp4", content_type="video/mp4")
    assert not Evidence.objects.exists()


def test_pdf_and_video_accepted_by_content_whatever_the_name(visit, users):
    # Real files now: a PDF that pypdf parses, an MP4 whose boxes are whole (regulator/uploads.py).
    pdf = _upload(visit, users["education_inspector"], samples.pdf(), name="scan.jpg", client_id="p")
    assert pdf.kind == "document" and pdf.content_type == "application/pdf" and not pdf.display
    mp4 = _upload(visit, users["education_inspector"], samples.mp4(), name="x.txt", client_id="v")
    assert mp4.kind == "video"


def test_gps_is_stripped_from_the_display_copy_and_kept_in_the_original(visit, users):
    data = jpeg_bytes(with_gps=True)
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # the fixture really carries GPS
    evidence = _upload(visit, users["education_inspector"], data)
    assert evidence.kind == "photo"
    # The original is re-encoded now (issue 11: whatever was appended to an upload is dropped), keeping its
    # EXIF and GPS for the lead department; what the phone sent is identified by its hash in the audit event.
    with evidence.original.open("rb") as handle:
        kept = handle.read()
    with Image.open(io.BytesIO(kept)) as original:
        assert original.getexif().get_ifd(0x8825)[2] == (36.0, 40.0, 12.5) and original.size == (64, 48)
    assert b"PhoneMaker" in kept
    event = AuditEvent.objects.get(kind="evidence.uploaded")
    assert event.after["received_sha256"] == hashlib.sha256(data).hexdigest()
    assert event.after["sha256"] == evidence.sha256 == hashlib.sha256(kept).hexdigest()
    with evidence.display.open("rb") as handle:
        shown = handle.read()
    with Image.open(io.BytesIO(shown)) as display:
        exif = display.getexif()
        assert not exif.get_ifd(0x8825) and 0x010F not in exif
        assert "exif" not in display.info
    assert b"PhoneMaker" not in shown


def test_retry_with_the_same_client_id_returns_the_first_upload(visit, users):
    first = _upload(visit, users["education_inspector"], jpeg_bytes(), client_id="retry-1")
    second = _upload(visit, users["education_inspector"], jpeg_bytes(), client_id="retry-1")
    assert first.pk == second.pk and Evidence.objects.count() == 1


def test_upload_by_unassigned_user_is_refused(visit, users):
    with pytest.raises(ActionForbidden):
        _upload(visit, users["police_inspector"], jpeg_bytes())
    assert not Evidence.objects.exists()


# ---- issue 11: real decoders, nothing half-written -------------------------------------------------------


def _stored_names(storage, top="evidence") -> list[str]:
    names = []
    directories, files = storage.listdir(top) if storage.exists(top) else ([], [])
    names.extend(f"{top}/{name}" for name in files)
    for directory in directories:
        names.extend(_stored_names(storage, f"{top}/{directory}"))
    return names


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (samples.png_bomb(), "像素过多"),
        (samples.heic()[:32] + samples.HTML, "无法识别"),
        (samples.box(b"ftyp", b"isom\x00\x00\x02\x00") + samples.HTML, "视频文件无法识别"),
        (b"%PDF-1.7\n" + samples.HTML, "PDF 文件无法解析"),
    ],
    ids=["decompression bomb", "HEIC then HTML", "MP4 then HTML", "PDF then HTML"],
)
def test_refused_evidence_leaves_no_row_and_no_file(visit, users, data, message):
    from django.core.files.storage import default_storage

    before = _stored_names(default_storage)
    with pytest.raises(ServiceError, match=message):
        _upload(visit, users["education_inspector"], data)
    assert not Evidence.objects.exists() and _stored_names(default_storage) == before
    assert not AuditEvent.objects.filter(kind="evidence.uploaded").exists()


def test_an_iphone_heic_photo_becomes_a_jpeg_with_a_display_copy(visit, users):
    evidence = _upload(visit, users["education_inspector"], samples.heic(with_gps=True), name="IMG_0001.HEIC")
    assert evidence.kind == "photo" and evidence.content_type == "image/jpeg"
    assert evidence.original.name.endswith(".jpg") and evidence.display.name.endswith(".jpg")
    with evidence.display.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as display:
        assert display.format == "JPEG" and not display.getexif().get_ifd(0x8825)


def test_a_jpeg_with_a_script_appended_is_stored_without_it(visit, users):
    data = jpeg_bytes() + b"<script>alert(1)</script>"
    evidence = _upload(visit, users["education_inspector"], data)
    for field in (evidence.original, evidence.display):
        with field.open("rb") as handle:
            assert b"<script>" not in handle.read()


def test_a_lost_race_on_the_same_client_id_removes_its_files(visit, users, monkeypatch):
    from django.core.files.storage import default_storage
    from django.db import IntegrityError

    first = _upload(visit, users["education_inspector"], jpeg_bytes(), client_id="race")
    stored = _stored_names(default_storage)
    # The second request passed the "already there?" check before the first one committed.
    real_filter = Evidence.objects.filter

    def filter_missing_the_first(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        return queryset.none() if kwargs.get("client_id") == "race" and "visit" in kwargs else queryset

    def save_conflict(self, *args, **kwargs):
        raise IntegrityError("evidence_client_id_unique")

    monkeypatch.setattr(Evidence.objects, "filter", filter_missing_the_first)
    monkeypatch.setattr(Evidence, "save", save_conflict)
    monkeypatch.setattr(Evidence.objects, "get", lambda **kwargs: first)
    second = _upload(visit, users["education_inspector"], jpeg_bytes(), client_id="race")
    assert second.pk == first.pk and _stored_names(default_storage) == stored
