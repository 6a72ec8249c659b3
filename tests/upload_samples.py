"""Real files to upload in tests: photos with GPS, HEIC, a decompression bomb, a PDF, MP4 videos, polyglots."""

import functools
import io
import struct

from PIL import Image

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (36.0, 40.0, 12.5)
    gps[3] = "E"
    gps[4] = (117.0, 1.0, 30.0)
    return exif


def jpeg(*, with_gps: bool = False, size=(64, 48), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    extra = {"exif": gps_exif()} if with_gps else {}
    Image.new("RGB", size, color).save(out, format="JPEG", **extra)
    return out.getvalue()


def png(*, size=(32, 24), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG")
    return out.getvalue()


def heic(*, with_gps: bool = False, size=(64, 48)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    extra = {"exif": gps_exif().tobytes()} if with_gps else {}
    Image.new("RGB", size, (20, 120, 200)).save(out, format="HEIF", **extra)
    return out.getvalue()


@functools.cache
def png_bomb() -> bytes:
    """20000 x 20000 pixels in about 48 KB: 400 megapixels once decoded."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def box(box_type: bytes, content: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(content), box_type) + content


def mp4_head(brand: bytes = b"isom") -> bytes:
    """ftyp and a moov with mvhd and one trak: the structure a phone writes before (or after) the media."""
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + b"isomiso2mp41")
    moov = box(b"moov", box(b"mvhd", b"\x00" * 100) + box(b"trak", box(b"tkhd", b"\x00" * 84)))
    return ftyp + moov


def mp4(media: bytes = b"\x00" * 256, brand: bytes = b"isom") -> bytes:
    return mp4_head(brand) + box(b"mdat", media)


def write_mp4(path, media_bytes: int, chunk: int = 1 << 20) -> int:
    """An MP4 of about `media_bytes` written in chunks, never held in memory. Returns its size."""
    with open(path, "wb") as out:
        out.write(mp4_head())
        out.write(struct.pack(">I4sQ", 1, b"mdat", 16 + media_bytes))  # a 64-bit box size
        block = b"\x00" * chunk
        left = media_bytes
        while left:
            out.write(block[: min(chunk, left)])
            left -= min(chunk, left)
        return out.tell()
