"""送达回证 prepared before service: one or several approved, unserved documents of one department to one
addressee on one numbered, printable proof; recording its service serves each document through that document's
own transition, in one transaction. And the addressee's consent to electronic service (电子送达确认书), without
which electronic service is refused (documents._record_service)."""

import datetime
import logging
import types

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.models import Institution
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed

from .. import conf, permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import (
    CaseDocument,
    CaseStatus,
    Decision,
    DocumentKind,
    ElectronicServiceConsent,
    Hearing,
    HearingStatus,
    OrderStatus,
    PenaltyCase,
    RectificationOrder,
    ServedDocument,
    ServiceMethod,
    ServiceProof,
    ServiceProofItem,
    ServiceRecord,
    SuspensionNotice,
    SuspensionStatus,
)
from .cases import case_serve, case_serve_rights_notice
from .common import _now, _snap
from .documents import _queue_pdf
from .execution import case_serve_reminder
from .hearings import hearing_notice_serve
from .numbering import _assign_number
from .orders import order_serve
from .suspensions import suspension_serve

logger = logging.getLogger(__name__)


def _owner(document_type: str, document_id: int):
    """(the row that carries department, institution and status, its document, awaiting service?)."""
    if document_type == ServedDocument.RECTIFICATION_ORDER:
        order = RectificationOrder.objects.select_related("institution").filter(pk=document_id).first()
        return order, order, bool(order and order.status == OrderStatus.APPROVED)
    if document_type == ServedDocument.SUSPENSION_NOTICE:
        notice = SuspensionNotice.objects.select_related("institution").filter(pk=document_id).first()
        return notice, notice, bool(notice and notice.status == SuspensionStatus.APPROVED)
    if document_type == ServedDocument.PENALTY_DECISION:  # 行政处罚决定书 and 不予行政处罚决定书 alike
        decision = Decision.objects.select_related("case__institution").filter(pk=document_id).first()
        case = decision.case if decision else None
        return case, decision, bool(case and case.status == CaseStatus.DECIDED)
    if document_type in CASE_SERVED_DOCUMENTS:  # a case document: its document_id is the case's
        case = PenaltyCase.objects.select_related("institution").filter(pk=document_id).first()
        if case is None:
            return None, None, False
        number, awaiting = _case_document_state(document_type, case)
        return case, types.SimpleNamespace(pk=case.pk, number=number), awaiting
    return None, None, False


def _issued_number(case_id: int, kind: str) -> str:
    """The number of the case document of `kind` where it has been issued (CaseDocument), else ""."""
    numbers = CaseDocument.objects.filter(case_id=case_id, kind=kind).values_list("number", flat=True)
    return numbers.first() or ""


def _case_document_state(document_type: str, case) -> tuple[str, bool]:
    """(its number, awaiting service?) of a case document: made and not yet served at the case's step."""
    if document_type == ServedDocument.RIGHTS_NOTICE:
        return _issued_number(case.pk, "rights_notice"), (case.status == CaseStatus.NOTICE_OF_RIGHTS
                                                and case.rights_served_at is None)
    if document_type == ServedDocument.HEARING_NOTICE:
        hearing = Hearing.objects.filter(case=case).first()
        return _issued_number(case.pk, "hearing_notice"), bool(
            case.status == CaseStatus.NOTICE_OF_RIGHTS and hearing and hearing.status == HearingStatus.NOTIFIED
            and hearing.notice_served_on is None
        )
    number = _issued_number(case.pk, "reminder")
    return number, bool(number and case.status == CaseStatus.SERVED and case.reminder_served_on is None)


def _serve_one(*, actor, document_type: str, document_id: int, data: dict, now) -> ServiceRecord:
    if document_type == ServedDocument.RECTIFICATION_ORDER:
        return order_serve(actor=actor, order_id=document_id, data=data, now=now)
    if document_type == ServedDocument.SUSPENSION_NOTICE:
        return suspension_serve(actor=actor, notice_id=document_id, data=data, now=now)
    if document_type == ServedDocument.RIGHTS_NOTICE:
        return case_serve_rights_notice(actor=actor, case_id=document_id, data=data, now=now)
    if document_type == ServedDocument.HEARING_NOTICE:
        return hearing_notice_serve(actor=actor, case_id=document_id, data=data, now=now)
    if document_type == ServedDocument.PAYMENT_REMINDER:
        return case_serve_reminder(actor=actor, case_id=document_id, data=data, now=now)
    case_id = Decision.objects.values_list("case_id", flat=True).get(pk=document_id)
    return case_serve(actor=actor, case_id=case_id, data=data, now=now)


