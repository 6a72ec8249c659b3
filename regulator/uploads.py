"""Every uploaded file passes through here (issue 11): visit evidence, report photos, penalty evidence,
signatures and ledger workbooks.

- The content decides, by a real decoder, never the name or the first bytes alone: Pillow (with pillow-heif for
  iPhone photos) decodes every image, pypdf resolves a PDF's page tree, and a walk over the MP4/QuickTime box
  structure probes a video. The first bytes only choose which decoder is asked.
- Images are re-encoded (JPEG, or PNG when they have transparency), so nothing appended to or hidden in the
  upload survives; a copy for the public or for other departments carries no EXIF/GPS at all.
- Sizes are limited per kind while the upload streams in (`StreamingLimitUploadHandler`), files are hashed and
  stored in chunks, and a whole upload is never read into memory: a 200 MB video costs the same memory as a
  small one.
- Files are served by `file_response` only, after the caller's permission check: the content type is the
  stored kind's, with `Content-Disposition` and `nosniff`; streamed, or handed to the object store by a signed URL
  of a few minutes, or to nginx by `X-Accel-Redirect` (settings.FILE_SERVING, docs/operations.md).
"""

import hashlib
import io
import logging
import struct
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pillow_heif
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()
# pypdf logs every repair it attempts on a damaged file; whether the file is refused is said to the user.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# The kinds a page may accept. ("mp4" covers QuickTime too; "video" would spell inspections' EvidenceKind,
# which this floor must not: tests/regulator/test_registry.py.)
IMAGE, VIDEO, PDF = "image", "mp4", "pdf"
ALL_KINDS = frozenset({IMAGE, VIDEO, PDF})

# Pillow's format names of the photos we take; anything else (GIF, TIFF, BMP, SVG…) is refused.
_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}
_VIDEO_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VP",
    b"dash", b"qt  ", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"mmp4", b"MSNV", b"XAVC", b"f4v ",
}
# Top-level boxes a phone's or a camera's MP4/MOV file may carry (ISO/IEC 14496-12, QuickTime).
_TOP_LEVEL_BOXES = {
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"meta", b"pdin", b"moof", b"mfra",
    b"styp", b"sidx", b"ssix", b"udta", b"pnot", b"prfl", b"emsg", b"prft", b"junk",
}
_INLINE_TYPES = {"image/jpeg", "image/png", "image/webp"}
_EXTENSION_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
}


class UploadRefused(Exception):
    """The file is not accepted; `message` says why, in words for the person who sent it."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed its decoder, and what is to be stored of it.

    `content` is the re-encoded image, or the upload itself for a PDF or a video (stored in chunks);
    `sha256` and `size` are those of `content`, `received_sha256` and `received_size` those of the upload.
    `display` is, when asked for, the image's copy without any metadata.
    """

    kind: str
    content_type: str
    extension: str
    content: File
    size: int
    sha256: str
    received_size: int
    received_sha256: str
    display: ContentFile | None = None
    display_extension: str = ""


# ---- limits ---------------------------------------------------------------------------------------------


