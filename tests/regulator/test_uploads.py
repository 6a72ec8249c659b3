"""regulator.uploads: each kind checked by its decoder, polyglots refused or neutralised, the streaming limit,
and the headers files are served with."""

import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import RequestFactory
from PIL import Image

from regulator import uploads
from tests import upload_samples as samples

GPS_IFD = 0x8825


def _file(data: bytes, name="upload.bin") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _stored(checked) -> bytes:
    checked.content.seek(0)
    return b"".join(checked.content.chunks())


def _refused(data: bytes, **kwargs) -> str:
    with pytest.raises(uploads.UploadRefused) as caught:
        uploads.check(_file(data), **kwargs)
    return caught.value.message


# ---- images --------------------------------------------------------------------------------------------


def test_a_48_kb_png_of_20000_by_20000_pixels_is_refused_in_chinese():
    bomb = samples.png_bomb()
    assert len(bomb) < 60 * 1024
    assert "像素过多" in _refused(bomb)


def test_the_pixel_cap_is_explicit_and_set_in_settings(settings):
    settings.UPLOAD_IMAGE_MAX_PIXELS = 1000
    assert "最多 0 万像素" in _refused(samples.jpeg(size=(40, 30)))  # 1,200 pixels
    assert uploads.check(_file(samples.jpeg(size=(30, 30)))).kind == uploads.IMAGE
    assert Image.MAX_IMAGE_PIXELS == 1000  # Pillow's own bomb check at the same cap


def test_a_jpeg_with_a_script_appended_is_re_encoded_without_it():
    upload = samples.jpeg() + b"<script>alert(document.cookie)</script>"
    checked = uploads.check(_file(upload))
    stored = _stored(checked)
    assert b"<script>" not in stored and stored != upload
    assert checked.sha256 == hashlib.sha256(stored).hexdigest()
    assert checked.received_sha256 == hashlib.sha256(upload).hexdigest()
    with Image.open(io.BytesIO(stored)) as image:
        image.load()
        assert image.format == "JPEG" and image.size == (64, 48)


def test_without_keep_metadata_no_exif_or_gps_survives():
    checked = uploads.check(_file(samples.jpeg(with_gps=True)))
    stored = _stored(checked)
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif().get_ifd(GPS_IFD) and "exif" not in image.info


def test_keep_metadata_keeps_gps_and_display_copy_drops_it():
    checked = uploads.check(_file(samples.jpeg(with_gps=True, size=(300, 200))), keep_metadata=True, display_edge=100)
    with Image.open(io.BytesIO(_stored(checked))) as image:
        assert image.getexif().get_ifd(GPS_IFD)[2] == (36.0, 40.0, 12.5)
    display = checked.display.read()
    with Image.open(io.BytesIO(display)) as image:
        assert image.size == (100, 67) and not image.getexif().get_ifd(GPS_IFD)
    assert b"PhoneMaker" not in display and checked.display_extension == "jpg"


def test_an_iphone_heic_photo_is_decoded_and_stored_as_jpeg_with_its_gps_when_kept():
    upload = samples.heic(with_gps=True)
    checked = uploads.check(_file(upload, "IMG_0001.HEIC"), keep_metadata=True)
    assert (checked.kind, checked.content_type, checked.extension) == (uploads.IMAGE, "image/jpeg", "jpg")
    with Image.open(io.BytesIO(_stored(checked))) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
        assert image.getexif().get_ifd(GPS_IFD)[2] == (36.0, 40.0, 12.5)
    stripped = uploads.check(_file(upload))
    with Image.open(io.BytesIO(_stored(stripped))) as image:
        assert not image.getexif().get_ifd(GPS_IFD)


def test_transparency_is_kept_as_png():
    checked = uploads.check(_file(samples.png(mode="RGBA")))
    assert checked.content_type == "image/png" and _stored(checked).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("HEIC header, then HTML", samples.heic()[:32] + samples.HTML),
        ("JPEG header, then HTML", b"\xff\xd8\xff\xe0" + samples.HTML),
        ("PNG header, then HTML", b"\x89PNG\r\n\x1a\n" + samples.HTML),
        ("truncated JPEG", samples.jpeg(size=(200, 200))[:300]),
    ],
)
def test_an_image_header_followed_by_anything_else_is_refused(name, data):
    assert "无法识别" in _refused(data)


@pytest.mark.parametrize(
    "data",
    [
        samples.HTML,
        b"GIF89a" + b"\x00" * 64,
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"MZ\x90\x00" + b"\x00" * 64,
    ],
)
def test_other_kinds_of_file_are_not_accepted(data):
    assert "文件类型不被接受" in _refused(data)


# ---- PDF -----------------------------------------------------------------------------------------------


def test_a_pdf_that_parses_is_accepted_and_passed_through_unchanged():
    data = samples.pdf()
    upload = _file(data, "scan.jpg")
    checked = uploads.check(upload)
    assert (checked.kind, checked.content_type, checked.extension) == (uploads.PDF, "application/pdf", "pdf")
    assert checked.content is upload and checked.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + samples.HTML,
        b"%PDF-1.7\n" + samples.HTML + b"\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n",
        b"%PDF-1.4 test",
    ],
)
def test_a_pdf_header_followed_by_html_is_refused(data):
    assert "PDF 文件无法解析" in _refused(data)


