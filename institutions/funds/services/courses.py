"""Course and fee filing (班次备案): a class is submitted from the institution's materials (typed in by staff or
imported from its workbook), checked against the filing rules (rules.py), and reviewed by the education
department: filed, returned with reasons (补正后重新报送) or refused."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from institutions import campaigns
from institutions.models import SCHOOL_LICENCE_KINDS, Category, Institution, Licence, StudentStage, Teacher
from publicity.cache import bump_version
from regulator import uploads
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError, require_status

from .. import permissions, rules
from ..audit_kinds import FundsAuditKind
from ..models import Course, CourseDelivery, CourseStatus, GuidedPrice
from .common import acting_department, now_or, snap

FIELDS = ("name", "subject", "category", "stage", "grade", "delivery", "syllabus", "materials_opinion",
          "foreign_curriculum", "starts_on", "ends_on", "schedule", "skipped_dates", "lesson_minutes",
          "class_hours", "class_size", "fee_per_hour", "fee_total")
REQUIRED = {"name": _lazy("班次名称"), "subject": _lazy("科目"), "category": _lazy("类别"),
            "stage": _lazy("招生对象学段"), "syllabus": _lazy("培训内容与大纲"), "starts_on": _lazy("开班日期"),
            "ends_on": _lazy("结班日期"), "schedule": _lazy("每周课表"), "lesson_minutes": _lazy("每课时时长"),
            "class_hours": _lazy("总课时"), "class_size": _lazy("班额"), "fee_per_hour": _lazy("每课时收费")}


def guided_price(*, region_code: str, stage: str, delivery: str, on: datetime.date,
                 subject: str = "") -> GuidedPrice | None:
    """The guided price in force on `on` for a class of `subject`: the most specific row wins — the deepest region
    above the institution first (a county's table replaces its province's), then a row of the class's own subject
    over one for every subject, then the latest in force."""
    prefixes = [region_code[:n] for n in (2, 4, 6, 9, 12) if len(region_code) >= n]
    subject = (subject or "").strip()
    return (GuidedPrice.objects.filter(Q(subject="") | Q(subject=subject), region__code__in=prefixes, stage=stage,
                                       delivery=delivery, valid_from__lte=on)
            .order_by("-region__code", "-subject", "-valid_from").first())


def _clean(data: dict, institution: Institution) -> dict:
    """Typed values of a submission, or a ServiceError naming each bad field."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}

    def fail(field, message):
        errors.setdefault(field, []).append(str(message))

    for field, label in REQUIRED.items():
        value = data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            fail(field, _("请填写%(label)s。") % {"label": label})
    for field in ("name", "subject", "grade", "syllabus", "materials_opinion"):
        clean[field] = str(data.get(field) or "").strip()
    for field, choices in (("category", Category), ("stage", StudentStage), ("delivery", CourseDelivery)):
        value = data.get(field) or (CourseDelivery.OFFLINE if field == "delivery" else "")
        if value and value not in choices.values:
            fail(field, _("“%(value)s”不是有效的选项。") % {"value": value})
        clean[field] = value
    for field in ("starts_on", "ends_on"):
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            try:
                value = datetime.date.fromisoformat(value.strip())
            except ValueError:
                fail(field, _("日期“%(value)s”无法识别，请写成 2026-09-01。") % {"value": value})
                value = None
        if isinstance(value, datetime.datetime):
            value = value.date()
        clean[field] = value if isinstance(value, datetime.date) else None
    if clean["starts_on"] and clean["ends_on"] and clean["ends_on"] < clean["starts_on"]:
        fail("ends_on", _("结班日期不能早于开班日期。"))
    if clean["starts_on"] and clean["ends_on"] and (clean["ends_on"] - clean["starts_on"]).days > 366:
        fail("ends_on", _("一个班次的周期不能超过一年。"))
    schedule = data.get("schedule")
    if isinstance(schedule, str):
        try:
            schedule = rules.parse_schedule(schedule) if schedule.strip() else []
        except ValueError as error:
            fail("schedule", str(error))
            schedule = []
    clean["schedule"] = schedule or []
    skipped = data.get("skipped_dates") or []
    if isinstance(skipped, str):
        parsed = []
        for part in skipped.replace("，", ",").replace("；", ",").replace(";", ",").split(","):
            if part.strip():
                try:
                    parsed.append(datetime.date.fromisoformat(part.strip()))
                except ValueError:
                    fail("skipped_dates", _("停课日期“%(value)s”无法识别。") % {"value": part.strip()})
        skipped = parsed
    clean["skipped_dates"] = sorted({d.isoformat() if isinstance(d, datetime.date) else str(d) for d in skipped})
    for field, top in (("lesson_minutes", 240), ("class_hours", 2000), ("class_size", 500)):
        value = data.get(field)
        try:
            number = int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            number = None
            fail(field, _("请填写整数。"))
        if number is not None and not 1 <= number <= top:
            fail(field, _("应在 1 至 %(top)s 之间。") % {"top": top})
        clean[field] = number
    for field in ("fee_per_hour", "fee_total"):
        value = data.get(field)
        try:
            amount = Decimal(str(value).strip()) if value not in (None, "") else None
            if amount is not None and not amount.is_finite():
                raise ValueError(value)
            amount = amount.quantize(Decimal("0.01")) if amount is not None else None
        except (InvalidOperation, ValueError):
            amount = None
            fail(field, _("请填写金额（元）。"))
        if amount is not None and not (Decimal(0) <= amount < Decimal("100000000")):
            fail(field, _("金额超出范围。"))
        clean[field] = amount
    if clean["fee_total"] is None and clean["fee_per_hour"] is not None and clean["class_hours"]:
        clean["fee_total"] = clean["fee_per_hour"] * clean["class_hours"]
    clean["foreign_curriculum"] = bool(data.get("foreign_curriculum"))
    try:
        teacher_ids = [int(t) for t in (data.get("teachers") or [])]
    except (TypeError, ValueError):
        teacher_ids = [0]
    # Current employment records only (a teacher who left is history, docs/register-through-time.md).
    teachers = list(Teacher.objects.filter(institution=institution, pk__in=teacher_ids, ended_on__isnull=True))
    if len(teachers) != len(set(teacher_ids)):
        fail("teachers", _("授课教师须是本机构登记的培训人员。"))
    if clean["category"] == Category.ACADEMIC and any(not t.qualification_number for t in teachers):
        fail("teachers", _("学科类培训的授课教师须具有教师资格证。"))
    # Declared, or named by an education bureau's in-service roster (institutions/roster.py).
    if any(t.is_in_service_teacher or t.in_service_flagged_at for t in teachers):
        fail("teachers", _("在职中小学教师不得在校外培训机构任教。"))
    clean["teachers"] = teachers
    if errors:
        first = next(iter(errors.values()))[0]
        raise ServiceError(first, errors=errors)
    return clean