def kind_of(head: bytes) -> str | None:
    """Which decoder to ask, from the first bytes: a guess that the decoder confirms or refuses."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return IMAGE
    if head[4:8] == b"ftyp":
        return IMAGE if head[8:12] in _HEIF_BRANDS else VIDEO
    if b"%PDF-" in head[:1024]:
        return PDF
    return None


def max_bytes(kind: str | None) -> int:
    return {
        IMAGE: settings.UPLOAD_IMAGE_MAX_BYTES,
        VIDEO: settings.UPLOAD_VIDEO_MAX_BYTES,
        PDF: settings.UPLOAD_PDF_MAX_BYTES,
    }.get(kind, settings.UPLOAD_OTHER_MAX_BYTES)


def kind_label(kind: str) -> str:
    return {IMAGE: _("照片"), VIDEO: _("视频"), PDF: _("PDF 文件")}.get(kind, _("文件"))


def _megabytes(limit: int) -> str:
    return f"{limit / 1024 / 1024:.1f}".removesuffix(".0")


def too_large_message(kind: str | None, limit: int) -> str:
    return _("文件过大：%(kind)s不能超过 %(mb)s MB。") % {"kind": kind_label(kind), "mb": _megabytes(limit)}


class OversizedUpload(UploadedFile):
    """Stands in for a file that was past its kind's limit: it knows its kind and how much arrived, and holds
    nothing."""

    def __init__(self, name, content_type, size, charset=None, *, kind=None):
        super().__init__(io.BytesIO(), name, content_type, size, charset)
        self.kind = kind


class StreamingLimitUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS. It counts a file's bytes as they arrive; once they pass the limit of the
    file's kind (told by its first chunk) it passes nothing more on, so the handlers after it stop keeping the
    file, and it hands over an `OversizedUpload` that every check refuses as too large."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.kind = None
        self.limit = None
        self.received = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data, start):
        if self.limit is None:
            self.kind = kind_of(raw_data[:1024])
            self.limit = max_bytes(self.kind)
        self.received += len(raw_data)
        if self.received > self.limit:
            self.oversized = True
        return None if self.oversized else raw_data

    def file_complete(self, file_size):
        if self.oversized:
            return OversizedUpload(self.file_name, self.content_type, self.received, self.charset, kind=self.kind)
        return None


# ---- checking -------------------------------------------------------------------------------------------


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def check(
    upload,
    *,
    accept=ALL_KINDS,
    limits: dict | None = None,
    keep_metadata: bool = False,
    display_edge: int | None = None,
    max_pixels: int | None = None,
) -> CheckedFile:
    """Decode `upload` and return what to store, or raise `UploadRefused` with a message for the sender.

    `accept` names the kinds this page takes; `limits` lowers the size limit of a kind. An image is
    re-encoded: with its EXIF (GPS included) and colour profile when `keep_metadata` (evidence that only
    staff see), without any metadata otherwise; `display_edge` also makes a metadata-free copy no larger
    than that many pixels on its longest edge.
    """
    if isinstance(upload, OversizedUpload):  # stopped while streaming: its bytes were not kept
        kind = upload.kind
    else:
        upload.seek(0)
        kind = kind_of(upload.read(1024))
    if kind is None or kind not in accept:
        raise UploadRefused(_not_accepted_message(accept))
    limit = min(max_bytes(kind), (limits or {}).get(kind, max_bytes(kind)))
    if upload.size > limit or isinstance(upload, OversizedUpload):
        raise UploadRefused(too_large_message(kind, limit))
    if kind == IMAGE:
        return _check_image(
            upload,
            keep_metadata=keep_metadata,
            display_edge=display_edge,
            max_pixels=max_pixels or settings.UPLOAD_IMAGE_MAX_PIXELS,
        )
    if kind == PDF:
        _check_pdf(upload)
        content_type, extension = "application/pdf", "pdf"
    else:
        brand = _probe_video(upload)
        content_type, extension = ("video/quicktime", "mov") if brand == b"qt  " else ("video/mp4", "mp4")
    received = sha256_of(upload)
    upload.seek(0)
    return CheckedFile(kind, content_type, extension, upload, upload.size, received, upload.size, received)


def _not_accepted_message(accept) -> str:
    if accept == {IMAGE}:
        return _("文件类型不被接受：只能上传 JPEG、PNG、WebP 或 HEIC 照片。")
    if accept == {IMAGE, PDF}:
        return _("文件类型不被接受：只能上传 JPEG、PNG、WebP、HEIC 照片或 PDF 文件。")
    return _("文件类型不被接受：只能上传 JPEG、PNG、WebP、HEIC 照片，MP4/MOV 视频或 PDF 文件。")


def _unreadable_image() -> UploadRefused:
    return UploadRefused(_("照片无法识别或已损坏，请重新拍摄。"))


def _too_many_pixels(cap: int) -> UploadRefused:
    return UploadRefused(_("图片像素过多：最多 %(cap)d 万像素，请缩小后再上传。") % {"cap": cap // 10_000})


# What Pillow and pillow-heif raise for a file they cannot decode.
_DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError)


def _open_image(upload):
    upload.seek(0)
    return Image.open(upload, formats=_IMAGE_FORMATS)


def decode_image(upload, *, max_pixels: int):
    """The decoded, upright image; refused if it is not one, if its header says more pixels than `max_pixels`
    (checked before any pixel is decoded) or if it does not decode to the end."""
    # Pillow's own bomb check, at the cap of the settings (process-wide, so not lowered for a smaller cap
    # here): it refuses what our check below would let through by mistake.
    Image.MAX_IMAGE_PIXELS = max(max_pixels, settings.UPLOAD_IMAGE_MAX_PIXELS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with _open_image(upload) as probe:
                width, height = probe.size
                if width * height > max_pixels:
                    raise _too_many_pixels(max_pixels)
                probe.verify()
            with _open_image(upload) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                # A CMYK or grey profile would be wrong on the RGB copy we write.
                icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
        except Image.DecompressionBombError:
            raise _too_many_pixels(max_pixels) from None
        except _DECODE_ERRORS:
            raise _unreadable_image() from None
    return upright, icc


def _has_alpha(image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def encode_image(
    image, *, exif: bytes = b"", icc=None, quality: int = 85, lossless: bool = False
) -> tuple[bytes, str, str]:
    """(bytes, content type, extension): JPEG, or PNG when the image has transparency or `lossless`. Only the
    pixels are copied into a fresh image, so no metadata rides along unless `exif`/`icc` are given."""
    alpha = _has_alpha(image)
    clean = Image.new("RGBA" if alpha else "RGB", image.size)
    clean.paste(image.convert(clean.mode))
    out = io.BytesIO()
    extra = {"exif": exif} if exif else {}
    if icc:
        extra["icc_profile"] = icc
    if alpha or lossless:
        clean.save(out, format="PNG", **extra)
        return out.getvalue(), "image/png", "png"
    clean.save(out, format="JPEG", quality=quality, **extra)
    return out.getvalue(), "image/jpeg", "jpg"


def _exif_bytes(image) -> bytes:
    try:
        return image.getexif().tobytes()
    except Exception:  # a malformed EXIF block is dropped rather than the photo refused
        return b""


def _check_image(upload, *, keep_metadata: bool, display_edge: int | None, max_pixels: int) -> CheckedFile:
    received = sha256_of(upload)
    image, icc = decode_image(upload, max_pixels=max_pixels)
    if keep_metadata:
        data, content_type, extension = encode_image(image, exif=_exif_bytes(image), icc=icc, quality=92)
    else:
        data, content_type, extension = encode_image(image)
    display, display_extension = None, ""
    if display_edge:
        image.thumbnail((display_edge, display_edge))  # in place: the full-size copy is encoded already
        display_data, _type, display_extension = encode_image(image)
        display = ContentFile(display_data)
    return CheckedFile(
        kind=IMAGE,
        content_type=content_type,
        extension=extension,
        content=ContentFile(data),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        received_size=upload.size,
        received_sha256=received,
        display=display,
        display_extension=display_extension,
    )


def _check_pdf(upload) -> None:
    """pypdf reads the cross-reference table (rebuilding it if it must), the catalogue and the page tree, as a
    viewer would: a "%PDF-" header in front of anything else has no pages to find."""
    from pypdf import PdfReader

    upload.seek(0)
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadRefused(_("PDF 文件已加密，请上传未加密的文件。"))
        pages = len(reader.pages)
        if pages:
            reader.pages[0].mediabox  # noqa: B018 - the first page object must resolve
    except UploadRefused:
        raise
    except Exception:  # pypdf raises many kinds for a damaged or foreign file; any of them means refusal
        pages = 0
    if not pages:
        raise UploadRefused(_("PDF 文件无法解析或已损坏，请重新导出后上传。"))


def _boxes(stream, start: int, end: int):
    """(type, content start, box end) of each box between start and end; refused if one runs past end."""
    position = start
    while position < end:
        if end - position < 8:
            raise _unreadable_video()
        stream.seek(position)
        size, box_type = struct.unpack(">I4s", stream.read(8))
        header = 8
        if size == 1:
            extended = stream.read(8)
            if len(extended) < 8:
                raise _unreadable_video()
            size, header = struct.unpack(">Q", extended)[0], 16
        elif size == 0:
            size = end - position  # the last box runs to the end
        if size < header or position + size > end or not all(32 <= byte < 127 for byte in box_type):
            raise _unreadable_video()
        yield box_type, position + header, position + size
        position += size


def _unreadable_video() -> UploadRefused:
    return UploadRefused(_("视频文件无法识别或已损坏：只接受完整的 MP4/MOV 视频。"))


def _probe_video(upload) -> bytes:
    """Walk the MP4/QuickTime boxes, reading only their headers: the file must be exactly a sequence of known
    top-level boxes, starting with `ftyp` of a video brand, with one `moov` that holds a `mvhd` and a `trak`,
    and media data (`mdat`, or `moof` fragments). Returns the major brand."""
    stream = upload.file if hasattr(upload, "file") else upload
    end = upload.size
    seen: dict[bytes, int] = {}
    brand = b""
    for index, (box_type, content_start, box_end) in enumerate(_boxes(stream, 0, end)):
        if box_type not in _TOP_LEVEL_BOXES or (index == 0) != (box_type == b"ftyp"):
            raise _unreadable_video()
        seen[box_type] = seen.get(box_type, 0) + 1
        if box_type == b"ftyp":
            stream.seek(content_start)
            brand = stream.read(4)
            if brand not in _VIDEO_BRANDS:
                raise _unreadable_video()
        elif box_type == b"moov":
            children = {child for child, _start, _end in _boxes(stream, content_start, box_end)}
            if not {b"mvhd", b"trak"} <= children:
                raise _unreadable_video()
    if seen.get(b"moov") != 1 or not (seen.get(b"mdat") or seen.get(b"moof")):
        raise _unreadable_video()
    stream.seek(0)
    return brand


# ---- storing --------------------------------------------------------------------------------------------


@contextmanager
def stored_files():
    """Collects the files a service stores; if the service then fails, they are deleted again, so a refused
    row leaves no file behind. Use: `with stored_files() as store: store(field, content, name)`."""
    saved = []

    def store(field_file, content, name: str) -> str:
        field_file.save(name, content, save=False)
        saved.append((field_file.storage, field_file.name))
        return field_file.name

    try:
        yield store
    except BaseException:
        for storage, name in saved:
            storage.delete(name)
        raise


def new_name(extension: str) -> str:
    """A stored file's name: random, with the extension of the kind we found (never the sender's name)."""
    return f"{uuid.uuid4().hex}.{extension}"


# ---- serving --------------------------------------------------------------------------------------------


def content_type_for(name: str) -> str:
    """The content type of a file stored under a name this module gave it; anything else is served as bytes."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _EXTENSION_TYPES.get(extension, "application/octet-stream")


