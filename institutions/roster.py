"""The in-service primary and secondary school teacher roster (在职中小学教师名单) and the flag it sets.

An education bureau imports its roster (Excel or CSV: name and identity number, optionally the school). The file
is read by the ledger import's reader (python-calamine) and checked whole: an identity number failing the GB
11643 check character, a missing name or number, or one number twice refuses the whole import with each row's
reason; nothing is written. A good file becomes the bureau's current roster (a new version; the previous one is
kept, superseded). The roster is held apart (InServiceRoster, InServiceRosterEntry): never public, read only by
education staff holding the permission (permissions.can_keep_in_service_roster).

After each import every current employment record whose identity number is on a current roster (of any bureau)
carries the flag 在职教师违规兼职 (Teacher.in_service_flagged_at), and a flag whose number left every roster is
cleared. The flag shows on the staff file and in the ledger `in_service_teachers` (institutions/oversight.py).
"""

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import PendingEvent, record_event, record_events
from regulator.errors import ActionForbidden, ServiceError

from . import permissions
from .audit_kinds import InstitutionsAuditKind as Kind
from .ledger.reader import WorkbookError, cell_text, check_upload, find_list_header, first_sheet_rows
from .models import InServiceRoster, InServiceRosterEntry, Teacher
from .validators import normalize_id_number, validate_id_number

NAME, ID_NUMBER, SCHOOL = "姓名", "身份证号", "任职学校"
HEADER_ALIASES = {
    NAME: {"姓名", "教师姓名"},
    ID_NUMBER: {"身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证"},
    SCHOOL: {"任职学校", "学校", "学校名称", "工作单位", "单位"},
}
MAX_ROWS = 50000


@dataclass
class RosterRow:
    number: int
    name: str = ""
    id_number: str = ""
    school: str = ""
    errors: list = field(default_factory=list)


@dataclass
class RosterOutcome:
    rows: list
    roster: InServiceRoster | None = None

    @property
    def written(self) -> bool:
        return self.roster is not None

    @property
    def errors(self) -> list[tuple[int, str]]:
        return [(row.number, error) for row in self.rows for error in row.errors]



def _csv_rows(content: bytes) -> list[tuple[int, tuple]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel's "CSV UTF-8", or the GBK a Chinese Excel writes
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise WorkbookError(_("无法识别CSV文件的编码，请另存为 UTF-8 编码的 CSV 或 .xlsx。"))
    reader = csv.reader(io.StringIO(text))
    return [(number, tuple(values)) for number, values in enumerate(reader, start=1) if number <= MAX_ROWS + 20]


def _read(uploaded_file) -> tuple[dict, list[tuple[int, tuple]]]:
    name = (uploaded_file.name or "").lower()
    if not name.endswith((".csv", ".xlsx", ".xls", ".ods")):
        raise WorkbookError(_("只能导入 Excel 或 WPS 工作簿（.xlsx、.xls、.ods）或 CSV 文件。"))
    if name.endswith(".csv"):
        if uploaded_file.size == 0:
            raise WorkbookError(_("文件是空的。"))
        if uploaded_file.size > settings.IMPORT_MAX_BYTES:
            raise WorkbookError(_("文件超过 %(mb)d MB 的上限，请拆分后分批导入。")
                                % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})
        uploaded_file.seek(0)
        rows = _csv_rows(uploaded_file.read())
    else:
        check_upload(uploaded_file)
        uploaded_file.seek(0)
        rows = first_sheet_rows(uploaded_file.read(), limit=MAX_ROWS + 20)
    # The header is the first row naming both columns (a title row may sit above it).
    found = find_list_header(rows, HEADER_ALIASES, (NAME, ID_NUMBER))
    if found is not None:
        return found
    raise ServiceError(_("没有找到表头：前10行中须有“姓名”和“身份证号”两列。"))


def check_file(uploaded_file) -> list[RosterRow]:
    index, data = _read(uploaded_file)
    if not data:
        raise ServiceError(_("表中没有数据行。"))
    if len(data) > MAX_ROWS:
        raise ServiceError(_("数据超过%(max)d行，请拆分后导入。") % {"max": MAX_ROWS})
    seen: dict[str, int] = {}
    rows = []
    for number, values in data:
        def cell(column, values=values):
            position = index.get(column)
            return cell_text(values[position]) if position is not None and position < len(values) else ""

        row = RosterRow(number=number, name=cell(NAME)[:40], id_number=normalize_id_number(cell(ID_NUMBER)),
                        school=cell(SCHOOL)[:120])
        if not row.name:
            row.errors.append(_("姓名为空。"))
        if not row.id_number:
            row.errors.append(_("身份证号为空。"))
        else:
            try:
                validate_id_number(row.id_number)
            except ValidationError as error:
                row.errors.append(_("身份证号“%(number)s”有误：%(reason)s") % {
                    "number": row.id_number[:18], "reason": "；".join(error.messages)})
            else:
                if row.id_number in seen:
                    row.errors.append(_("与第%(row)d行身份证号重复。") % {"row": seen[row.id_number]})
                else:
                    seen[row.id_number] = number
        rows.append(row)
    return rows


