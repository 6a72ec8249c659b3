"""Evidence files, checked by regulator.uploads: the content decides the kind, never the name. A photo is
re-encoded twice: the full-size copy keeps its EXIF (time, GPS: proof of where it was taken) for the lead
department's staff; the display copy, shown to anyone else who may see the visit, carries no metadata at all."""

from regulator import uploads

from . import conf
from .models import EvidenceKind

EVIDENCE_KIND = {
    uploads.IMAGE: EvidenceKind.PHOTO,
    uploads.VIDEO: EvidenceKind.VIDEO,
    uploads.PDF: EvidenceKind.DOCUMENT,
}


def limits() -> dict[str, int]:
    return {
        uploads.IMAGE: conf.get(conf.INSPECTIONS_PHOTO_MAX_BYTES),
        uploads.VIDEO: conf.get(conf.INSPECTIONS_VIDEO_MAX_BYTES),
        uploads.PDF: conf.get(conf.INSPECTIONS_DOCUMENT_MAX_BYTES),
    }


def check(upload) -> uploads.CheckedFile:
    """Raises uploads.UploadRefused with the message for the inspector."""
    return uploads.check(
        upload, limits=limits(), keep_metadata=True, display_edge=conf.get("INSPECTIONS_DISPLAY_MAX_EDGE")
    )