def _safe_filename(filename: str) -> str:
    cleaned = "".join(char for char in filename if char >= " " and char not in '/\\"\x7f').strip(" .")
    return cleaned[:120] or "file"


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266 with an ASCII fallback and the real name RFC 5987-encoded (filename*=UTF-8''…)."""
    filename = _safe_filename(filename)
    fallback = "".join(char if char.isascii() else "_" for char in filename)
    value = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def file_response(field_file, *, content_type: str, filename: str, inline: bool | None = None) -> HttpResponse:
    """Serve a stored file after the caller's permission check: the stored kind's content type, inline only
    for images, never sniffed by the browser, never cached by a proxy, scripts in it never run.

    How the bytes travel is settings.FILE_SERVING's choice: streamed by this process ("stream"), a redirect to
    an object-store URL signed for FILE_URL_SECONDS ("signed-url", which carries the type, disposition and
    caching in its signed query), or an X-Accel-Redirect that nginx serves from an `internal` location
    ("x-accel"). Either way the permission was checked before, and nothing is reachable without it."""
    if inline is None:
        inline = content_type in _INLINE_TYPES
    disposition = content_disposition(filename, inline=inline)
    mode = settings.FILE_SERVING
    storage = field_file.storage
    if mode == "signed-url" and _signs_urls(storage):
        response = HttpResponseRedirect(_signed_url(field_file, content_type, disposition))
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"  # the signed URL is a bearer token for its minutes
        return response
    if mode == "x-accel":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel_target(field_file, content_type, disposition)
        response["X-Accel-Buffering"] = "no"
    else:
        response = FileResponse(field_file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    if not (inline and content_type == "application/pdf"):  # a sandboxed document stops the PDF viewer
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _signs_urls(storage) -> bool:
    """An object store that signs its URLs (django-storages' S3 backend with querystring_auth)."""
    return bool(getattr(storage, "querystring_auth", False)) and hasattr(storage, "bucket_name")


def _signed_url(field_file, content_type: str, disposition: str) -> str:
    return field_file.storage.url(
        field_file.name,
        parameters={
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition,
            "ResponseCacheControl": "private, no-store",
        },
        expire=settings.FILE_URL_SECONDS,
    )


def accel_target(field_file, content_type: str, disposition: str) -> str:
    """The internal URI nginx serves for an X-Accel-Redirect: `<prefix>media/<name>` (an alias of MEDIA_ROOT), or
    `<prefix>s3/<bucket>/<key>?<signature>` (proxied to the object store, whose host the signature names)."""
    prefix = settings.FILE_ACCEL_PREFIX.rstrip("/") + "/"
    if _signs_urls(field_file.storage):
        signed = urlsplit(_signed_url(field_file, content_type, disposition))
        return f"{prefix}s3{signed.path}?{signed.query}"
    return f"{prefix}media/{quote(field_file.name)}"


def download_name(original_name: str, extension: str, fallback: str) -> str:
    """The name offered for download: the sender's file name with the extension of what is stored."""
    stem = (original_name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return f"{stem or fallback}.{extension}"
