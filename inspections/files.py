"""Evidence files: the type is decided by the content's magic bytes, never by the name; photos are
re-encoded with Pillow so the copy shown to anyone but the lead department's staff carries no EXIF/GPS."""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from . import conf
from .models import EvidenceKind


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    kind: str
    extension: str


def sniff(head: bytes) -> Sniffed | None:
    """The accepted type of a file from its first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", EvidenceKind.PHOTO, "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", EvidenceKind.PHOTO, "png")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp", EvidenceKind.PHOTO, "webp")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}:
            return Sniffed("image/heic", EvidenceKind.PHOTO, "heic")
        if brand in {
            b"isom",
            b"iso2",
            b"iso4",
            b"iso5",
            b"iso6",
            b"mp41",
            b"mp42",
            b"avc1",
            b"M4V ",
            b"dash",
            b"qt  ",
        }:
            return Sniffed("video/mp4", EvidenceKind.VIDEO, "mp4")
    if head.startswith(b"%PDF-"):
        return Sniffed("application/pdf", EvidenceKind.DOCUMENT, "pdf")
    return None


def max_bytes(kind: str) -> int:
    return {
        EvidenceKind.PHOTO: conf.get(conf.INSPECTIONS_PHOTO_MAX_BYTES),
        EvidenceKind.VIDEO: conf.get(conf.INSPECTIONS_VIDEO_MAX_BYTES),
        EvidenceKind.DOCUMENT: conf.get(conf.INSPECTIONS_DOCUMENT_MAX_BYTES),
    }[kind]


def stripped_copy(data: bytes, content_type: str) -> bytes | None:
    """A re-encoded JPEG/PNG without metadata (EXIF, GPS, XMP), upright; None if Pillow cannot decode it."""
    if content_type == "image/heic":
        return None  # Pillow has no HEIC decoder here: only staff see the original.
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            edge = conf.get("INSPECTIONS_DISPLAY_MAX_EDGE")
            image.thumbnail((edge, edge))
            # Copy the pixels only: a fresh image carries no info dict, so nothing of the metadata survives.
            has_alpha = image.mode in ("RGBA", "LA", "P") and content_type == "image/png"
            clean = Image.new("RGBA" if has_alpha else "RGB", image.size)
            clean.paste(image.convert(clean.mode))
            out = io.BytesIO()
            if has_alpha:
                clean.save(out, format="PNG", optimize=True)
            else:
                clean.save(out, format="JPEG", quality=85)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
