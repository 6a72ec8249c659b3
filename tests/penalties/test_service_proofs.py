"""Service (送达): the 送达回证 printed before service for one or several documents and recorded on at once; the rules
of 留置送达 (witness and photo), 公告送达 (served 30 days after the notice, never recorded early) and electronic
service (only with a recorded consent)."""

import datetime
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from penalties import services
from penalties.models import (
    ElectronicServiceConsent,
    OrderStatus,
    RectificationOrder,
    ServiceProof,
    ServiceRecord,
    SuspensionNotice,
    SuspensionStatus,
)
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.models import AuditEvent
from tests import upload_samples as samples
from tests.factories import InstitutionFactory, RectificationOrderFactory, SuspensionNoticeFactory, serve_data


def _text(name, tmp_path) -> str:
    """The proof's text in layout order (its table's cells side by side), whitespace removed."""
    path = tmp_path / "proof.pdf"
    with default_storage.open(name, "rb") as handle:
        path.write_bytes(handle.read())
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info  # one sheet
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


@pytest.fixture
def approved_order(institution, departments, users):
    return RectificationOrderFactory(
        institution=institution, department=departments["education"], drafted_by=users["education_inspector"],
        status=OrderStatus.APPROVED, now=timezone.now() - datetime.timedelta(hours=3),
        # Not the default (30 days after drafting): drafted three hours ago just after local midnight, the default
        # falls due before a 30-day public notice ends, and the chaser marks the order overdue first.
        deadline=timezone.localdate() + datetime.timedelta(days=60),
    )


@pytest.fixture
def approved_notice(institution, departments, users):
    return SuspensionNoticeFactory(
        institution=institution, department=departments["education"], drafted_by=users["education_inspector"],
        status=SuspensionStatus.APPROVED, now=timezone.now() - datetime.timedelta(hours=3),
    )


def _written():
    return (ServiceRecord.objects.count(), ServiceProof.objects.filter(served_at__isnull=False).count(),
            AuditEvent.objects.count())


def _photo():
    return SimpleUploadedFile("送达.jpg", samples.jpeg(), content_type="image/jpeg")


# ---- methods ------------------------------------------------------------------------------------------------


def test_left_with_witness_needs_a_witness_and_a_photo(users, approved_order):
    inspector, before = users["education_inspector"], _written()
    data = {**serve_data(timezone.now()), "method": "left_with_witness"}
    with pytest.raises(ServiceError, match="见证人"):
        services.order_serve(actor=inspector, order_id=approved_order.pk, data=data)
    with pytest.raises(ServiceError, match="拍照"):
        services.order_serve(actor=inspector, order_id=approved_order.pk, data={**data, "witness_name": "社区李某"})
    assert _written() == before
    record = services.order_serve(
        actor=inspector, order_id=approved_order.pk, data={**data, "witness_name": "社区李某", "photo": _photo()}
    )
    assert record.photo and record.witness_name == "社区李某"


def test_public_notice_counts_as_served_thirty_days_after_the_notice(users, approved_order):
    inspector = users["education_inspector"]
    published = (timezone.now() - datetime.timedelta(days=31)).replace(second=0, microsecond=0)
    approved_order.approved_at = published - datetime.timedelta(days=1)
    approved_order.save(update_fields=["approved_at"])
    data = {"served_at": published, "method": "public_notice", "notice_medium": "历下区教育局门户网站"}
    record = services.order_serve(actor=inspector, order_id=approved_order.pk, data=data)
    assert record.notice_published_at == published
    assert record.served_at == published + datetime.timedelta(days=30)
    approved_order.refresh_from_db()
    assert approved_order.status == OrderStatus.SERVED and approved_order.served_at == record.served_at


