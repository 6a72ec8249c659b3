"""List entries and reports, walked to their status through publicity.services (clock passed as `now=`).

    ListEntryFactory(institution=…)                          white, proposed by an inspector of the county
    ListEntryFactory(reviewed=True | approved=True | published=True | removal_proposed=True | removed=True
                     | rejected=True)
    ListEntryFactory(black=True, published=True)             black (无证无照), published in a batch of its own
                                                             (proposed and told 14 days before `now`)
    ReportFactory(region=…)                                  filed by the public (registered)
    ReportFactory(assigned=True | verifying=True | handling=True | replied=True | closed=True)
"""

import datetime

import factory
from django.utils import timezone

from publicity import services
from publicity.models import BlackCategory, EntrySource, EntryStatus, ListEntry, ListKind, Report, ReportStatus
from regulator.models import Role

from .organisation import at, department_for, joint_office_for, staff
from .register import InstitutionFactory

# The statuses an entry passes through on its way to each status (rejected branches off the review).
ENTRY_PATH = [
    EntryStatus.PROPOSED,
    EntryStatus.REVIEWED,
    EntryStatus.APPROVED,
    EntryStatus.PUBLISHED,
    EntryStatus.REMOVAL_PROPOSED,
    EntryStatus.REMOVED,
]


class ListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListEntry

    class Params:
        black = factory.Trait(list_kind=ListKind.BLACK, black_category=BlackCategory.UNLICENSED,
                              reason="未取得办学许可证擅自开展学科类培训")
        reviewed = factory.Trait(status=EntryStatus.REVIEWED)
        rejected = factory.Trait(status=EntryStatus.REJECTED)
        approved = factory.Trait(status=EntryStatus.APPROVED)
        published = factory.Trait(status=EntryStatus.PUBLISHED)
        removal_proposed = factory.Trait(status=EntryStatus.REMOVAL_PROPOSED)
        removed = factory.Trait(status=EntryStatus.REMOVED)

    institution = factory.SubFactory(InstitutionFactory)
    list_kind = ListKind.WHITE
    black_category = ""
    reason = "证照齐全，经营规范"
    status = EntryStatus.PROPOSED
    source_type = EntrySource.MANUAL
    source_id = None
    handling_result = ""
    internal_remark = ""
    is_typical_case = False
    # The county's staff: an inspector proposes, the department's head reviews, the joint office approves.
    proposed_by = factory.LazyAttribute(lambda o: staff(department_for(o.institution.region_id), Role.INSPECTOR))
    reviewer = factory.LazyAttribute(lambda o: staff(o.proposed_by.department, Role.HEAD))
    approver = factory.LazyAttribute(lambda o: joint_office_for(o.institution.region_id))
    batch_title = ""
    now = None

    @classmethod
    def _create(cls, model_class, *, status, proposed_by, reviewer, approver, batch_title, now, **kwargs):
        told = None
        if kwargs.get("list_kind") == ListKind.BLACK and status in ENTRY_PATH[2:]:
            # A black entry is approved only after the institution was told and its statement period ran out:
            # proposed and told two weeks before `now`, approved at `now`.
            told = (now or timezone.now()) - datetime.timedelta(days=14)
        entry = services.list_entry_propose(actor=proposed_by, now=told or now, **kwargs)
        if told is not None:
            services.list_entry_notify(entry_id=entry.pk, actor=proposed_by, notified_on=timezone.localdate(told),
                                       method="直接送达告知书", now=told)
        if status == EntryStatus.REJECTED:
            return services.list_entry_review(entry_id=entry.pk, actor=reviewer, approve=False, now=now)
        steps = {
            EntryStatus.REVIEWED: lambda: services.list_entry_review(entry_id=entry.pk, actor=reviewer, approve=True,
                                                                     now=now),
            EntryStatus.APPROVED: lambda: services.list_entry_approve(entry_id=entry.pk, actor=approver, now=now),
            EntryStatus.PUBLISHED: lambda: services.batch_publish(entry_ids=[entry.pk], actor=approver,
                                                                  title=batch_title, now=now),
            EntryStatus.REMOVAL_PROPOSED: lambda: services.removal_propose(entry_id=entry.pk, actor=proposed_by,
                                                                           reason="已整改到位", now=now),
            EntryStatus.REMOVED: lambda: services.removal_approve(entry_id=entry.pk, actor=approver, now=now),
        }
        for step in ENTRY_PATH[1 : ENTRY_PATH.index(status) + 1]:
            steps[step]()
        entry.refresh_from_db()
        return entry


