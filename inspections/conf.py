"""Inspection settings with defaults; override any of them in the project settings."""

from django.conf import settings

# Upload limits in bytes (issue 3: photos ≤ 15 MB, video ≤ 200 MB).
INSPECTIONS_PHOTO_MAX_BYTES = "INSPECTIONS_PHOTO_MAX_BYTES"
INSPECTIONS_VIDEO_MAX_BYTES = "INSPECTIONS_VIDEO_MAX_BYTES"
INSPECTIONS_DOCUMENT_MAX_BYTES = "INSPECTIONS_DOCUMENT_MAX_BYTES"

_DEFAULTS = {
    INSPECTIONS_PHOTO_MAX_BYTES: 15 * 1024 * 1024,
    INSPECTIONS_VIDEO_MAX_BYTES: 200 * 1024 * 1024,
    INSPECTIONS_DOCUMENT_MAX_BYTES: 20 * 1024 * 1024,
    # Longest edge of the EXIF-stripped display copy of a photo.
    "INSPECTIONS_DISPLAY_MAX_EDGE": 2048,
    # Inspectors drawn per visit in a double-random draw (at least two by rule).
    "INSPECTIONS_MIN_INSPECTORS_PER_VISIT": 2,
    # A draw weighted by risk level still draws at least this share of each level's institutions (一单两库: at
    # least 5% of subjects a year by default; verify).
    "INSPECTIONS_DRAW_MIN_STRATUM_SHARE": 0.05,
    # The checklist template code a new campaign uses unless another is chosen.
    "INSPECTIONS_DEFAULT_TEMPLATE_CODE": "campaign",
    "INSPECTIONS_PAGE_SIZE": 30,
    # Offline visit page (issue 18): the days ahead whose visits a phone keeps for offline use, the size a photo
    # is compressed to on the phone before it is queued, the chunk size of its upload, and how far the phone's
    # clock may be from the server's before its outbox is refused until the clock is set.
    "INSPECTIONS_OFFLINE_DAYS": 3,
    "INSPECTIONS_OFFLINE_PHOTO_BYTES": 600 * 1024,
    "INSPECTIONS_OFFLINE_PHOTO_MAX_EDGE": 1600,
    "INSPECTIONS_SYNC_CHUNK_BYTES": 256 * 1024,
    "INSPECTIONS_SYNC_MAX_CLOCK_SKEW_SECONDS": 600,
    # Unfinished photo chunks one inspector may leave on the server (400 × 256 KB = 100 MB).
    "INSPECTIONS_SYNC_MAX_CHUNKS_PER_USER": 400,
}


def get(name: str):
    """Read a setting at call time, so tests can override it with `settings` fixtures."""
    return getattr(settings, name, _DEFAULTS[name])