# Case documents served on a 送达回证 through their own step (their ServiceRecord.document_id is the case's).
CASE_SERVED_DOCUMENTS = (ServedDocument.RIGHTS_NOTICE, ServedDocument.HEARING_NOTICE, ServedDocument.PAYMENT_REMINDER)


def servable_documents(*, institution_id: int, department_id: int) -> list[tuple[str, int, str]]:
    """(document_type, id, number) of the department's approved documents to the institution awaiting service:
    orders, suspension notices, decisions (行政处罚决定书, 不予行政处罚决定书), and the case documents made and
    awaiting service at their step (事先告知书; 听证通知书 whose service was not recorded as a date; 催告书 issued)."""
    rows = [
        (ServedDocument.RECTIFICATION_ORDER, pk, number)
        for pk, number in RectificationOrder.objects.filter(
            institution_id=institution_id, department_id=department_id, status=OrderStatus.APPROVED
        ).values_list("pk", "number")
    ]
    rows += [
        (ServedDocument.SUSPENSION_NOTICE, pk, number)
        for pk, number in SuspensionNotice.objects.filter(
            institution_id=institution_id, department_id=department_id, status=SuspensionStatus.APPROVED
        ).values_list("pk", "number")
    ]
    rows += [
        (ServedDocument.PENALTY_DECISION, pk, number)
        for pk, number in Decision.objects.filter(
            case__institution_id=institution_id, case__department_id=department_id, case__status=CaseStatus.DECIDED
        ).values_list("pk", "number")
    ]
    cases = PenaltyCase.objects.filter(institution_id=institution_id, department_id=department_id)
    for case in cases.filter(status=CaseStatus.NOTICE_OF_RIGHTS) | cases.filter(status=CaseStatus.SERVED,
                                                                                  reminder_served_on=None):
        for document_type in CASE_SERVED_DOCUMENTS:
            number, awaiting = _case_document_state(document_type, case)
            if awaiting:
                rows.append((document_type, case.pk, number))
    return rows


@transaction.atomic
def service_proof_prepare(*, actor, documents, now=None) -> ServiceProof:
    """Number a 送达回证 listing `documents` ((document_type, id) pairs) and queue its PDF."""
    documents = list(dict.fromkeys((str(kind), int(pk)) for kind, pk in documents))
    if not documents:
        raise ServiceError(_("请至少选择一份待送达的文书。"), field="documents")
    owners = []
    for document_type, document_id in documents:
        owner, document, awaiting = _owner(document_type, document_id)
        if owner is None:
            raise ServiceError(_("所选文书不存在。"), field="documents")
        if not permissions.can_serve(actor, owner):
            raise ActionForbidden(_("只有下达部门可以送达该文书。"))
        if not awaiting:
            raise ServiceError(
                _("%(number)s 不是待送达的文书（须已批准、尚未送达）。") % {"number": document.number or owner},
                field="documents",
            )
        owners.append((document_type, owner, document))
    if len({(owner.department_id, owner.institution_id) for _kind, owner, _doc in owners}) > 1:
        raise ServiceError(_("一份送达回证只能列同一机关送达同一受送达人的文书。"), field="documents")
    now = _now(now)
    first = owners[0][1]
    proof = ServiceProof(institution=first.institution, department=first.department, created_at=now,
                         created_by=actor)
    _assign_number(proof, kind=DocumentKind.SERVICE_PROOF, department=first.department, now=now)
    proof.save()
    ServiceProofItem.objects.bulk_create(
        ServiceProofItem(proof=proof, position=position, document_type=kind, document_id=document.pk,
                         document_number=document.number)
        for position, (kind, _owner_row, document) in enumerate(owners, start=1)
    )
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.SERVICE_PROOF_PREPARED,
        obj=proof,
        institution_id=proof.institution_id,
        after={**_snap(proof), "documents": [document.number for _kind, _owner_row, document in owners]},
        summary=_("制作送达回证 %(number)s") % {"number": proof.number},
        now=now,
    )
    _queue_pdf("proof", proof.pk)
    return proof