class ReportFactory(factory.django.DjangoModelFactory):
    """A report filed through publicity.services.report_file, assigned by the county's joint office to
    `department` (the county's education bureau by default), worked by its inspector and closed by its head.

    `deadline` is the one the joint office sets when assigning; a deadline already past moves the filing (and
    every step) to the day before it, since an assignment cannot set a deadline before its own day."""

    class Meta:
        model = Report

    class Params:
        assigned = factory.Trait(status=ReportStatus.ASSIGNED)
        verifying = factory.Trait(status=ReportStatus.VERIFYING)
        handling = factory.Trait(status=ReportStatus.HANDLING)
        replied = factory.Trait(status=ReportStatus.REPLIED)
        closed = factory.Trait(status=ReportStatus.CLOSED)

    region = factory.LazyAttribute(lambda o: o.institution.region if o.institution else None)
    institution = None
    subject_name = factory.LazyAttribute(lambda o: "" if o.institution else "无名培训点")
    subject_address = factory.LazyAttribute(lambda o: "" if o.institution else "解放路小区3号楼")
    content = "周末在小区住宅内补习数学，每次二十多名学生"
    reporter_name = ""
    reporter_phone = ""
    attachments = ()
    status = ReportStatus.REGISTERED
    department = factory.LazyAttribute(lambda o: department_for(o.region.code))
    assigner = factory.LazyAttribute(lambda o: joint_office_for(o.region.code))
    handler = factory.LazyAttribute(lambda o: staff(o.department, Role.INSPECTOR))
    closer = factory.LazyAttribute(lambda o: staff(o.department, Role.HEAD))
    deadline = None
    reply = "经核查，举报情况属实，已责令停止违规培训。"
    now = None  # when it is filed (and every later step, unless named below)
    replied_at = None
    closed_at = None

    @classmethod
    def _create(cls, model_class, *, status, department, assigner, handler, closer, deadline, reply, now, replied_at,
                closed_at, **kwargs):
        if now is None and deadline is not None and deadline < timezone.localdate():
            now = at(deadline - datetime.timedelta(days=1))
        now = now or timezone.now()
        assert deadline is None or status != ReportStatus.REGISTERED, "a deadline is set when assigning"
        report = services.report_file(now=now, **kwargs)
        order = [ReportStatus.REGISTERED, ReportStatus.ASSIGNED, ReportStatus.VERIFYING, ReportStatus.HANDLING,
                 ReportStatus.REPLIED, ReportStatus.CLOSED]
        steps = {
            ReportStatus.ASSIGNED: lambda: services.report_assign(report_id=report.pk, actor=assigner,
                                                                  department=department, deadline=deadline, now=now),
            ReportStatus.VERIFYING: lambda: services.report_verify(report_id=report.pk, actor=handler, now=now),
            ReportStatus.HANDLING: lambda: services.report_handle(report_id=report.pk, actor=handler, now=now),
            ReportStatus.REPLIED: lambda: services.report_reply(report_id=report.pk, actor=handler, reply=reply,
                                                                now=replied_at or now),
            ReportStatus.CLOSED: lambda: services.report_close(report_id=report.pk, actor=closer,
                                                               now=closed_at or replied_at or now),
        }
        for step in order[1 : order.index(status) + 1]:
            steps[step]()
        report.refresh_from_db()
        return report
