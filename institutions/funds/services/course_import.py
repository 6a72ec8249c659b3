"""Import an institution's classes from its workbook (.xlsx, first sheet, a header row): every row is checked
like a typed filing, and the file is imported whole or not at all, each refused row with its Chinese reason."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.models import Category, Institution, StudentStage, Teacher
from regulator.audit import record_event
from regulator.errors import ActionForbidden, ServiceError

from .. import permissions
from ..audit_kinds import FundsAuditKind
from ..models import Course, CourseDelivery, CourseStatus
from .common import acting_department, now_or, snap
from .courses import _clean, _violations

# Header of the workbook -> field of the filing.
COLUMNS = {
    "班次名称": "name", "科目": "subject", "类别": "category", "招生对象学段": "stage", "年级": "grade",
    "培训方式": "delivery", "培训内容与大纲": "syllabus", "开班日期": "starts_on", "结班日期": "ends_on",
    "每周课表": "schedule", "停课日期": "skipped_dates", "每课时时长（分钟）": "lesson_minutes",
    "总课时": "class_hours", "班额（人）": "class_size", "每课时收费（元）": "fee_per_hour",
    "每期收费（元）": "fee_total", "授课教师": "teachers", "使用境外课程": "foreign_curriculum",
}
REQUIRED_COLUMNS = ("班次名称", "科目", "类别", "招生对象学段", "培训内容与大纲", "开班日期", "结班日期", "每周课表",
                    "每课时时长（分钟）", "总课时", "班额（人）", "每课时收费（元）")
MAX_ROWS = 2000


class CourseImportRefused(ServiceError):
    """The workbook was not imported; `rows` lists (row number, reason) for each refused row."""

    def __init__(self, message, rows=()):
        super().__init__(message)
        self.rows = list(rows)


def _labels(choices) -> dict:
    return {str(label): value for value, label in choices.choices} | {value: value for value in choices.values}


def read_rows(uploaded_file) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    name = (uploaded_file.name or "").lower()
    if not name.endswith(".xlsx"):
        raise CourseImportRefused(_("只能导入 Excel 工作簿（.xlsx）。"))
    if uploaded_file.size == 0 or uploaded_file.size > settings.IMPORT_MAX_BYTES:
        raise CourseImportRefused(_("文件为空或超过大小上限。"))
    try:
        workbook = load_workbook(uploaded_file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged or foreign file
        raise CourseImportRefused(_("文件无法作为 Excel 工作簿读取。")) from error
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise CourseImportRefused(_("缺少列：%(cols)s。") % {"cols": "、".join(missing)})
        result = []
        for number, row in enumerate(rows, start=2):
            if all(cell in (None, "") for cell in row):
                continue
            if len(result) >= MAX_ROWS:
                raise CourseImportRefused(_("一次最多导入 %(n)s 个班次。") % {"n": MAX_ROWS})
            values = {COLUMNS[title]: cell for title, cell in zip(header, row, strict=False) if title in COLUMNS}
            result.append((number, values))
    finally:
        workbook.close()
    if not result:
        raise CourseImportRefused(_("工作簿中没有班次。"))
    return result


def _to_data(values: dict, institution: Institution, teachers_by_name: dict) -> dict:
    data = {key: value for key, value in values.items() if value is not None}
    for field, choices in (("category", Category), ("stage", StudentStage), ("delivery", CourseDelivery)):
        if field in data:
            text = str(data[field]).strip()
            data[field] = _labels(choices).get(text, text)
    for field in ("starts_on", "ends_on"):
        if isinstance(data.get(field), datetime.datetime):
            data[field] = data[field].date()
        elif field in data and not isinstance(data[field], datetime.date):
            data[field] = str(data[field]).strip()
    for field in ("schedule", "skipped_dates"):
        if field in data:
            data[field] = str(data[field])
    names = [n.strip() for n in str(data.pop("teachers", "") or "").replace("，", "、").replace(",", "、").split("、")]
    unknown = [n for n in names if n and n not in teachers_by_name]
    if unknown:
        raise ServiceError(_("授课教师“%(names)s”不是本机构登记的培训人员。") % {"names": "、".join(unknown)})
    data["teachers"] = [teachers_by_name[n] for n in names if n]
    data["foreign_curriculum"] = str(data.get("foreign_curriculum", "")).strip() in ("是", "1", "True", "true")
    return data


@transaction.atomic
def course_import(*, actor, institution_id: int, uploaded_file, now=None) -> list[Course]:
    institution = Institution.objects.select_related("region").get(pk=institution_id)
    if not permissions.can_submit_course(actor, institution):
        raise ActionForbidden(_("只有机构所在地的教育部门可以报送班次备案。"))
    now = now_or(now)
    rows = read_rows(uploaded_file)
    teachers_by_name = dict(Teacher.objects.filter(institution=institution, ended_on__isnull=True)
                            .values_list("name", "pk"))
    refused, cleaned = [], []
    for number, values in rows:
        try:
            clean = _clean(_to_data(values, institution, teachers_by_name), institution)
            violations = _violations(clean, institution, timezone.localdate(now))
            if violations:
                raise ServiceError("".join(violations))
        except ServiceError as error:
            reasons = [str(m) for messages in error.errors.values() for m in messages] or [error.message]
            refused.append((number, "；".join(reasons)))
            continue
        cleaned.append(clean)
    if refused:
        raise CourseImportRefused(_("有 %(n)s 行不符合要求，整个文件未导入。") % {"n": len(refused)}, refused)
    department = acting_department(actor, institution)
    courses = []
    for clean in cleaned:
        teachers = clean.pop("teachers")
        course = Course.objects.create(institution=institution, department=department, status=CourseStatus.SUBMITTED,
                                       submitted_at=now, created_by=actor, updated_by=actor, **clean)
        course.teachers.set(teachers)
        record_event(actor=actor, kind=FundsAuditKind.COURSE_IMPORTED, obj=course, institution_id=institution.pk,
                     after=snap(course), summary=_("导入班次备案：%(name)s") % {"name": course.name}, now=now)
        courses.append(course)
    return courses
