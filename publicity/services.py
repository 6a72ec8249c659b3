"""Writes for publicity and reports. Every transition locks its row, checks the allowed source statuses
and the actor's rights, records an audit event in the same transaction, and raises a typed error otherwise.
"""

import hashlib
import json
import secrets
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections.services import visit_open_for_report
from institutions.models import Institution
from institutions.services import mark_public_pages
from regulator import uploads
from regulator.audit import PendingEvent, record_event, record_events, snapshot
from regulator.calendar import add_working_days
from regulator.documents import next_document_number, register_document
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed, require_status
from regulator.models import Role, User
from regulator.notifications import notify

from . import permissions, sources
from .audit_kinds import PublicityAuditKind
from .cache import bump_version
from .models import (
    Batch,
    BlackCategory,
    EntrySource,
    EntryStatus,
    ListEntry,
    ListKind,
    Removal,
    Report,
    ReportAttachment,
    ReportChannel,
    ReportStatus,
    ReportStep,
    ReportTopic,
    Statement,
)

REPORT_DEADLINE_WORKING_DAYS = getattr(settings, "REPORT_DEADLINE_WORKING_DAYS", 15)


def black_list_statement_days() -> int:
    """Working days the institution has to state and defend after it was told of a black-list proposal."""
    return int(getattr(settings, "BLACK_LIST_STATEMENT_WORKING_DAYS", 5))
BATCH_DOCUMENT_KIND = "publicity_batch"
# Tracking numbers: 16 characters from an alphabet without look-alikes (0/O, 1/I/L), about 78 bits.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 16


def bump_public_version() -> None:
    """Invalidate every cached public page and download (called on commit of a publish/removal)."""

    bump_version()


# ---- list entries --------------------------------------------------------------------------------


def _lock_entry(entry_id: int) -> ListEntry:
    return (
        ListEntry.objects.select_for_update(of=("self",))
        .select_related("institution", "proposing_department")
        .get(pk=entry_id)
    )


