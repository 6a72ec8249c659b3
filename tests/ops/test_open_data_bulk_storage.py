"""The open-data bulk files (publicity/bulk.py) on the two storages production may use: a private S3 bucket (the
stable URL hands out a signed URL) and the file system. Written once, not again while nothing changes, the old
object deleted after the switch."""

import hashlib

import pytest
import requests
from django.core.files.storage import default_storage
from django.test import Client

from publicity import bulk, services
from publicity.api import DATASETS
from publicity.models import BulkFile, EntryStatus
from tests.factories import InstitutionFactory, LicenceFactory, ListEntryFactory
from tests.publicity.open_data import decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_data(users, regions):
    institution = InstitutionFactory(name="星光美术培训中心", region=regions["township"])
    LicenceFactory(institution=institution, kind="school_running", number="教民137010270000001号")
    ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED)
    decision(institution, users["education_head"])
    return institution


def _run_twice_then_change(users, regions):
    first = bulk.write_bulk_files()
    assert first.written == len(DATASETS) * 2
    for row in BulkFile.objects.all():
        assert default_storage.exists(row.file.name)
        assert hashlib.sha256(default_storage.open(row.file.name).read()).hexdigest() == row.sha256
    assert bulk.write_bulk_files().written == 0
    old = BulkFile.objects.get(dataset="entries", format="json").file.name
    entry = ListEntryFactory(institution=InstitutionFactory(name="新公示机构", region=regions["township"]),
                             status=EntryStatus.APPROVED)
    services.batch_publish(entry_ids=[entry.pk], actor=users["joint_office"])
    assert bulk.write_bulk_files().written == 4
    assert not default_storage.exists(old)
    return BulkFile.objects.get(dataset="entries", format="json")


def test_on_a_private_s3_bucket(s3_storage, public_data, users, regions):
    row = _run_twice_then_change(users, regions)
    response = Client().get(f"/public/open-data/bulk/{row.region_id}/entries.json")
    assert response.status_code == 302 and "X-Amz-Signature" in response["Location"]
    assert response["Access-Control-Allow-Origin"] == "*"
    content = requests.get(response["Location"], timeout=10).content
    assert hashlib.sha256(content).hexdigest() == row.sha256 and "新公示机构".encode() in content


def test_on_the_file_system(settings, tmp_path, public_data, users, regions):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    settings.FILE_SERVING = "stream"
    row = _run_twice_then_change(users, regions)
    assert (tmp_path / row.file.name).exists()
    response = Client().get(f"/public/open-data/bulk/{row.region_id}/entries.json")
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == row.sha256