def test_pdf_only_where_the_page_takes_it():
    assert "只能上传 JPEG、PNG、WebP 或 HEIC 照片" in _refused(samples.pdf(), accept={uploads.IMAGE})


# ---- video ---------------------------------------------------------------------------------------------


def test_mp4_and_mov_are_probed_by_their_box_structure():
    mp4 = uploads.check(_file(samples.mp4()))
    assert (mp4.kind, mp4.content_type, mp4.extension) == (uploads.VIDEO, "video/mp4", "mp4")
    mov = uploads.check(_file(samples.mp4(brand=b"qt  ")))
    assert (mov.content_type, mov.extension) == ("video/quicktime", "mov")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("MP4 header, then HTML", samples.box(b"ftyp", b"isom\x00\x00\x02\x00") + samples.HTML),
        ("complete MP4, then HTML", samples.mp4() + samples.HTML),
        ("media box past the end", samples.mp4()[:-10]),
        ("no moov", samples.box(b"ftyp", b"isom\x00\x00\x02\x00") + samples.box(b"mdat", b"\x00" * 64)),
        ("moov without a track", samples.box(b"ftyp", b"mp42\x00\x00\x00\x00")
         + samples.box(b"moov", samples.box(b"mvhd", b"\x00" * 100)) + samples.box(b"mdat", b"\x00" * 8)),
        ("no media", samples.mp4_head()),
        ("zero-filled", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200),
    ],
)
def test_a_video_whose_boxes_do_not_hold_together_is_refused(name, data):
    assert "视频文件无法识别" in _refused(data)


def test_size_limit_per_kind_and_page(settings):
    settings.UPLOAD_VIDEO_MAX_BYTES = 100
    assert _refused(samples.mp4()) == "文件过大：视频不能超过 0 MB。"
    assert "照片不能超过" in _refused(samples.jpeg(size=(300, 300)), limits={uploads.IMAGE: 500})


# ---- while streaming -----------------------------------------------------------------------------------


def _stream(data: bytes, handlers, chunk=64 * 1024):
    for handler in handlers:
        handler.new_file("file", "clip.mp4", "video/mp4", len(data))
    counters = [0] * len(handlers)
    for start in range(0, len(data), chunk):
        piece = data[start : start + chunk]
        for index, handler in enumerate(handlers):
            piece = handler.receive_data_chunk(piece, counters[index])
            counters[index] += chunk
            if piece is None:
                break
    for index, handler in enumerate(handlers):
        if received := handler.file_complete(counters[index]):
            return received
    return None


def test_the_upload_handler_stops_keeping_a_file_past_its_kinds_limit(settings, tmp_path):
    settings.UPLOAD_VIDEO_MAX_BYTES = 256 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    request = RequestFactory().post("/")
    data = samples.mp4(b"\x00" * 1024 * 1024)
    spool = TemporaryFileUploadHandler(request)
    received = _stream(data, [uploads.StreamingLimitUploadHandler(request), spool])
    assert isinstance(received, uploads.OversizedUpload) and received.size > settings.UPLOAD_VIDEO_MAX_BYTES
    assert spool.file.tell() <= settings.UPLOAD_VIDEO_MAX_BYTES  # what reached the disk stopped at the limit
    with pytest.raises(uploads.UploadRefused, match="文件过大：视频不能超过"):
        uploads.check(received)
    # Under the limit the file goes on to the next handler untouched.
    small = samples.mp4()
    received = _stream(small, [uploads.StreamingLimitUploadHandler(request), TemporaryFileUploadHandler(request)])
    received.seek(0)
    assert received.read() == small


# ---- storing and serving -------------------------------------------------------------------------------


def test_stored_files_are_deleted_when_the_service_fails():
    from django.core.files.storage import default_storage

    from publicity.models import ReportAttachment

    attachment = ReportAttachment(report_id=1, content_type="image/jpeg", size=1, sha256="ab" * 32)
    with pytest.raises(RuntimeError), uploads.stored_files() as store:
        name = store(attachment.file, ContentFile(b"x"), "a.jpg")
        assert default_storage.exists(name)
        raise RuntimeError
    assert not default_storage.exists(name)


@pytest.mark.parametrize(
    ("filename", "inline", "expected"),
    [
        ("photo.jpg", True, 'inline; filename="photo.jpg"'),
        (
            "现场照片.jpg",
            True,
            "inline; filename=\"____.jpg\"; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.jpg",
        ),
        ('a"b\r\n/..\\c.pdf', False, 'attachment; filename="ab..c.pdf"'),
    ],
)
def test_content_disposition_is_rfc_5987_encoded(filename, inline, expected):
    assert uploads.content_disposition(filename, inline=inline) == expected


def test_download_name_takes_the_stored_kinds_extension():
    assert uploads.download_name("C:\\DCIM\\IMG_0001.HEIC", "jpg", "evidence-1") == "IMG_0001.jpg"
    assert uploads.download_name("", "pdf", "evidence-1") == "evidence-1.pdf"
    assert uploads.content_type_for("evidence/x/ab12.mov") == "video/quicktime"
    assert uploads.content_type_for("old/upload.html") == "application/octet-stream"