def _proposed_entry(*, institution, list_kind, reason, source_type, source_id, actor, black_category="",
                    handling_result="", source_object_type="", internal_remark="", is_typical_case=False,
                    now) -> ListEntry:
    """The unsaved entry of a proposal, or ServiceError saying why not (the source's ripeness apart)."""
    if not permissions.can_propose_entry(actor, institution):
        raise ActionForbidden(_("您无权为该机构提出名单条目。"))
    if list_kind not in ListKind.values:
        raise ServiceError(_("名单类型无效。"))
    if source_type not in EntrySource.values:
        raise ServiceError(_("来源类型无效。"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写列入原因。"))
    if list_kind == ListKind.BLACK:
        black_category = black_category or BlackCategory.OTHER
        if black_category not in BlackCategory.values:
            raise ServiceError(_("黑名单类别无效。"))
    else:
        black_category = ""
    if actor.department_id is None:
        raise ActionForbidden(_("您的账号未分配部门，无法提出名单条目。"))
    return ListEntry(
        institution=institution,
        list_kind=list_kind,
        black_category=black_category,
        reason=reason[:4000],
        handling_result=handling_result[:300],
        source_type=source_type,
        source_object_type=source_object_type or (source_type if source_id is not None else ""),
        source_object_id="" if source_id is None else str(source_id),
        status=EntryStatus.PROPOSED,
        is_typical_case=is_typical_case and list_kind == ListKind.BLACK,
        proposing_department_id=actor.department_id,
        proposed_by=actor,
        proposed_at=now,
        internal_remark=internal_remark,
        created_by=actor,
        updated_by=actor,
    )


def _proposed_summary(entry: ListEntry) -> str:
    return _("提出%(kind)s条目") % {"kind": entry.get_list_kind_display()}


@transaction.atomic
def list_entry_propose(
    *,
    institution: Institution,
    list_kind: str,
    reason: str,
    source_type: str = EntrySource.MANUAL,
    source_id=None,
    actor,
    black_category: str = "",
    handling_result: str = "",
    source_object_type: str = "",
    internal_remark: str = "",
    is_typical_case: bool = False,
    now=None,
) -> ListEntry:
    """Propose a white- or black-list entry. Called by hand and by the penalties issue (penalty decisions,
    escalated overdue orders); `source_id` is the id of the decision/order/visit it comes from."""
    now = now or timezone.now()
    entry = _proposed_entry(institution=institution, list_kind=list_kind, reason=reason, source_type=source_type,
                            source_id=source_id, actor=actor, black_category=black_category,
                            handling_result=handling_result, source_object_type=source_object_type,
                            internal_remark=internal_remark, is_typical_case=is_typical_case, now=now)
    sources.require_ripe(source_type, source_id)
    entry.save(force_insert=True)
    record_event(
        actor=actor,
        kind=PublicityAuditKind.LIST_ENTRY_PROPOSED,
        obj=entry,
        institution_id=institution.pk,
        after=snapshot(entry),
        summary=_proposed_summary(entry),
        now=now,
    )
    return entry


def list_entries_propose_many(*, proposals: list[dict], now=None) -> list[ListEntry | ServiceError]:
    """list_entry_propose for many proposals at once (the chaser's black-list proposals for a batch of escalated
    orders), in the caller's transaction: the same checks for each, the sources' ripeness of each source type in
    one query (publicity.sources.refusals), the entries in one INSERT and their audit events in one bulk append
    (one per actor). Each proposal holds list_entry_propose's keyword arguments; `institution` needs only its
    pk and region_id. Returns, in order, the entry made or the error that refused the proposal."""
    if not connection.in_atomic_block:
        raise RuntimeError("list_entries_propose_many must run inside the caller's transaction")
    now = now or timezone.now()
    results: list[ListEntry | ServiceError] = []
    for proposal in proposals:
        try:
            results.append(_proposed_entry(**{"source_type": EntrySource.MANUAL, "source_id": None, **proposal},
                                           now=now))
        except ServiceError as error:
            results.append(error)
    by_type: dict[str, list] = {}
    for result in results:
        if isinstance(result, ListEntry):
            by_type.setdefault(result.source_type, []).append(result.source_object_id)
    refused = {(source_type, str(source_id)): message for source_type, ids in by_type.items()
               for source_id, message in sources.refusals(source_type, ids).items()}
    for index, result in enumerate(results):
        if isinstance(result, ListEntry):
            message = refused.get((result.source_type, result.source_object_id))
            if message:
                results[index] = ServiceError(message)
    entries = ListEntry.objects.bulk_create([result for result in results if isinstance(result, ListEntry)])
    by_actor: dict[int, list] = {}
    for entry in entries:
        by_actor.setdefault(entry.proposed_by_id, []).append(entry)
    object_type = ListEntry._meta.label_lower
    for made in by_actor.values():
        record_events(actor=made[0].proposed_by, now=now, events=[
            PendingEvent(kind=PublicityAuditKind.LIST_ENTRY_PROPOSED, institution_id=entry.institution_id,
                         object_type=object_type, object_id=entry.pk, after=snapshot(entry),
                         summary=_proposed_summary(entry))
            for entry in made
        ])
    return results


@transaction.atomic
def list_entry_review(*, entry_id: int, actor, approve: bool, note: str = "", now=None) -> ListEntry:
    now = now or timezone.now()
    entry = _lock_entry(entry_id)
    if not permissions.can_review_entry(actor, entry):
        raise ActionForbidden(_("只有提出部门的负责人可以审核该条目。"))
    require_status(entry, (EntryStatus.PROPOSED,), message=_("条目当前状态为“%(status)s”，不能审核。"))
    before = snapshot(entry)
    entry.status = EntryStatus.REVIEWED if approve else EntryStatus.REJECTED
    entry.reviewed_by, entry.reviewed_at, entry.review_note = actor, now, note[:300]
    entry.updated_by = actor
    entry.save(
        update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_by", "updated_at"]
    )
    record_event(
        actor=actor,
        kind=PublicityAuditKind.LIST_ENTRY_REVIEWED if approve else PublicityAuditKind.LIST_ENTRY_REJECTED,
        obj=entry,
        institution_id=entry.institution_id,
        before=before,
        after=snapshot(entry),
        now=now,
    )
    return entry


@transaction.atomic
def list_entry_approve(
    *, entry_id: int, actor, approve: bool = True, note: str = "", is_typical_case=None, now=None
) -> ListEntry:
    now = now or timezone.now()
    entry = _lock_entry(entry_id)
    if not permissions.can_approve_entry(actor, entry):
        raise ActionForbidden(_("只有专项治理办公室可以批准名单条目。"))
    require_status(
        entry, (EntryStatus.REVIEWED,), message=_("条目当前状态为“%(status)s”，须经部门负责人审核后才能批准。")
    )
    if approve and entry.needs_statement_period:
        _require_statement_period_over(entry, timezone.localdate(now))
    before = snapshot(entry)
    entry.status = EntryStatus.APPROVED if approve else EntryStatus.REJECTED
    entry.approved_by, entry.approved_at = actor, now
    if note:
        entry.review_note = note[:300]
    if is_typical_case is not None:
        entry.is_typical_case = bool(is_typical_case) and entry.list_kind == ListKind.BLACK
    entry.updated_by = actor
    entry.save(
        update_fields=[
            "status",
            "approved_by",
            "approved_at",
            "review_note",
            "is_typical_case",
            "updated_by",
            "updated_at",
        ]
    )
    record_event(
        actor=actor,
        kind=PublicityAuditKind.LIST_ENTRY_APPROVED if approve else PublicityAuditKind.LIST_ENTRY_REJECTED,
        obj=entry,
        institution_id=entry.institution_id,
        before=before,
        after=snapshot(entry),
        now=now,
    )
    return entry


def _require_statement_period_over(entry: ListEntry, today: date) -> None:
    if entry.notified_on is None:
        raise TransitionNotAllowed(
            _("尚未告知机构拟列入黑名单的事实、理由及其陈述申辩的权利，不能批准。")
        )
    if today <= entry.statement_due:
        raise TransitionNotAllowed(
            _("陈述申辩期限（%(days)s个工作日，至%(due)s）尚未届满，期满后才能批准列入黑名单。")
            % {"days": black_list_statement_days(), "due": f"{entry.statement_due:%Y-%m-%d}"}
        )


@transaction.atomic
def list_entry_notify(*, entry_id: int, actor, notified_on: date, method: str, now=None) -> ListEntry:
    """Record that the institution was told of the black-list proposal and its right to state and defend
    (告知): the statement period runs from that day. Told again (say, served anew), the period starts again."""
    now = now or timezone.now()
    entry = _lock_entry(entry_id)
    if not permissions.can_record_statement(actor, entry):
        raise ActionForbidden(_("您无权记录该条目的告知情况。"))
    require_status(
        entry, (EntryStatus.PROPOSED, EntryStatus.REVIEWED),
        message=_("条目当前状态为“%(status)s”：告知须在批准之前记录。"),
    )
    if not entry.needs_statement_period:
        raise ServiceError(_("只有新提出的黑名单条目需要告知机构。"))
    method = (method or "").strip()
    if not method:
        raise ServiceError(_("请填写告知方式（如：直接送达告知书）。"), field="method")
    if notified_on is None:
        raise ServiceError(_("请填写告知日期。"), field="notified_on")
    if notified_on > timezone.localdate(now):
        raise ServiceError(_("告知日期不能晚于今天。"), field="notified_on")
    if notified_on < timezone.localdate(entry.proposed_at):
        raise ServiceError(_("告知日期不能早于提出日期。"), field="notified_on")
    before = snapshot(entry)
    entry.notified_on, entry.notice_method = notified_on, method[:100]
    entry.statement_due = add_working_days(notified_on, black_list_statement_days())
    entry.updated_by = actor
    entry.save(update_fields=["notified_on", "notice_method", "statement_due", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        kind=PublicityAuditKind.LIST_ENTRY_NOTIFIED,
        obj=entry,
        institution_id=entry.institution_id,
        before=before,
        after=snapshot(entry),
        summary=_("陈述申辩期限至%(due)s") % {"due": f"{entry.statement_due:%Y-%m-%d}"},
        now=now,
    )
    return entry


@transaction.atomic
def statement_record(*, entry_id: int, actor, text: str, received_on: date, answer: str = "") -> Statement:
    """Record the institution's statement (陈述申辩) before the decision, and the answer to it."""
    entry = _lock_entry(entry_id)
    if not permissions.can_record_statement(actor, entry):
        raise ActionForbidden(_("您无权记录该条目的陈述申辩。"))
    require_status(
        entry, (EntryStatus.PROPOSED, EntryStatus.REVIEWED),
        message=_("条目当前状态为“%(status)s”：陈述申辩须在批准之前记录。"),
    )
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写陈述申辩内容。"))
    statement = Statement.objects.create(
        entry=entry,
        text=text,
        answer=answer,
        received_on=received_on,
        recorded_by=actor,
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        kind=PublicityAuditKind.LIST_ENTRY_STATEMENT_RECORDED,
        obj=statement,
        institution_id=entry.institution_id,
        after=snapshot(statement),
    )
    return statement


def entry_public_dict(entry: ListEntry) -> dict:
    """The published fields of an entry — the same in batches, pages and open data. Never a staff field."""
    institution = entry.institution
    return {
        "entry_id": entry.pk,
        "version": entry.version,
        "supersedes_id": entry.supersedes_id,
        "list_kind": entry.list_kind,
        "black_category": entry.black_category,
        "institution_name": institution.name,
        "credit_code": institution.credit_code,
        "address": institution.address,
        "region_code": institution.region_id,
        "reason": entry.reason,
        "handling_result": entry.handling_result,
        "decided_at": entry.approved_at.date().isoformat() if entry.approved_at else None,
    }


def canonical_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@transaction.atomic
def batch_publish(*, entry_ids, actor, title: str = "", as_of: date | None = None, now=None) -> Batch:
    """Publish approved entries in one dated, numbered batch. Any entry not approved: nothing is written."""
    now = now or timezone.now()
    if not permissions.can_publish_batch(actor):
        raise ActionForbidden(_("只有专项治理办公室可以发布名单批次。"))
    ids = sorted({int(pk) for pk in entry_ids})
    if not ids:
        raise ServiceError(_("请选择要发布的条目。"))
    entries = list(
        ListEntry.objects.select_for_update(of=("self",))
        .select_related("institution", "proposing_department")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(entries) != len(ids):
        raise ServiceError(_("部分条目不存在，未发布。"))
    not_approved = [entry for entry in entries if entry.status != EntryStatus.APPROVED]
    if not_approved:
        raise TransitionNotAllowed(
            _("以下条目尚未经专项治理办公室批准，整批未发布：%(ids)s")
            % {"ids": "、".join(f"#{entry.pk}（{entry.get_status_display()}）" for entry in not_approved)}
        )
    for entry in entries:
        if not permissions.can_approve_entry(actor, entry):
            raise ActionForbidden(_("条目 #%(id)s 不在您的管辖范围内，未发布。") % {"id": entry.pk})
    department = actor.department
    as_of = as_of or timezone.localdate(now)
    year = timezone.localdate(now).year
    serial = next_document_number(department=department, kind=BATCH_DOCUMENT_KIND, year=year)
    prefix = department.short_name or department.name
    number = f"{prefix}公示〔{year}〕第{serial}批"
    title = (title or "").strip() or _("校外培训机构黑白名单公示（截至%(date)s）") % {
        "date": as_of.isoformat()
    }
    content = {
        "number": number,
        "title": title,
        "as_of": as_of.isoformat(),
        "issuer": department.name,
        "published_at": now.isoformat(),
        "entries": [entry_public_dict(entry) for entry in entries],
    }
    body = canonical_json(content)
    batch = Batch.objects.create(
        department=department,
        year=year,
        serial=serial,
        number=number,
        title=title[:200],
        as_of=as_of,
        published_at=now,
        published_by=actor,
        canonical_json=body,
        sha256=hashlib.sha256(body.encode()).hexdigest(),
        created_by=actor,
        updated_by=actor,
    )
    superseded_ids = [entry.supersedes_id for entry in entries if entry.supersedes_id]
    for entry in entries:
        before = snapshot(entry)
        entry.status, entry.batch, entry.published_at, entry.updated_by = (
            EntryStatus.PUBLISHED,
            batch,
            now,
            actor,
        )
        entry.save(update_fields=["status", "batch", "published_at", "updated_by", "updated_at"])
        record_event(
            actor=actor,
            kind=PublicityAuditKind.LIST_ENTRY_PUBLISHED,
            obj=entry,
            institution_id=entry.institution_id,
            before=before,
            after=snapshot(entry),
            summary=number,
            now=now,
        )
    mark_public_pages({entry.institution_id for entry in entries})
    if superseded_ids:
        # The corrected versions leave the public list; their content stays as it was published.
        ListEntry.objects.filter(pk__in=superseded_ids, superseded_at__isnull=True).update(superseded_at=now)
    register_document(
        obj=batch,
        kind=BATCH_DOCUMENT_KIND,
        number=number,
        title=batch.title,
        issuer_name=department.name,
        sha256=batch.sha256,
        issued_at=now,
    )
    record_event(
        actor=actor,
        kind=PublicityAuditKind.BATCH_PUBLISHED,
        obj=batch,
        after={"number": number, "sha256": batch.sha256, "entries": ids},
        now=now,
    )
    transaction.on_commit(bump_public_version)
    return batch


@transaction.atomic
def list_entry_correct(
    *,
    entry_id: int,
    actor,
    reason: str,
    handling_result: str | None = None,
    black_category: str | None = None,
    internal_remark: str = "",
    now=None,
) -> ListEntry:
    """A correction of a published entry: a new version, reviewed and approved again, then published."""
    now = now or timezone.now()
    entry = _lock_entry(entry_id)
    if not permissions.can_correct_entry(actor, entry):
        raise ActionForbidden(_("您无权更正该条目。"))
    require_status(entry, (EntryStatus.PUBLISHED,), message=_("条目当前状态为“%(status)s”：只能更正已公示的条目。"))
    if entry.superseded_at or entry.corrections.exclude(status=EntryStatus.REJECTED).exists():
        raise TransitionNotAllowed(_("该条目已有更正版本，请处理最新版本。"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写更正后的列入原因。"))
    correction = ListEntry.objects.create(
        institution_id=entry.institution_id,
        list_kind=entry.list_kind,
        black_category=entry.black_category if black_category is None else black_category,
        reason=reason,
        handling_result=entry.handling_result if handling_result is None else handling_result,
        source_type=entry.source_type,
        source_object_type=entry.source_object_type,
        source_object_id=entry.source_object_id,
        status=EntryStatus.PROPOSED,
        is_typical_case=entry.is_typical_case,
        proposing_department_id=actor.department_id or entry.proposing_department_id,
        proposed_by=actor,
        proposed_at=now,
        internal_remark=internal_remark,
        version=entry.version + 1,
        supersedes=entry,
        created_by=actor,
        updated_by=actor,
    )
    record_event(
        actor=actor,
        kind=PublicityAuditKind.LIST_ENTRY_CORRECTION_PROPOSED,
        obj=correction,
        institution_id=entry.institution_id,
        after=snapshot(correction),
        now=now,
        summary=_("更正条目 #%(id)s") % {"id": entry.pk},
    )
    return correction


@transaction.atomic
def removal_propose(*, entry_id: int, actor, reason: str, now=None) -> Removal:
    now = now or timezone.now()
    entry = _lock_entry(entry_id)
    if not permissions.can_propose_removal(actor, entry):
        raise ActionForbidden(_("您无权申请移出该条目。"))
    require_status(entry, (EntryStatus.PUBLISHED,), message=_("条目当前状态为“%(status)s”：只能移出已公示的条目。"))
    if entry.superseded_at:
        raise TransitionNotAllowed(_("该条目已被更正，请对最新版本申请移出。"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写移出原因。"))
    before = snapshot(entry)
    removal = Removal.objects.create(
        entry=entry, reason=reason, proposed_by=actor, proposed_at=now, created_by=actor, updated_by=actor
    )
    entry.status, entry.updated_by = EntryStatus.REMOVAL_PROPOSED, actor
    entry.save(update_fields=["status", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        kind=PublicityAuditKind.LIST_ENTRY_REMOVAL_PROPOSED,
        obj=entry,
        institution_id=entry.institution_id,
        before=before,
        after=snapshot(entry),
        summary=reason[:200],
        now=now,
    )
    return removal


@transaction.atomic
def removal_decide(*, entry_id: int, actor, approve: bool = True, now=None) -> Removal:
    now = now or timezone.now()
    entry = _lock_entry(entry_id)
    if not permissions.can_approve_removal(actor, entry):
        raise ActionForbidden(_("只有专项治理办公室可以批准移出。"))
    require_status(
        entry, (EntryStatus.REMOVAL_PROPOSED,), message=_("条目当前状态为“%(status)s”，没有待批准的移出申请。")
    )
    removal = Removal.objects.select_for_update().get(entry=entry, state=Removal.State.PROPOSED)
    before = snapshot(entry)
    removal.state = Removal.State.APPROVED if approve else Removal.State.REJECTED
    removal.decided_by, removal.decided_at = actor, now
    removal.removed_on = timezone.localdate(now) if approve else None
    removal.updated_by = actor
    removal.save(
        update_fields=["state", "decided_by", "decided_at", "removed_on", "updated_by", "updated_at"]
    )
    entry.status = EntryStatus.REMOVED if approve else EntryStatus.PUBLISHED
    entry.removed_at = now if approve else None
    entry.updated_by = actor
    entry.save(update_fields=["status", "removed_at", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        kind=PublicityAuditKind.LIST_ENTRY_REMOVED if approve else PublicityAuditKind.LIST_ENTRY_REMOVAL_REJECTED,
        obj=entry,
        institution_id=entry.institution_id,
        before=before,
        after=snapshot(entry),
        now=now,
    )
    if approve:
        transaction.on_commit(bump_public_version)
    return removal


def removal_approve(*, entry_id: int, actor, now=None) -> Removal:
    return removal_decide(entry_id=entry_id, actor=actor, approve=True, now=now)


# ---- reports -------------------------------------------------------------------------------------


def new_tracking_number() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalize_tracking_number(value: str) -> str:
    """Upper-case, without spaces and dashes; '' when it cannot be a tracking number at all."""
    cleaned = "".join((value or "").split()).replace("-", "").upper()[:64]
    if len(cleaned) != TRACKING_LENGTH or any(char not in TRACKING_ALPHABET for char in cleaned):
        return ""
    return cleaned


def _step(report: Report, *, status: str, actor, now, note: str = "", public_note: str = "") -> ReportStep:
    return ReportStep.objects.create(
        report=report, status=status, actor=actor, at=now, note=note, public_note=public_note[:500]
    )


@transaction.atomic
def report_file(
    *,
    region,
    content: str,
    institution: Institution | None = None,
    subject_name: str = "",
    subject_address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    attachments=(),
    now=None,
    channel: str = ReportChannel.WEB,
    recorded_by=None,
    received_at=None,
    topic: str = ReportTopic.GENERAL,
    charge: dict | None = None,
    payment_proof=None,
) -> Report:
    """A report from the public. `attachments` are photos already checked and re-encoded without any metadata
    (regulator.uploads.CheckedFile, from ReportForm): the uploads themselves are never stored. A report taken by
    phone, letter or in person is entered by a clerk through `report_record`, which gives channel, clerk and the
    time it was received (the deadline runs from then).

    A report of a charge outside the supervised account (topic off_account) gives `charge` {amount, paid_on,
    payee} and may add the transfer's screenshot (`payment_proof`, checked like the photos); the fund alert job
    reads it (selectors.reported_off_account_charges) without the reporter."""
    now = now or timezone.now()
    received_at = received_at or now
    content = (content or "").strip()
    if not content:
        raise ServiceError(_("请填写举报内容。"))
    if topic not in ReportTopic.values:
        raise ServiceError(_("请选择举报事项。"), field="topic")
    charge_fields = _reported_charge(topic, charge or {}, timezone.localdate(received_at))
    if institution is None and not (subject_name.strip() or subject_address.strip()):
        raise ServiceError(_("请选择被举报机构，或填写未登记机构的名称和地址。"))
    if institution is not None:
        region = institution.region
    anonymous = not (reporter_name.strip() or reporter_phone.strip())
    report = Report.objects.create(
        tracking_number=new_tracking_number(),
        institution=institution,
        subject_name=subject_name.strip()[:120],
        subject_address=subject_address.strip()[:200],
        region=region,
        content=content[:5000],
        is_anonymous=anonymous,
        reporter_name=reporter_name.strip()[:40],
        reporter_phone=reporter_phone.strip()[:30],
        channel=channel,
        recorded_by=recorded_by,
        received_at=received_at,
        deadline=add_working_days(timezone.localdate(received_at), REPORT_DEADLINE_WORKING_DAYS),
        topic=topic,
        **charge_fields,
    )
    if topic != ReportTopic.OFF_ACCOUNT:
        payment_proof = None
    # A photo's file goes if anything after it fails: no stored file without its row.
    with uploads.stored_files() as store:
        proofs = [(checked, False) for checked in attachments]
        if payment_proof is not None:
            proofs.append((payment_proof, True))
        for checked, is_proof in proofs:
            attachment = ReportAttachment(
                report=report, content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                is_payment_proof=is_proof,
            )
            store(attachment.file, checked.content, "upload")
            attachment.save()
        _step(
            report,
            status=ReportStatus.REGISTERED,
            actor=None,
            now=now,
            public_note=_("举报已登记，将在%(date)s前办理。") % {"date": report.deadline.isoformat()},
        )
        # The audit trail keeps no reporter identity either.
        record_event(
            actor=recorded_by,
            kind=PublicityAuditKind.REPORT_RECORDED if recorded_by else PublicityAuditKind.REPORT_FILED,
            obj=report,
            institution_id=institution.pk if institution else None,
            after={"region": report.region_id, "anonymous": anonymous, "attachments": len(proofs),
                   "channel": channel, "received_at": received_at.isoformat(), "topic": topic},
            now=now,
        )
    return report


# A reported charge older than this is refused: beyond any prepayment term (3 months) and any useful check.
REPORTED_CHARGE_MAX_AGE_DAYS = 730


def _reported_charge(topic: str, charge: dict, today: date) -> dict:
    """The charge fields of a report: those of an off-account charge checked, none for any other topic."""
    if topic != ReportTopic.OFF_ACCOUNT:
        return {}
    amount, paid_on = charge.get("amount"), charge.get("paid_on")
    payee = str(charge.get("payee") or "").strip()
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01")) if amount not in (None, "") else None
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or not Decimal("0") < amount < Decimal("100000000"):
        raise ServiceError(_("请填写缴费金额（元）。"), field="charge_amount")
    if not isinstance(paid_on, date):
        raise ServiceError(_("请填写缴费日期。"), field="charge_paid_on")
    if paid_on > today:
        raise ServiceError(_("缴费日期不能晚于今天。"), field="charge_paid_on")
    if paid_on < today - timedelta(days=REPORTED_CHARGE_MAX_AGE_DAYS):
        raise ServiceError(_("缴费日期早于两年前，请核对。"), field="charge_paid_on")
    if not payee:
        raise ServiceError(_("请填写收款账户或收款方（收据或转账记录上显示的）。"), field="charge_payee")
    return {"charge_amount": amount, "charge_paid_on": paid_on, "charge_payee": payee[:100]}


# How far back a clerk may date a report received by phone, letter or in person (a letter opened late).
REPORT_RECORD_MAX_AGE_DAYS = 30


@transaction.atomic
def report_record(*, actor, channel: str, received_at, region, content: str, institution=None,
                  subject_name: str = "", subject_address: str = "", reporter_name: str = "",
                  reporter_phone: str = "", now=None) -> Report:
    """A report received by phone, letter or in person, entered by staff of the region (登记): the same ledger,
    deadline (from its receipt) and tracking number as one filed on the web; the clerk is recorded."""
    now = now or timezone.now()
    if not permissions.can_record_report(actor, region.code if institution is None else institution.region_id):
        raise ActionForbidden(_("只能登记本辖区收到的举报。"))
    if channel not in (ReportChannel.PHONE, ReportChannel.LETTER, ReportChannel.VISIT):
        raise ServiceError(_("请选择举报渠道：电话、信件或来访。"), field="channel")
    if received_at > now:
        raise ServiceError(_("收到时间不能晚于现在。"), field="received_at")
    if received_at < now - timedelta(days=REPORT_RECORD_MAX_AGE_DAYS):
        raise ServiceError(_("收到时间早于%(days)d天前，请核对；更早的举报请按信访程序补登。")
                           % {"days": REPORT_RECORD_MAX_AGE_DAYS}, field="received_at")
    return report_file(region=region, content=content, institution=institution, subject_name=subject_name,
                       subject_address=subject_address, reporter_name=reporter_name, reporter_phone=reporter_phone,
                       now=now, channel=channel, recorded_by=actor, received_at=received_at)


def _lock_report(report_id: int) -> Report:
    return Report.objects.select_for_update().get(pk=report_id)


def _report_state(report: Report) -> dict:
    return {"status": report.status, "department": report.department_id}


def _report_transition(
    report: Report,
    *,
    actor,
    status: str,
    now,
    note: str = "",
    public_note: str = "",
    fields=(),
    kind: str,
    before: dict | None = None,
    summary: str = "",
) -> Report:
    """`before`: the state before the caller changed other fields (the department, say)."""
    before = before or _report_state(report)
    report.status = status
    report.save(update_fields=["status", "updated_at", *fields])
    _step(report, status=status, actor=actor, now=now, note=note, public_note=public_note)
    record_event(
        actor=actor,
        kind=kind,
        obj=report,
        institution_id=report.institution_id,
        before=before,
        after={"status": report.status, "department": report.department_id},
        summary=summary,
        now=now,
    )
    return report


@transaction.atomic
def report_assign(
    *, report_id: int, actor, department, deadline: date | None = None, note: str = "", now=None
) -> Report:
    """Assign (or reassign) a report to a department: the joint office's step (permissions.can_assign_report)."""
    now = now or timezone.now()
    report = _lock_report(report_id)
    if not permissions.can_assign_report(actor, report):
        raise ActionForbidden(_("只有专项治理办公室可以分办该举报。"))
    require_status(
        report, (ReportStatus.REGISTERED, ReportStatus.ASSIGNED), message=_("举报当前状态为“%(status)s”，不能分办。")
    )
    if department is None:
        raise ServiceError(_("请选择承办部门。"))
    if not report.region_id.startswith(department.region_id):
        raise ServiceError(_("承办部门不在举报所在区划。"))
    if not permissions.assignable_departments(actor, report).filter(pk=department.pk).exists():
        raise ServiceError(_("只能分办给您管辖区域内的部门。"))
    before = _report_state(report)
    report.department, report.assigned_at = department, now
    if deadline:
        if deadline < timezone.localdate(now):
            raise ServiceError(_("办理期限不能早于今天。"))
        report.deadline = deadline
    return _report_transition(
        report,
        actor=actor,
        status=ReportStatus.ASSIGNED,
        now=now,
        note=note,
        public_note=_("已分办至承办部门。"),
        fields=("department", "assigned_at", "deadline"),
        kind=PublicityAuditKind.REPORT_ASSIGNED,
        before=before,
    )


RETURNABLE_REPORT_STATUSES = (ReportStatus.ASSIGNED, ReportStatus.VERIFYING, ReportStatus.HANDLING)


@transaction.atomic
def report_return(*, report_id: int, actor, reason: str, now=None) -> Report:
    """The assigned department's head hands the report back to the joint office (not its remit, say), with a
    reason; it is registered again, unassigned, and waits in the joint office's queue for reassignment."""
    now = now or timezone.now()
    report = _lock_report(report_id)
    if not permissions.can_return_report(actor, report):
        raise ActionForbidden(_("只有承办部门负责人可以退回该举报。"))
    require_status(report, RETURNABLE_REPORT_STATUSES, message=_("举报当前状态为“%(status)s”，不能退回。"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写退回理由。"), field="reason")
    before = _report_state(report)
    report.department, report.assigned_at = None, None
    return _report_transition(
        report,
        actor=actor,
        status=ReportStatus.REGISTERED,
        now=now,
        note=reason[:2000],
        public_note=_("正在重新分办。"),
        fields=("department", "assigned_at"),
        kind=PublicityAuditKind.REPORT_RETURNED,
        before=before,
        summary=_("退回专项治理办公室：%(reason)s") % {"reason": reason[:150]},
    )


REPORTER_IDENTITY_FIELDS = ("reporter_name", "reporter_phone")


@transaction.atomic
def report_identity_reveal(*, report_id: int, actor, now=None) -> dict:
    """The reporter's name and phone for the handling department, with an audit event for this look.

    The event names the report, the viewer and the time, never the identity itself. It stands in the chain of
    events about no institution: the institution's file, open to every department of the region, does not
    list who looked up the reporter of a report about it.
    """
    now = now or timezone.now()
    report = Report.objects.only("pk", "department_id", "is_anonymous", *REPORTER_IDENTITY_FIELDS).get(
        pk=report_id
    )
    if not permissions.can_see_reporter_identity(actor, report):
        raise ActionForbidden(_("举报人信息仅承办部门可以查看。"))
    if report.is_anonymous:
        raise ServiceError(_("该举报为匿名举报，没有举报人信息。"))
    record_event(
        actor=actor,
        kind=PublicityAuditKind.REPORT_IDENTITY_VIEWED,
        obj=report,
        after={"fields": list(REPORTER_IDENTITY_FIELDS), "department": report.department_id},
        summary=_("查看举报人信息"),
        now=now,
    )
    return {"name": report.reporter_name, "phone": report.reporter_phone}


def create_verification_visit(report: Report, actor):
    """The id of an inspection visit opened (inspections.services) to verify the report, or None."""
    visit = visit_open_for_report(report=report, actor=actor)
    return getattr(visit, "pk", None)


@transaction.atomic
def report_verify(*, report_id: int, actor, note: str = "", open_visit: bool = False, now=None) -> Report:
    now = now or timezone.now()
    report = _lock_report(report_id)
    if not permissions.can_work_report(actor, report):
        raise ActionForbidden(_("只有承办部门可以核查该举报。"))
    require_status(report, (ReportStatus.ASSIGNED,), message=_("举报当前状态为“%(status)s”，不能开始核查。"))
    fields = []
    if open_visit:
        report.inspection_visit_id = create_verification_visit(report, actor)
        fields.append("inspection_visit_id")
    return _report_transition(
        report,
        actor=actor,
        status=ReportStatus.VERIFYING,
        now=now,
        note=note,
        public_note=_("承办部门正在核查。"),
        fields=fields,
        kind=PublicityAuditKind.REPORT_VERIFYING,
    )


@transaction.atomic
def report_handle(*, report_id: int, actor, note: str = "", now=None) -> Report:
    now = now or timezone.now()
    report = _lock_report(report_id)
    if not permissions.can_work_report(actor, report):
        raise ActionForbidden(_("只有承办部门可以处理该举报。"))
    require_status(report, (ReportStatus.VERIFYING,), message=_("举报当前状态为“%(status)s”，须先核查再处理。"))
    return _report_transition(
        report,
        actor=actor,
        status=ReportStatus.HANDLING,
        now=now,
        note=note,
        public_note=_("核查完毕，正在依法处理。"),
        kind=PublicityAuditKind.REPORT_HANDLING,
    )


@transaction.atomic
def report_reply(*, report_id: int, actor, reply: str, note: str = "", now=None) -> Report:
    now = now or timezone.now()
    report = _lock_report(report_id)
    if not permissions.can_work_report(actor, report):
        raise ActionForbidden(_("只有承办部门可以答复该举报。"))
    require_status(
        report, (ReportStatus.VERIFYING, ReportStatus.HANDLING), message=_("举报当前状态为“%(status)s”，不能答复。")
    )
    reply = (reply or "").strip()
    if not reply:
        raise ServiceError(_("请填写答复内容。"))
    report.reply, report.replied_at = reply[:5000], now
    return _report_transition(
        report,
        actor=actor,
        status=ReportStatus.REPLIED,
        now=now,
        note=note,
        public_note=_("已答复，请查看答复内容。"),
        fields=("reply", "replied_at"),
        kind=PublicityAuditKind.REPORT_REPLIED,
    )


@transaction.atomic
def report_close(*, report_id: int, actor, note: str = "", now=None) -> Report:
    now = now or timezone.now()
    report = _lock_report(report_id)
    if not permissions.can_close_report(actor, report):
        raise ActionForbidden(_("只有承办部门负责人可以办结该举报。"))
    require_status(report, (ReportStatus.REPLIED,), message=_("举报当前状态为“%(status)s”，须先答复再办结。"))
    report.closed_at = now
    return _report_transition(
        report,
        actor=actor,
        status=ReportStatus.CLOSED,
        now=now,
        note=note,
        public_note=_("已办结。办理结果见答复内容。"),
        fields=("closed_at",),
        kind=PublicityAuditKind.REPORT_CLOSED,
    )


def chase_report_deadlines(*, now=None, warn_days: int = 3) -> int:
    """Notify the assigned department's heads of reports due within `warn_days` days or overdue."""

    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = today + timedelta(days=warn_days)
    due = Report.objects.filter(
        status__in=(ReportStatus.ASSIGNED, ReportStatus.VERIFYING, ReportStatus.HANDLING),
        department__isnull=False,
        deadline__lte=horizon,
    ).only("pk", "tracking_number", "deadline", "department_id")
    heads = {}
    sent = 0
    for report in due.iterator(chunk_size=500):
        if report.department_id not in heads:
            heads[report.department_id] = list(
                User.objects.filter(
                    department_id=report.department_id,
                    role__in=(Role.HEAD, Role.JOINT_OFFICE),
                    is_active=True,
                )
            )
        overdue = report.deadline < today
        stage = "overdue" if overdue else "near"
        subject = (
            _("举报 %(number)s 已超过办理期限（%(date)s）")
            if overdue
            else _("举报 %(number)s 即将到期（%(date)s）")
        ) % {"number": report.tracking_display, "date": report.deadline.isoformat()}
        link = reverse("publicity:report_detail", args=[report.pk])
        for head in heads[report.department_id]:
            if notify(
                recipient=head,
                key=f"publicity:report:{report.pk}:{stage}:{report.deadline}:{head.pk}",
                subject=subject,
                link=link,
                now=now,
            ):
                sent += 1
    return sent
