"""A 200 MB video goes from the request body to storage with flat memory: the request spools it to disk
(FILE_UPLOAD_MAX_MEMORY_SIZE), the check reads box headers only, the hash and the store go in chunks."""

import hashlib
import json
import tracemalloc

import pytest
from django.urls import reverse

from inspections.models import Evidence
from tests import upload_samples as samples

pytestmark = pytest.mark.django_db

BOUNDARY = "----evidence-boundary"
# Just under the 200 MB limit of a video (INSPECTIONS_VIDEO_MAX_BYTES) once its boxes are added.
VIDEO_BYTES = 200 * 1024 * 1024 - 4096


def _multipart_body(path, video_path, fields: dict) -> int:
    """The request body written to a file, the video copied in chunks."""
    with open(path, "wb") as body:
        for name, value in fields.items():
            body.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        body.write(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="执法记录.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n".encode()
        )
        with open(video_path, "rb") as video:
            while block := video.read(1 << 20):
                body.write(block)
        body.write(f"\r\n--{BOUNDARY}--\r\n".encode())
        return body.tell()


def test_a_200_mb_video_is_streamed_to_storage_with_flat_memory(
    visit, education_inspector_client, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    video = tmp_path / "clip.mp4"
    size = samples.write_mp4(video, VIDEO_BYTES)
    digest = hashlib.sha256()
    with open(video, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    body = tmp_path / "body"
    length = _multipart_body(body, video, {"client_id": "big-1"})
    url = reverse("inspections:evidence_upload", args=[visit.pk])

    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        with open(body, "rb") as stream:
            response = education_inspector_client.generic(
                "POST",
                url,
                CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
                CONTENT_LENGTH=str(length),
                **{"wsgi.input": stream},
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 200, response.content.decode()
    assert json.loads(response.content)["kind"] == "video"
    # Bounded, not timed: the request's peak Python allocation is a small fraction of the file.
    assert peak - before < 16 * 1024 * 1024, f"peak grew by {(peak - before) / 2**20:.1f} MB"
    evidence = Evidence.objects.get(client_id="big-1")
    assert evidence.size == size and evidence.sha256 == digest.hexdigest()
    assert evidence.content_type == "video/mp4" and evidence.original.name.endswith(".mp4")
    assert evidence.original.size == size