def _violations(clean: dict, institution: Institution, on: datetime.date) -> list[str]:
    price = guided_price(region_code=institution.region_id, stage=clean["stage"], delivery=clean["delivery"], on=on,
                         subject=clean["subject"])
    return licence_problems(institution, on) + rules.course_violations(
        category=clean["category"], stage=clean["stage"], delivery=clean["delivery"], schedule=clean["schedule"],
        starts_on=clean["starts_on"], ends_on=clean["ends_on"], skipped_dates=clean["skipped_dates"],
        lesson_minutes=clean["lesson_minutes"], fee_per_hour=clean["fee_per_hour"],
        region_code=institution.region_id, guided_price=price.max_fee_per_hour if price else None,
        guided_price_subject=price.subject if price else "", subject=clean["subject"],
        foreign_curriculum=clean["foreign_curriculum"], syllabus=clean["syllabus"],
    )


def licence_problems(institution: Institution, on: datetime.date) -> list[str]:
    """Why the institution may not file a class at all: its school-running licence (办学许可证) is missing or not in
    force, it no longer runs, or it carries the 暂停招生及收费 mark of a re-registration campaign (rules.py)."""
    licences = list(Licence.objects.filter(institution=institution, kind__in=SCHOOL_LICENCE_KINDS)
                    .order_by("-issued_on", "-id").values("number", "state", "valid_until"))
    return rules.standing_problems(licences=licences, operating_state=institution.operating_state,
                                   suspends_enrolment=campaigns.enrolment_suspends(institution.pk), on=on)


def refuse_violations(violations: list[str]) -> None:
    if violations:
        raise ServiceError(_("不符合备案规定：%(list)s") % {"list": "".join(violations)},
                           errors={None: violations})


