"""Stored files leave only after the permission check: streamed, by a signed URL of the private bucket of a real
S3 server (moto's), or by an X-Accel-Redirect for nginx (regulator.uploads.file_response)."""

import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from tests.factories import InstitutionFactory, RectificationOrderFactory

PDF = b"%PDF-1.4\n% a stand-in for the rendered order\n%%EOF\n"


@pytest.fixture
def order_with_pdf(regions, departments, users):
    order = RectificationOrderFactory(
        institution=InstitutionFactory(region=regions["township"]), department=departments["education"],
        drafted_by=users["education_inspector"], approved=True,
    )
    order.pdf.save(f"order-{order.pk}.pdf", ContentFile(PDF), save=False)
    order.save(update_fields=["pdf"])
    return order


def _fetch(url: str):
    return urllib.request.urlopen(url, timeout=10)


@pytest.mark.django_db
def test_signed_url_of_the_private_bucket_after_the_check(s3_storage, order_with_pdf, education_inspector_client):
    assert s3_storage.exists(order_with_pdf.pdf.name)  # written to the S3 server, not to this process
    response = education_inspector_client.get(reverse("penalties:order_pdf", args=[order_with_pdf.pk]))
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    signed = response["Location"]
    query = urlsplit(signed).query
    assert "X-Amz-Signature=" in query and "X-Amz-Expires=300" in query
    answer = _fetch(signed)
    assert answer.read() == PDF
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Content-Disposition"].startswith("inline; filename=")
    assert answer.headers["Cache-Control"] == "private, no-store"
    # The bucket is not public: the same object without the signature is refused. (moto does not verify the
    # signature's value itself; a real store does, and the expiry with it.)
    unsigned = signed.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        _fetch(unsigned)
    assert refused.value.code == 403


@pytest.mark.django_db
def test_no_url_without_the_permission(s3_storage, order_with_pdf, other_county_client, client):
    url = reverse("penalties:order_pdf", args=[order_with_pdf.pk])
    for someone in (other_county_client, client):
        response = someone.get(url)
        assert response.status_code in (302, 403, 404)
        assert "X-Amz-Signature" not in response.get("Location", "")


@pytest.mark.django_db
def test_streamed_from_s3(s3_storage, settings, order_with_pdf, education_inspector_client):
    settings.FILE_SERVING = "stream"
    response = education_inspector_client.get(reverse("penalties:order_pdf", args=[order_with_pdf.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_x_accel_redirect_to_the_object_store(s3_storage, settings, s3_endpoint, order_with_pdf,
                                              education_inspector_client):
    settings.FILE_SERVING = "x-accel"
    response = education_inspector_client.get(reverse("penalties:order_pdf", args=[order_with_pdf.pk]))
    assert response.status_code == 200 and response.content == b""
    target = response["X-Accel-Redirect"]
    assert target.startswith(f"/_protected/s3/{s3_storage.bucket_name}/{order_with_pdf.pdf.name}?")
    assert response["Content-Disposition"].startswith("inline; filename=")
    # What nginx's internal location does with it: the same path and query at the object store.
    assert _fetch(s3_endpoint + target.removeprefix("/_protected/s3")).read() == PDF


@pytest.mark.django_db
def test_x_accel_redirect_to_media_root(settings, tmp_path, order_with_pdf, education_inspector_client):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.FILE_SERVING = "x-accel"
    order_with_pdf.pdf.save(f"order-{order_with_pdf.pk}.pdf", ContentFile(PDF), save=True)
    response = education_inspector_client.get(reverse("penalties:order_pdf", args=[order_with_pdf.pk]))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/_protected/media/{order_with_pdf.pdf.name}"
    assert (tmp_path / order_with_pdf.pdf.name).read_bytes() == PDF
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_signed_url_falls_back_to_streaming_on_the_file_system(settings, order_with_pdf,
                                                               education_inspector_client):
    settings.FILE_SERVING = "signed-url"  # the in-memory storage signs nothing: the bytes are streamed
    response = education_inspector_client.get(reverse("penalties:order_pdf", args=[order_with_pdf.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert default_storage.exists(order_with_pdf.pdf.name)