@transaction.atomic
def service_proof_serve(*, actor, proof_id: int, data: dict, now=None) -> list[ServiceRecord]:
    """Record the service of every document on the proof, each through its own transition (all or none)."""
    proof = ServiceProof.objects.select_for_update().select_related("department").get(pk=proof_id)
    if not permissions.is_issuing_staff(actor, proof):
        raise ActionForbidden(_("只有送达机关的工作人员可以记录送达。"))
    if proof.served_at:
        raise TransitionNotAllowed(
            _("该送达回证已于%(at)s记录送达。") % {"at": timezone.localtime(proof.served_at).strftime("%Y-%m-%d %H:%M")}
        )
    upload = data.get("photo")
    content = upload.read() if upload else None
    records = []
    for item in proof.items.all():
        item_data = dict(data)
        if upload:  # each record keeps its own copy of the photo
            item_data["photo"] = SimpleUploadedFile(upload.name, content, content_type=upload.content_type)
        records.append(
            _serve_one(actor=actor, document_type=item.document_type, document_id=item.document_id, data=item_data,
                       now=now)
        )
    ServiceRecord.objects.filter(pk__in=[record.pk for record in records]).update(proof=proof)
    for record in records:
        record.proof = proof
    before = _snap(proof)
    proof.served_at = records[0].served_at
    proof.save(update_fields=["served_at"])
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.SERVICE_PROOF_SERVED,
        obj=proof,
        institution_id=proof.institution_id,
        before=before,
        after=_snap(proof),
        summary=_("按送达回证 %(number)s 送达%(count)d份文书（%(method)s）")
        % {"number": proof.number, "count": len(records), "method": records[0].get_method_display()},
        now=now,
    )
    _queue_pdf("proof", proof.pk)
    return records


@transaction.atomic
def service_proof_publish(*, actor, proof_id: int, published_at, notice_medium: str, now=None):
    """公告送达 recorded on the day of the notice: the proof is pending (published, not yet effective) until the
    notice period is over, when service_proof_complete_notices (the chaser) serves every document on it as
    served at the end of the period. A notice whose period is already over is served at once."""
    proof = ServiceProof.objects.select_for_update().get(pk=proof_id)
    if not permissions.is_issuing_staff(actor, proof):
        raise ActionForbidden(_("只有送达机关的工作人员可以记录送达。"))
    if proof.served_at:
        raise TransitionNotAllowed(_("该送达回证已记录送达。"))
    if proof.notice_published_at:
        raise TransitionNotAllowed(
            _("该送达回证已于%(at)s公告送达。")
            % {"at": timezone.localtime(proof.notice_published_at).strftime("%Y-%m-%d %H:%M")}
        )
    notice_medium = (notice_medium or "").strip()
    if not notice_medium:
        raise ServiceError(_("公告送达须填写公告载体（如：本机关公告栏、门户网站）。"), field="notice_medium")
    if not isinstance(published_at, datetime.datetime):
        raise ServiceError(_("请填写公告时间。"), field="published_at")
    if timezone.is_naive(published_at):
        published_at = timezone.make_aware(published_at)
    published_at = published_at.replace(second=0, microsecond=0)
    now = _now(now)
    if published_at > now + datetime.timedelta(minutes=5):
        raise ServiceError(_("公告时间不能晚于现在。"), field="published_at")
    for item in proof.items.all():
        _owner_row, document, awaiting = _owner(item.document_type, item.document_id)
        if not awaiting:
            raise ServiceError(
                _("%(number)s 不是待送达的文书（须已批准、尚未送达）。") % {"number": item.document_number or item},
                field="documents",
            )
    if published_at + datetime.timedelta(days=conf.public_notice_days()) <= now:
        data = {"served_at": published_at, "method": ServiceMethod.PUBLIC_NOTICE, "notice_medium": notice_medium}
        service_proof_serve(actor=actor, proof_id=proof.pk, data=data, now=now)
        proof.refresh_from_db()
        return proof
    before = _snap(proof)
    proof.notice_published_at, proof.notice_medium, proof.notice_recorded_by = published_at, notice_medium[:200], actor
    proof.save(update_fields=["notice_published_at", "notice_medium", "notice_recorded_by"])
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.SERVICE_PROOF_PUBLISHED,
        obj=proof,
        institution_id=proof.institution_id,
        before=before,
        after=_snap(proof),
        summary=_("公告送达送达回证 %(number)s（%(medium)s），%(at)s视为送达")
        % {"number": proof.number, "medium": notice_medium,
           "at": timezone.localtime(proof.notice_effective_at).strftime("%Y-%m-%d %H:%M")},
        now=now,
    )
    return proof