@transaction.atomic
def course_submit(*, actor, institution_id: int, data: dict, course_id: int | None = None, materials=None,
                  now=None) -> Course:
    """File a new class, or resubmit a returned one; a class that breaks a filing rule is refused."""
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if not permissions.can_submit_course(actor, institution):
        raise ActionForbidden(_("只有机构所在地的教育部门可以报送班次备案。"))
    now = now_or(now)
    clean = _clean(data, institution)
    refuse_violations(_violations(clean, institution, timezone.localdate(now)))
    checked = None
    if materials:
        try:  # decoded before anything is written: a PDF or an image (re-encoded without its metadata)
            checked = uploads.check(materials, accept=frozenset({uploads.PDF, uploads.IMAGE}))
        except uploads.UploadRefused as error:
            raise ServiceError(error.message, field="materials") from None
    teachers = clean.pop("teachers")
    if course_id is None:
        course = Course(institution=institution, department=acting_department(actor, institution),
                        created_by=actor)
        before = None
    else:
        course = Course.objects.select_for_update().get(pk=course_id, institution=institution)
        require_status(course, (CourseStatus.RETURNED,), _("重新报送"))
        before = snap(course)
    for field, value in clean.items():
        setattr(course, field, value)
    if checked is not None:
        course.materials.save(uploads.new_name(checked.extension), checked.content, save=False)
    course.status = CourseStatus.SUBMITTED
    course.submitted_at = now
    course.updated_by = actor
    course.save()
    course.teachers.set(teachers)
    record_event(actor=actor, kind=FundsAuditKind.COURSE_SUBMITTED, obj=course, institution_id=institution.pk,
                 before=before, after=snap(course), summary=_("报送班次备案：%(name)s") % {"name": course.name},
                 now=now)
    return course


REVIEW_KINDS = {
    CourseStatus.FILED: (FundsAuditKind.COURSE_FILED, _lazy("予以备案")),
    CourseStatus.RETURNED: (FundsAuditKind.COURSE_RETURNED, _lazy("退回补正")),
    CourseStatus.REFUSED: (FundsAuditKind.COURSE_REFUSED, _lazy("不予备案")),
}


@transaction.atomic
def course_review(*, actor, course_id: int, decision: str, reason: str = "", materials_opinion: str | None = None,
                  now=None) -> Course:
    """The education department's decision on a submitted class; filing checks the rules again (the settings or
    the guided price may have changed since it was submitted)."""
    course = Course.objects.select_for_update().select_related("institution").get(pk=course_id)
    if not permissions.can_review_course(actor, course):
        raise ActionForbidden(_("只有教育部门负责人可以审核班次备案。"))
    require_status(course, (CourseStatus.SUBMITTED,), _("审核"))
    if decision not in REVIEW_KINDS:
        raise ServiceError(_("请选择审核结果。"), field="decision")
    reason = (reason or "").strip()
    if decision != CourseStatus.FILED and not reason:
        raise ServiceError(_("退回或不予备案须写明理由。"), field="reason")
    now = now_or(now)
    if decision == CourseStatus.FILED:
        clean = {field: getattr(course, field) for field in FIELDS}
        refuse_violations(_violations(clean, course.institution, timezone.localdate(now)))
    before = snap(course, ["status", "review_reason", "materials_opinion"])
    course.status = decision
    course.review_reason = reason
    if materials_opinion is not None:
        course.materials_opinion = materials_opinion.strip()
    course.reviewed_at = now
    course.reviewed_by = actor
    course.updated_by = actor
    course.save(update_fields=["status", "review_reason", "materials_opinion", "reviewed_at", "reviewed_by",
                               "updated_by", "updated_at"])
    kind, label = REVIEW_KINDS[decision]
    if decision == CourseStatus.FILED:
        transaction.on_commit(bump_version)  # the public institution page lists the filed classes
    record_event(actor=actor, kind=kind, obj=course, institution_id=course.institution_id, before=before,
                 after={**snap(course, ["status", "review_reason", "materials_opinion"]), "reason": reason},
                 summary=_("班次“%(name)s”%(what)s") % {"name": course.name, "what": label}, now=now)
    return course


def filed_courses_q() -> Q:
    return Q(status=CourseStatus.FILED)