@pytest.mark.parametrize("days_ago", [0, 10, 29])
def test_public_notice_is_not_marked_served_early(users, approved_order, days_ago):
    approved_order.approved_at = timezone.now() - datetime.timedelta(days=40)
    approved_order.save(update_fields=["approved_at"])
    before = _written()
    published = timezone.now() - datetime.timedelta(days=days_ago)
    with pytest.raises(ServiceError, match="公告送达自公告之日起经过30日视为送达"):
        services.order_serve(
            actor=users["education_inspector"], order_id=approved_order.pk,
            data={"served_at": published, "method": "public_notice", "notice_medium": "公告栏"},
        )
    assert _written() == before
    assert RectificationOrder.objects.get(pk=approved_order.pk).status == OrderStatus.APPROVED


def test_public_notice_period_is_a_setting_and_needs_the_medium(users, approved_order, settings):
    settings.PENALTIES_PUBLIC_NOTICE_DAYS = 5
    approved_order.approved_at = timezone.now() - datetime.timedelta(days=40)
    approved_order.save(update_fields=["approved_at"])
    published = timezone.now() - datetime.timedelta(days=6)
    with pytest.raises(ServiceError, match="公告载体"):
        services.order_serve(actor=users["education_inspector"], order_id=approved_order.pk,
                             data={"served_at": published, "method": "public_notice"})
    record = services.order_serve(actor=users["education_inspector"], order_id=approved_order.pk,
                                  data={"served_at": published, "method": "public_notice", "notice_medium": "公告栏"})
    assert record.served_at - record.notice_published_at == datetime.timedelta(days=5)


def test_electronic_service_needs_a_recorded_consent(users, approved_order, institution):
    inspector, before = users["education_inspector"], _written()
    data = {"served_at": timezone.now(), "method": "electronic"}
    with pytest.raises(ServiceError, match="电子送达须经受送达人同意"):
        services.order_serve(actor=inspector, order_id=approved_order.pk, data=data)
    assert _written() == before
    consent = services.service_consent_record(
        actor=inspector, institution_id=institution.pk, consented_by="法定代表人王某",
        consented_at=timezone.now() - datetime.timedelta(hours=1), address="yangguang@example.com",
    )
    record = services.order_serve(actor=inspector, order_id=approved_order.pk, data=data)
    assert record.consent == consent and record.electronic_address == "yangguang@example.com"
    assert AuditEvent.objects.filter(kind="service_consent.recorded").count() == 1


def test_a_withdrawn_or_later_consent_does_not_count(users, approved_order, institution):
    inspector = users["education_inspector"]
    consent = services.service_consent_record(
        actor=inspector, institution_id=institution.pk, consented_by="王某",
        consented_at=timezone.now() - datetime.timedelta(days=2), address="13800000000",
    )
    services.service_consent_withdraw(actor=inspector, consent_id=consent.pk,
                                      now=timezone.now() - datetime.timedelta(hours=1))
    with pytest.raises(ServiceError, match="电子送达须经受送达人同意"):
        services.order_serve(actor=inspector, order_id=approved_order.pk,
                             data={"served_at": timezone.now(), "method": "electronic"})
    services.service_consent_record(actor=inspector, institution_id=institution.pk, consented_by="王某",
                                    consented_at=timezone.now(), address="13800000000")
    with pytest.raises(ServiceError, match="电子送达须经受送达人同意"):  # consent given after the service time
        services.order_serve(actor=inspector, order_id=approved_order.pk, data={
            "served_at": timezone.now() - datetime.timedelta(minutes=30), "method": "electronic"})
    assert not ServiceRecord.objects.exists()


def test_consent_needs_who_and_where_and_an_institution_in_the_region(users, institution, other_institution):
    inspector = users["education_inspector"]
    with pytest.raises(ServiceError, match="同意电子送达的人"):
        services.service_consent_record(actor=inspector, institution_id=institution.pk, consented_by=" ",
                                        consented_at=timezone.now(), address="a@example.com")
    with pytest.raises(ServiceError, match="电子送达地址"):
        services.service_consent_record(actor=inspector, institution_id=institution.pk, consented_by="王某",
                                        consented_at=timezone.now(), address="")
    with pytest.raises(ActionForbidden):
        services.service_consent_record(actor=inspector, institution_id=other_institution.pk, consented_by="王某",
                                        consented_at=timezone.now(), address="a@example.com")
    assert not ElectronicServiceConsent.objects.exists()


