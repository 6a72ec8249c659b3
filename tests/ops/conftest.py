"""Fixtures of the operations tests: the local S3 server (moto's, from `make test`'s TEST_S3_ENDPOINT_URL, or
started here for a targeted run and stopped after) and a private bucket on it as the default storage."""

import os
import uuid

import pytest

from tests.ops import servers


@pytest.fixture(scope="session")
def s3_endpoint():
    if os.environ.get("TEST_S3_ENDPOINT_URL"):
        yield os.environ["TEST_S3_ENDPOINT_URL"]
        return
    state: dict = {}
    try:
        yield servers.start_moto(state)
    finally:
        servers.stop(state)


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    """The default storage is a fresh private bucket of the S3 server, served by signed URLs."""
    bucket = f"ops-{uuid.uuid4().hex[:12]}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket, "endpoint_url": s3_endpoint, "region_name": "us-east-1",
                "access_key": "testing", "secret_key": "testing", "addressing_style": "path",
                "signature_version": "s3v4", "default_acl": None, "querystring_auth": True,
                "querystring_expire": 300, "file_overwrite": False,
            },
        },
    }
    settings.FILE_SERVING = "signed-url"
    from django.core.files.storage import default_storage

    default_storage.connection.meta.client.create_bucket(Bucket=bucket)
    return default_storage