def service_proof_complete_notices(*, now=None) -> dict:
    """The chaser's step: every pending 公告送达 whose period is over is served (each proof in its own
    transaction, by whoever recorded the notice). Returns {"served": n, "failed": m}; a failure is logged."""
    now = _now(now)
    cutoff = now - datetime.timedelta(days=conf.public_notice_days())
    pending = ServiceProof.objects.filter(served_at=None, notice_published_at__lte=cutoff).select_related(
        "notice_recorded_by"
    )
    counts = {"served": 0, "failed": 0}
    for proof in pending:
        data = {"served_at": proof.notice_published_at, "method": ServiceMethod.PUBLIC_NOTICE,
                "notice_medium": proof.notice_medium}
        try:
            service_proof_serve(actor=proof.notice_recorded_by, proof_id=proof.pk, data=data, now=now)
        except (ServiceError, TransitionNotAllowed, ActionForbidden) as error:
            logger.warning("public notice of proof %s not served: %s", proof.pk, error)
            counts["failed"] += 1
        else:
            counts["served"] += 1
    return counts


@transaction.atomic
def service_consent_record(
    *, actor, institution_id: int, consented_by: str, consented_at, address: str, now=None
) -> ElectronicServiceConsent:
    """Record the addressee's signed consent to electronic service: who, when, to which address."""
    institution = Institution.objects.get(pk=institution_id)
    if not permissions.can_draft_for(actor, institution):
        raise ActionForbidden(_("只能为本辖区的机构登记电子送达确认书。"))
    consented_by, address = (consented_by or "").strip(), (address or "").strip()
    if not consented_by:
        raise ServiceError(_("请填写同意电子送达的人（如：法定代表人王某）。"), field="consented_by")
    if not address:
        raise ServiceError(_("请填写电子送达地址（电子邮箱、手机号码等）。"), field="address")
    if not isinstance(consented_at, datetime.datetime):
        raise ServiceError(_("请填写同意时间。"), field="consented_at")
    if timezone.is_naive(consented_at):
        consented_at = timezone.make_aware(consented_at)
    now = _now(now)
    if consented_at > now + datetime.timedelta(minutes=5):
        raise ServiceError(_("同意时间不能晚于现在。"), field="consented_at")
    consent = ElectronicServiceConsent.objects.create(
        institution=institution, consented_by=consented_by, consented_at=consented_at.replace(second=0, microsecond=0),
        address=address, recorded_at=now, recorded_by=actor,
    )
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.SERVICE_CONSENT_RECORDED,
        obj=consent,
        institution_id=institution.pk,
        after=_snap(consent),
        summary=_("登记电子送达确认书：%(who)s，送达地址 %(address)s") % {"who": consented_by, "address": address},
        now=now,
    )
    return consent


@transaction.atomic
def service_consent_withdraw(*, actor, consent_id: int, now=None) -> ElectronicServiceConsent:
    consent = ElectronicServiceConsent.objects.select_for_update().select_related("institution").get(pk=consent_id)
    if not permissions.can_draft_for(actor, consent.institution):
        raise ActionForbidden(_("只能为本辖区的机构登记电子送达确认书。"))
    if consent.withdrawn_at:
        raise TransitionNotAllowed(_("该电子送达确认书已撤回。"))
    before = _snap(consent)
    consent.withdrawn_at = _now(now)
    consent.save(update_fields=["withdrawn_at"])
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.SERVICE_CONSENT_WITHDRAWN,
        obj=consent,
        institution_id=consent.institution_id,
        before=before,
        after=_snap(consent),
        summary=_("撤回电子送达同意：%(address)s") % {"address": consent.address},
        now=now,
    )
    return consent