# ---- the proof of service -----------------------------------------------------------------------------------


def test_one_proof_lists_several_documents_prints_before_service_and_serves_them_all(
    users, approved_order, approved_notice, tmp_path, django_capture_on_commit_callbacks
):
    inspector = users["education_inspector"]
    with django_capture_on_commit_callbacks(execute=True):
        proof = services.service_proof_prepare(
            actor=inspector, documents=[("rectification_order", approved_order.pk),
                                        ("suspension_notice", approved_notice.pk)],
        )
    proof.refresh_from_db()
    year = timezone.localdate().year
    assert proof.number == f"历下区教育局送字〔{year}〕第1号"
    assert [item.document_number for item in proof.items.all()] == [approved_order.number, approved_notice.number]
    text = _text(proof.pdf.name, tmp_path)
    for expected in ("送达回证", proof.number, "送达文书名称及文号", approved_order.number, approved_notice.number,
                     "受送达人", "阳光艺术培训学校", "送达地点", "送达方式", "□留置送达", "□公告送达",
                     "受送达人签名或盖章", "代收人及与受送达人关系", "见证人", "送达人", "年月日时分", "备注"):
        assert expected in text, expected

    served_at = (timezone.now() - datetime.timedelta(minutes=30)).replace(second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        records = services.service_proof_serve(
            actor=inspector, proof_id=proof.pk,
            data={**serve_data(served_at), "co_server_name": "李执法", "remarks": "一并送达"},
        )
    assert len(records) == 2 and {r.proof_id for r in records} == {proof.pk}
    assert RectificationOrder.objects.get(pk=approved_order.pk).status == OrderStatus.SERVED
    assert SuspensionNotice.objects.get(pk=approved_notice.pk).status == SuspensionStatus.SERVED
    proof.refresh_from_db()
    assert proof.served_at == served_at
    local = timezone.localtime(served_at)
    text = _text(proof.pdf.name, tmp_path)
    assert f"{local.year}年{local.month}月{local.day}日{local.hour}时{local:%M}分" in text
    assert "■直接送达" in text and "王某（法定代表人）" in text and "李执法" in text
    with pytest.raises(TransitionNotAllowed, match="已于"):
        services.service_proof_serve(actor=inspector, proof_id=proof.pk, data=serve_data(served_at))


def test_a_refused_document_leaves_every_document_on_the_proof_unserved(users, approved_order, approved_notice):
    inspector = users["education_inspector"]
    proof = services.service_proof_prepare(
        actor=inspector, documents=[("rectification_order", approved_order.pk),
                                    ("suspension_notice", approved_notice.pk)],
    )
    before = _written()
    with pytest.raises(ServiceError, match="拍照"):
        services.service_proof_serve(
            actor=inspector, proof_id=proof.pk,
            data={**serve_data(timezone.now()), "method": "left_with_witness", "witness_name": "李某"},
        )
    assert _written() == before
    assert RectificationOrder.objects.get(pk=approved_order.pk).status == OrderStatus.APPROVED
    records = services.service_proof_serve(
        actor=inspector, proof_id=proof.pk,
        data={**serve_data(timezone.now()), "method": "left_with_witness", "witness_name": "李某", "refused": True,
              "photo": _photo()},
    )
    assert all(record.photo for record in records) and len({record.photo.name for record in records}) == 2


def test_proof_refuses_mixed_served_and_foreign_documents(users, approved_order, departments, institution, regions):
    inspector = users["education_inspector"]
    other_institution = InstitutionFactory(region=regions["township"], name="同街道另一机构")
    served = RectificationOrderFactory(institution=institution, department=departments["education"],
                                       drafted_by=inspector, served=True)
    other = RectificationOrderFactory(institution=other_institution, department=departments["education"],
                                      drafted_by=inspector, status=OrderStatus.APPROVED)
    market = RectificationOrderFactory(institution=institution, department=departments["market"],
                                       drafted_by=users["market_inspector"], status=OrderStatus.APPROVED)
    with pytest.raises(ServiceError, match="请至少选择"):
        services.service_proof_prepare(actor=inspector, documents=[])
    with pytest.raises(ServiceError, match="不是待送达的文书"):
        services.service_proof_prepare(actor=inspector, documents=[("rectification_order", served.pk)])
    with pytest.raises(ServiceError, match="同一受送达人"):
        services.service_proof_prepare(
            actor=inspector, documents=[("rectification_order", approved_order.pk), ("rectification_order", other.pk)]
        )
    with pytest.raises(ActionForbidden):
        services.service_proof_prepare(actor=inspector, documents=[("rectification_order", market.pk)])
    assert not ServiceProof.objects.exists()


# ---- pages --------------------------------------------------------------------------------------------------


def test_proof_pages_pick_documents_then_record_service(
    users, approved_order, approved_notice, institution, education_inspector_client
):
    page = education_inspector_client.get(
        f"/penalties/proofs/new/{institution.pk}/?doc=rectification_order:{approved_order.pk}"
    )
    body = page.content.decode()
    assert page.status_code == 200 and approved_order.number in body and approved_notice.number in body
    response = education_inspector_client.post(
        f"/penalties/proofs/new/{institution.pk}/",
        {"doc": [f"rectification_order:{approved_order.pk}", f"suspension_notice:{approved_notice.pk}"]},
    )
    proof = ServiceProof.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/penalties/proofs/{proof.pk}/"
    detail = education_inspector_client.get(f"/penalties/proofs/{proof.pk}/")
    assert detail.status_code == 200 and "记录送达" in detail.content.decode()
    served_at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    refused = education_inspector_client.post(
        f"/penalties/proofs/{proof.pk}/", {"served_at": served_at, "method": "electronic"}
    )
    assert refused.status_code == 200 and "电子送达须经受送达人同意" in refused.content.decode()
    assert not ServiceRecord.objects.exists()
    done = education_inspector_client.post(
        f"/penalties/proofs/{proof.pk}/",
        {"served_at": served_at, "method": "in_person", "receiver_name": "王某", "receiver_relation": "法定代表人"},
    )
    assert done.status_code == 302 and ServiceRecord.objects.filter(proof=proof).count() == 2


def test_consent_page_and_serve_page_link(users, approved_order, institution, education_inspector_client):
    serve_page = education_inspector_client.get(f"/penalties/orders/{approved_order.pk}/serve/").content.decode()
    assert f"/penalties/proofs/new/{institution.pk}/?doc=rectification_order%3A{approved_order.pk}" in serve_page
    assert "尚未签署电子送达确认书" in serve_page
    response = education_inspector_client.post(
        f"/penalties/consents/new/{institution.pk}/?next=/penalties/orders/{approved_order.pk}/serve/",
        {"consented_by": "法定代表人王某", "consented_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "address": "yangguang@example.com"},
    )
    assert response.status_code == 302 and response["Location"] == f"/penalties/orders/{approved_order.pk}/serve/"
    assert "yangguang@example.com" in education_inspector_client.get(response["Location"]).content.decode()


def test_other_county_cannot_see_a_proof(users, approved_order, other_county_client):
    proof = services.service_proof_prepare(actor=users["education_inspector"],
                                           documents=[("rectification_order", approved_order.pk)])
    assert other_county_client.get(f"/penalties/proofs/{proof.pk}/").status_code == 403


# ---- case documents served like any document ----------------------------------------------------------------

from penalties.models import HearingStatus, PenaltyCase  # noqa: E402
from tests.factories.organisation import at  # noqa: E402
from tests.penalties.test_case_procedure import (  # noqa: E402, F401 (fixtures)
    FINE,
    MON,
    T0,
    _investigated,
    fined,
    people,
    requested,
)


def test_rights_notice_is_served_on_a_proof_and_the_statement_period_runs_from_it(
    users, institution, departments, people  # noqa: F811
):
    case = _investigated(institution, departments, people)
    services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="penalty", penalties=FINE(), now=T0)
    services.case_notify_rights(actor=people["inspector"], case_id=case.pk, now=T0)
    notice = services.case_document_issue(actor=people["inspector"], case_id=case.pk, kind="rights_notice", now=T0)
    rows = services.servable_documents(institution_id=institution.pk, department_id=departments["education"].pk)
    assert ("rights_notice", case.pk, notice.number) in rows
    proof = services.service_proof_prepare(actor=people["inspector"], documents=[("rights_notice", case.pk)], now=T0)
    served = at(datetime.date(2026, 3, 4), hour=15)
    [record] = services.service_proof_serve(actor=people["inspector"], proof_id=proof.pk, data=serve_data(served),
                                            now=served)
    case.refresh_from_db()
    assert record.proof_id == proof.pk and record.document_number == notice.number
    assert case.rights_served_at == served and case.statement_due == datetime.date(2026, 3, 11)
    rows = services.servable_documents(institution_id=institution.pk, department_id=departments["education"].pk)
    assert not [row for row in rows if row[0] == "rights_notice"]


def test_hearing_notice_served_on_a_proof_counts_seven_working_days_from_that_service(requested, people):  # noqa: F811
    inspector = people["inspector"]
    hearing_at = at(datetime.date(2026, 3, 20), hour=9)
    hearing = services.hearing_notify(actor=inspector, case_id=requested.pk, scheduled_for=hearing_at,
                                      place="局三楼会议室", chair=people["chair"], now=T0)
    assert hearing.status == HearingStatus.NOTIFIED and hearing.notice_served_on is None
    with pytest.raises(TransitionNotAllowed, match="听证通知书尚未送达"):  # no hearing without a served notice
        services.hearing_absent(actor=inspector, case_id=requested.pk, note="未到场", now=hearing_at)
    notice = services.case_document_issue(actor=inspector, case_id=requested.pk, kind="hearing_notice", now=T0)
    rows = services.servable_documents(institution_id=requested.institution_id,
                                       department_id=requested.department_id)
    assert ("hearing_notice", requested.pk, notice.number) in rows
    proof = services.service_proof_prepare(actor=inspector, documents=[("hearing_notice", requested.pk)], now=T0)
    before = _written()
    late = at(datetime.date(2026, 3, 12), hour=10)  # 6 working days before the hearing on the 20th
    with pytest.raises(ServiceError, match="七个工作日"):
        services.service_proof_serve(actor=inspector, proof_id=proof.pk, data=serve_data(late), now=late)
    assert _written() == before and PenaltyCase.objects.get(pk=requested.pk).hearing.notice_served_on is None
    served = at(datetime.date(2026, 3, 11), hour=10)  # 7 working days before
    [record] = services.service_proof_serve(actor=inspector, proof_id=proof.pk, data=serve_data(served), now=served)
    hearing.refresh_from_db()
    assert hearing.notice_served_on == datetime.date(2026, 3, 11)
    assert record.document_type == "hearing_notice" and record.proof_id == proof.pk and record.receiver_name == "王某"
    assert AuditEvent.objects.filter(kind="case.hearing_notice_served", object_id=str(requested.pk)).exists()
    with pytest.raises(TransitionNotAllowed, match="已于2026-03-11送达"):
        services.hearing_notice_serve(actor=inspector, case_id=requested.pk, data=serve_data(served), now=served)
    assert services.hearing_absent(actor=inspector, case_id=requested.pk, note="当事人无正当理由未到场",
                                   now=hearing_at).status == HearingStatus.WAIVED


def test_hearing_notice_by_public_notice_counts_from_the_end_of_the_notice_period(requested, people):  # noqa: F811
    inspector = people["inspector"]
    services.hearing_notify(actor=inspector, case_id=requested.pk, scheduled_for=at(datetime.date(2026, 4, 20)),
                            place="局三楼会议室", chair=people["chair"], now=T0)
    published = at(MON, hour=11)  # counts as served on 1 April: 20 April is more than 7 working days later
    data = {**serve_data(published), "method": "public_notice", "notice_medium": "本机关门户网站"}
    services.hearing_notice_serve(actor=inspector, case_id=requested.pk, data=data,
                                  now=at(datetime.date(2026, 4, 2)))
    assert PenaltyCase.objects.get(pk=requested.pk).hearing.notice_served_on == datetime.date(2026, 4, 1)


def test_reminder_served_by_public_notice_counts_only_after_thirty_days(fined, people):  # noqa: F811
    inspector = people["inspector"]
    published = at(datetime.date(2026, 9, 1), hour=10)
    reminder = services.case_document_issue(actor=inspector, case_id=fined.pk, kind="reminder", now=published)
    rows = services.servable_documents(institution_id=fined.institution_id, department_id=fined.department_id)
    assert ("payment_reminder", fined.pk, reminder.number) in rows
    proof = services.service_proof_prepare(actor=inspector, documents=[("payment_reminder", fined.pk)],
                                           now=published)
    data = {**serve_data(published), "method": "public_notice", "notice_medium": "本机关公告栏"}
    before = _written()
    with pytest.raises(ServiceError, match="期满前不能记录为已送达"):
        services.service_proof_serve(actor=inspector, proof_id=proof.pk, data=data,
                                     now=at(datetime.date(2026, 9, 20)))
    assert _written() == before and PenaltyCase.objects.get(pk=fined.pk).reminder_served_on is None
    with pytest.raises(TransitionNotAllowed, match="催告书"):
        services.case_apply_enforcement(actor=inspector, case_id=fined.pk, court="历下区人民法院",
                                        now=at(datetime.date(2026, 9, 20)))
    [record] = services.service_proof_serve(actor=inspector, proof_id=proof.pk, data=data,
                                            now=at(datetime.date(2026, 10, 2)))
    case = PenaltyCase.objects.get(pk=fined.pk)
    assert record.served_at == published + datetime.timedelta(days=30) and record.notice_published_at == published
    assert case.reminder_served_on == datetime.date(2026, 10, 1)  # not the day of the notice
    with pytest.raises(TransitionNotAllowed, match="满十日"):
        services.case_apply_enforcement(actor=inspector, case_id=fined.pk, court="历下区人民法院",
                                        now=at(datetime.date(2026, 10, 10)))
    applied = services.case_apply_enforcement(actor=inspector, case_id=fined.pk, court="历下区人民法院",
                                              now=at(datetime.date(2026, 10, 11)))
    assert applied.enforcement_applied_on == datetime.date(2026, 10, 11)


def test_a_no_penalty_decision_is_servable_on_a_proof(users, institution, departments, people):  # noqa: F811
    case = _investigated(institution, departments, people)
    services.case_adjudicate(actor=people["head"], case_id=case.pk, outcome="no_penalty", reason="初次违法", now=T0)
    services.case_notify_rights(actor=people["inspector"], case_id=case.pk, now=T0)
    services.case_serve_rights_notice(actor=people["inspector"], case_id=case.pk, data=serve_data(T0), now=T0)
    services.case_record_statement(actor=people["inspector"], case_id=case.pk, waived=True, now=T0)
    decision = services.case_decide(actor=people["head"], case_id=case.pk, facts="事实", kind="no_penalty",
                                    no_penalty_ground="first_minor", now=T0)
    rows = services.servable_documents(institution_id=institution.pk, department_id=departments["education"].pk)
    assert ("penalty_decision", decision.pk, decision.number) in rows
    proof = services.service_proof_prepare(actor=people["inspector"], documents=[("penalty_decision", decision.pk)],
                                           now=T0)
    services.service_proof_serve(actor=people["inspector"], proof_id=proof.pk, data=serve_data(T0), now=T0)
    assert PenaltyCase.objects.get(pk=case.pk).served_at == T0.replace(second=0, microsecond=0)


# ---- 公告送达 pending during its period -------------------------------------------------------------------------


def test_public_notice_is_pending_then_effective_by_the_chaser(users, approved_order, approved_notice):
    from penalties.chaser import chase_deadlines

    inspector = users["education_inspector"]
    proof = services.service_proof_prepare(actor=inspector, documents=[("rectification_order", approved_order.pk),
                                                                        ("suspension_notice", approved_notice.pk)])
    published = (timezone.now() - datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
    with pytest.raises(ServiceError, match="公告载体"):
        services.service_proof_publish(actor=inspector, proof_id=proof.pk, published_at=published, notice_medium="")
    proof = services.service_proof_publish(actor=inspector, proof_id=proof.pk, published_at=published,
                                           notice_medium="本机关门户网站")
    assert proof.notice_pending and proof.notice_effective_at == published + datetime.timedelta(days=30)
    assert not ServiceRecord.objects.exists()
    assert RectificationOrder.objects.get(pk=approved_order.pk).status == OrderStatus.APPROVED  # not yet served
    assert AuditEvent.objects.filter(kind="service_proof.published", object_id=str(proof.pk)).exists()
    with pytest.raises(TransitionNotAllowed, match="公告送达"):
        services.service_proof_publish(actor=inspector, proof_id=proof.pk, published_at=published,
                                       notice_medium="公告栏")
    assert "public_notices_served" not in chase_deadlines(now=published + datetime.timedelta(days=29))
    assert ServiceProof.objects.get(pk=proof.pk).notice_pending
    stats = chase_deadlines(now=published + datetime.timedelta(days=30, minutes=1))
    assert stats["public_notices_served"] == 1
    proof.refresh_from_db()
    effective = published + datetime.timedelta(days=30)
    assert not proof.notice_pending and proof.served_at == effective
    records = list(ServiceRecord.objects.filter(proof=proof))
    assert len(records) == 2 and {r.served_at for r in records} == {effective}
    assert {r.method for r in records} == {"public_notice"} and records[0].notice_published_at == published
    assert RectificationOrder.objects.get(pk=approved_order.pk).status == OrderStatus.SERVED
    assert SuspensionNotice.objects.get(pk=approved_notice.pk).status == SuspensionStatus.SERVED
    assert "public_notices_served" not in chase_deadlines(now=published + datetime.timedelta(days=31))


def test_a_public_notice_already_over_is_served_at_once(users, approved_order):
    inspector = users["education_inspector"]
    proof = services.service_proof_prepare(actor=inspector, documents=[("rectification_order", approved_order.pk)],
                                           now=timezone.now() - datetime.timedelta(days=40))
    published = timezone.now() - datetime.timedelta(days=31)
    RectificationOrder.objects.filter(pk=approved_order.pk).update(approved_at=published - datetime.timedelta(days=1))
    proof = services.service_proof_publish(actor=inspector, proof_id=proof.pk, published_at=published,
                                           notice_medium="本机关公告栏")
    assert proof.served_at and not proof.notice_pending
    assert RectificationOrder.objects.get(pk=approved_order.pk).status == OrderStatus.SERVED


def test_proof_page_records_a_pending_public_notice(users, approved_order, institution, education_inspector_client):
    proof = services.service_proof_prepare(actor=users["education_inspector"],
                                           documents=[("rectification_order", approved_order.pk)])
    url = f"/penalties/proofs/{proof.pk}/"
    assert "记录公告" in education_inspector_client.get(url).content.decode()
    published = timezone.localtime() - datetime.timedelta(hours=1)
    empty = education_inspector_client.post(url, {"action": "publish", "notice-published_at":
                                                  published.strftime("%Y-%m-%dT%H:%M")})
    assert empty.status_code == 200 and not ServiceProof.objects.get(pk=proof.pk).notice_pending
    done = education_inspector_client.post(url, {"action": "publish", "notice-notice_medium": "本机关门户网站",
                                                 "notice-published_at": published.strftime("%Y-%m-%dT%H:%M")})
    assert done.status_code == 302 and ServiceProof.objects.get(pk=proof.pk).notice_pending
    page = education_inspector_client.get(url).content.decode()
    effective = (published + datetime.timedelta(days=30)).strftime("%Y-%m-%d %H:%M")
    assert "本机关门户网站公告" in page and f"{effective}视为送达" in page and "记录公告" not in page
    assert not ServiceRecord.objects.exists()
