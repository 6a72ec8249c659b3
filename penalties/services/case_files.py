"""Issuing a case document (立案审批表 … 结案报告) as a numbered, verifiable PDF: its content is taken from the case
now (penalties.services.case_documents) and frozen on a CaseDocument row, numbered by its kind's pattern where it
goes to the party (事先告知书, 听证通知书, 案件移送书, 催告书, 强制执行申请书) or by the case's 案号 where it stays in
the file, and rendered after commit. Issuing again refreshes the content and keeps the number."""

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils.translation import gettext as _

from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed

from .. import permissions
from ..audit_kinds import PenaltiesAuditKind
from ..models import CaseDocument, PenaltyCase
from ..pdf import CASE_DOCUMENT_TITLES, NUMBERED_CASE_DOCUMENTS, freeze
from .case_documents import CASE_DOCUMENTS, CaseDocumentKind
from .common import _now, _snap
from .documents import _queue_pdf
from .numbering import _assign_number


def case_reference(case: PenaltyCase) -> str:
    """The case's 案号, printed on the forms kept in the file: 历下教案字〔2026〕第12号 (the case's id)."""
    department = case.department
    year = (case.filed_at or case.opened_at).year
    return f"{department.short_name or department.name}案字〔{year}〕第{case.pk}号"


@transaction.atomic
def case_document_issue(*, actor, case_id: int, kind: str, record_id: int | None = None, now=None) -> CaseDocument:
    case = PenaltyCase.objects.select_for_update().select_related("institution", "department").get(pk=case_id)
    if not permissions.can_work_case(actor, case):
        raise ActionForbidden(_("只有承办部门的工作人员可以制作案件文书。"))
    if kind not in CASE_DOCUMENTS:
        raise ServiceError(_("没有这种案件文书。"), field="kind")
    title = str(CASE_DOCUMENT_TITLES[kind])
    try:
        if kind == CaseDocumentKind.INVESTIGATION_RECORD:
            if record_id is None:
                raise ServiceError(_("请选择笔录。"), field="record")
            context = CASE_DOCUMENTS[kind](case, record_id)
            title = context["title"]
        else:
            context = CASE_DOCUMENTS[kind](case)
    except (ObjectDoesNotExist, AttributeError, AssertionError, KeyError, TypeError):
        # The step the document records has not happened (no hearing, no decision, no referral…).
        raise TransitionNotAllowed(
            _("案件尚未进行到可以制作%(title)s的阶段。") % {"title": CASE_DOCUMENT_TITLES[kind]}
        ) from None
    now = _now(now)
    record_id = record_id if kind == CaseDocumentKind.INVESTIGATION_RECORD else None
    document = CaseDocument.objects.filter(case=case, kind=kind, record_id=record_id).first()
    before = {**_snap(document), "content": ""} if document else None
    if document is None:
        document = CaseDocument(case=case, kind=kind, record_id=record_id, title=title, issued_at=now,
                                issued_by=actor)
        if kind == CaseDocumentKind.NO_PENALTY_DECISION:
            document.number = context["number"]
        elif kind in NUMBERED_CASE_DOCUMENTS:
            _assign_number(document, kind=NUMBERED_CASE_DOCUMENTS[kind], department=case.department, now=now)
        else:
            document.number = case_reference(case)
    document.content = freeze(context)
    document.save()
    record_event(
        actor=actor,
        kind=PenaltiesAuditKind.CASE_DOCUMENT_ISSUED,
        obj=case,
        institution_id=case.institution_id,
        before={"document": before} if before else None,
        after={"document": {**_snap(document), "content": ""}},
        summary=_("制作%(title)s %(number)s") % {"title": title, "number": document.number},
        now=now,
    )
    _queue_pdf("case_document", document.pk)
    return document
