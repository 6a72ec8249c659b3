"""Files in the penalty procedure (issue 11): case evidence, closing documents, refund proofs and service
photos are decoded before anything is written, stored under random names with the kind found, and a refused
file leaves no row, no audit event and no file."""

import hashlib
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from penalties import services
from penalties.models import CaseEvidence, CaseStatus, ItemStatus, OrderStatus, ServiceRecord, SuspensionStatus
from regulator.errors import ServiceError
from regulator.models import AuditEvent
from tests import upload_samples as samples
from tests.factories import PenaltyCaseFactory, RectificationOrderFactory, SuspensionNoticeFactory

pytestmark = pytest.mark.django_db


def _file(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _files_under(top: str) -> set[str]:
    if not default_storage.exists(top):
        return set()
    directories, files = default_storage.listdir(top)
    found = {f"{top}/{name}" for name in files}
    for directory in directories:
        found |= _files_under(f"{top}/{directory}")
    return found


@pytest.fixture
def case(users, institution, departments):
    return PenaltyCaseFactory(
        institution=institution,
        department=departments["education"],
        opened_by=users["education_inspector"],
        status=CaseStatus.INVESTIGATION,
    )


def test_case_evidence_pdf_is_parsed_and_stored_under_a_name_of_ours(users, case):
    data = samples.pdf()
    evidence = services.case_evidence_add(
        actor=users["education_inspector"], case_id=case.pk, description="询问笔录", file=_file(data, "笔录.exe")
    )
    assert evidence.file.name.endswith(".pdf") and "笔录" not in evidence.file.name
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    with evidence.file.open("rb") as handle:
        assert handle.read() == data


def test_case_evidence_photo_is_re_encoded_keeping_its_gps(users, case):
    data = samples.jpeg(with_gps=True) + b"<script>alert(1)</script>"
    evidence = services.case_evidence_add(
        actor=users["education_inspector"], case_id=case.pk, description="现场照片", file=_file(data, "a.jpg")
    )
    with evidence.file.open("rb") as handle:
        stored = handle.read()
    assert b"<script>" not in stored and evidence.sha256 == hashlib.sha256(stored).hexdigest()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.getexif().get_ifd(0x8825)  # evidence for staff: where it was taken stays


def test_case_evidence_video_is_probed(users, case):
    evidence = services.case_evidence_add(
        actor=users["education_inspector"], case_id=case.pk, description="执法记录仪", file=_file(samples.mp4(), "v")
    )
    assert evidence.file.name.endswith(".mp4")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n" + samples.HTML, "PDF 文件无法解析"),
        (samples.png_bomb(), "像素过多"),
        (samples.HTML, "文件类型不被接受"),
    ],
    ids=["PDF then HTML", "decompression bomb", "HTML"],
)
def test_refused_case_evidence_writes_nothing(users, case, data, message):
    events, files = AuditEvent.objects.count(), _files_under("penalties")
    with pytest.raises(ServiceError, match=message) as caught:
        services.case_evidence_add(
            actor=users["education_inspector"], case_id=case.pk, description="证据", file=_file(data, "x.pdf")
        )
    assert caught.value.field == "file"
    assert not CaseEvidence.objects.exists() and AuditEvent.objects.count() == events
    assert _files_under("penalties") == files


def test_refused_case_evidence_is_explained_on_the_page(users, case, education_inspector_client):
    response = education_inspector_client.post(
        reverse("penalties:case_step", args=[case.pk, "evidence"]),
        {"description": "证据", "file": _file(b"%PDF-1.7\n" + samples.HTML, "x.pdf")},
        follow=True,
    )
    assert response.status_code == 200 and "PDF 文件无法解析或已损坏" in response.content.decode()
    assert not CaseEvidence.objects.exists()


def test_closing_documents_take_photos_and_pdfs_only(users, institution, departments):
    order = RectificationOrderFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=OrderStatus.SERVED,
    )
    item = order.items.first()
    with pytest.raises(ServiceError, match="只能上传 JPEG、PNG、WebP、HEIC 照片或 PDF") as caught:
        services.order_item_close(
            actor=users["education_head"], item_id=item.pk, method="documents", evidence=_file(samples.mp4(), "a")
        )
    assert caught.value.field == "evidence"
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and not item.evidence
    services.order_item_close(
        actor=users["education_head"],
        item_id=item.pk,
        method="documents",
        evidence=_file(samples.heic(), "IMG_0001.HEIC"),
    )
    item.refresh_from_db()
    assert item.status == ItemStatus.CLOSED and item.evidence.name.endswith(".jpg")


def test_refund_proof_is_checked(users, institution, departments):
    notice = SuspensionNoticeFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=SuspensionStatus.SERVED,
    )
    with pytest.raises(ServiceError, match="照片无法识别"):
        services.refund_record(
            actor=users["education_inspector"],
            notice_id=notice.pk,
            student_group="一班",
            amount_due=Decimal("100"),
            amount_refunded=Decimal("100"),
            evidence=_file(b"\xff\xd8\xff\xe0" + samples.HTML, "收据.jpg"),
        )
    assert not notice.refunds.exists()


def test_service_photo_must_be_a_photo(users, institution, departments):
    order = RectificationOrderFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=OrderStatus.APPROVED,
    )
    data = {"served_at": timezone.now(), "method": "in_person", "receiver_name": "王某"}
    with pytest.raises(ServiceError, match="只能上传 JPEG、PNG、WebP 或 HEIC 照片"):
        services.order_serve(
            actor=users["education_inspector"], order_id=order.pk, data={**data, "photo": _file(samples.pdf(), "p")}
        )
    assert not ServiceRecord.objects.exists()
    record = services.order_serve(
        actor=users["education_inspector"], order_id=order.pk, data={**data, "photo": _file(samples.jpeg(), "p")}
    )
    assert record.photo.name.endswith(".jpg")


def test_files_are_served_to_who_may_see_the_document_with_safe_headers(
    users, case, institution, departments, education_head_client, other_county_client
):
    from django.test import Client

    evidence = services.case_evidence_add(
        actor=users["education_inspector"], case_id=case.pk, description="笔录", file=_file(samples.pdf(), "a.html")
    )
    order = RectificationOrderFactory(
        institution=institution,
        department=departments["education"],
        drafted_by=users["education_inspector"],
        status=OrderStatus.APPROVED,
    )
    record = services.order_serve(
        actor=users["education_inspector"],
        order_id=order.pk,
        data={
            "served_at": timezone.now(),
            "method": "in_person",
            "receiver_name": "王某",
            "photo": _file(samples.jpeg(), "p.jpg"),
        },
    )
    pdf_url = reverse("penalties:stored_file", args=["case", evidence.pk])
    response = education_head_client.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="case-{evidence.pk}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == samples.pdf()
    photo_url = reverse("penalties:stored_file", args=["service", record.pk])
    response = education_head_client.get(photo_url)
    assert response["Content-Type"] == "image/jpeg" and response["Content-Disposition"].startswith("inline;")
    page = education_head_client.get(order.get_absolute_url())
    assert photo_url in page.content.decode()
    for url in (pdf_url, photo_url):
        assert other_county_client.get(url).status_code == 403
        assert Client().get(url).status_code == 302
    assert education_head_client.get(reverse("penalties:stored_file", args=["nothing", 1])).status_code == 404