@transaction.atomic
def roster_import(*, actor, uploaded_file, now=None) -> RosterOutcome:
    """Check the whole file; only a file without errors replaces the department's current roster."""
    if not permissions.can_keep_in_service_roster(actor):
        raise ActionForbidden(_("只有具备相应权限的教育部门人员可以导入在职中小学教师名单。"))
    now = now or timezone.now()
    rows = check_file(uploaded_file)
    if any(row.errors for row in rows):
        return RosterOutcome(rows=rows)
    department = actor.department
    previous = list(InServiceRoster.objects.select_for_update().filter(department=department, is_current=True))
    for old in previous:
        old.is_current, old.superseded_at, old.updated_by = False, now, actor
        old.save(update_fields=["is_current", "superseded_at", "updated_by", "updated_at"])
    version = (InServiceRoster.objects.filter(department=department).aggregate(v=Max("version"))["v"] or 0) + 1
    roster = InServiceRoster.objects.create(
        department=department, version=version, original_name=(uploaded_file.name or "")[:200],
        row_count=len(rows), created_by=actor, updated_by=actor)
    InServiceRosterEntry.objects.bulk_create(
        [InServiceRosterEntry(roster=roster, row_number=row.number, name=row.name, id_number=row.id_number,
                              school=row.school) for row in rows], batch_size=2000)
    flagged, cleared = refresh_flags(actor=actor, now=now)
    roster.flagged_count = Teacher.objects.filter(
        ended_on__isnull=True, id_number__in=roster.entries.values("id_number")).count()
    roster.save(update_fields=["flagged_count", "updated_at"])
    # The event names the counts, never the people: the roster is not the audit trail's to spread.
    record_event(actor=actor, kind=Kind.IN_SERVICE_ROSTER_IMPORTED, obj=roster,
                 after={"version": version, "row_count": len(rows), "flagged": flagged, "cleared": cleared,
                        "superseded": [old.version for old in previous]},
                 summary=_("导入在职中小学教师名单第%(version)d版：%(count)d人，新标记%(flagged)d名培训人员，"
                           "解除%(cleared)d名") % {"version": version, "count": len(rows), "flagged": flagged,
                                                   "cleared": cleared}, now=now)
    return RosterOutcome(rows=rows, roster=roster)


def refresh_flags(*, actor, now) -> tuple[int, int]:
    """Flag the current employment records whose number is on a current roster; clear the flags whose number
    is on none. Inside the caller's transaction; each new flag or cleared one is an event on the institution's
    chain. A flagged record points at a current roster naming the person (its bureau is the ledger's department)."""
    current = InServiceRosterEntry.objects.filter(roster__is_current=True)
    naming = Subquery(current.filter(id_number=OuterRef("id_number")).order_by("roster_id").values("roster_id")[:1])
    to_flag = list(Teacher.objects.select_for_update().filter(
        ended_on__isnull=True, in_service_flagged_at__isnull=True, id_number__in=current.values("id_number"))
        .exclude(id_number="").only("pk", "name", "institution_id"))
    to_clear = list(Teacher.objects.select_for_update().filter(in_service_flagged_at__isnull=False)
                    .exclude(id_number__in=current.values("id_number")).only("pk", "name", "institution_id"))
    Teacher.objects.filter(pk__in=[t.pk for t in to_flag]).update(in_service_flagged_at=now, updated_at=now)
    Teacher.objects.filter(pk__in=[t.pk for t in to_clear]).update(in_service_flagged_at=None, in_service_roster=None,
                                                                   updated_at=now)
    Teacher.objects.filter(in_service_flagged_at__isnull=False).update(in_service_roster=naming)
    events = [PendingEvent(kind=Kind.TEACHER_IN_SERVICE_FLAGGED, institution_id=t.institution_id,
                           object_type="institutions.teacher", object_id=t.pk, after={"in_service_flagged_at": now},
                           summary=_("%(name)s在在职中小学教师名单中：在职教师违规兼职") % {"name": t.name})
              for t in to_flag]
    events += [PendingEvent(kind=Kind.TEACHER_IN_SERVICE_CLEARED, institution_id=t.institution_id,
                            object_type="institutions.teacher", object_id=t.pk, before={"in_service_flagged_at": True},
                            summary=_("%(name)s已不在现行在职中小学教师名单中，解除标记") % {"name": t.name})
               for t in to_clear]
    record_events(actor=actor, events=events, now=now)
    return len(to_flag), len(to_clear)


def visible_rosters(user):
    if not permissions.can_keep_in_service_roster(user):
        return InServiceRoster.objects.none()
    return InServiceRoster.objects.filter(department_id=user.department_id)
