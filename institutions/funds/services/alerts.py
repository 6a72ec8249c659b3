"""Fund-risk alerts (资金风险预警): raised once per key, by the daily job (alerts_compute, under an advisory lock)
or when a charge is recorded; assigned, handled and closed by the heads; able to open a penalty case whose
source is the alert (CaseSource.FUND_ALERT)."""

import datetime
import itertools
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.models import Institution
from penalties.models import CaseSource
from penalties.services import case_open
from publicity.selectors import reported_off_account_charges
from regulator.audit import PendingEvent, record_event, record_events
from regulator.errors import ActionForbidden, ServiceError, require_status
from regulator.locks import advisory_lock
from regulator.models import User

from .. import conf, permissions, rules
from ..audit_kinds import FundsAuditKind
from ..models import AlertKind, AlertStatus, Charge, FundAccount, FundAlert, FundTransaction, SupervisionMode
from .common import acting_department, now_or

logger = logging.getLogger(__name__)
LOCK_NAME = "funds.alerts_compute"


def alert_raise(*, actor, institution, kind: str, key: str, detail: str, amount=None, now=None,
                source_report_id: int | None = None) -> FundAlert | None:
    """Create the alert of `key` unless it exists; None when it did (a second run, a concurrent run)."""
    from regulator.models import DepartmentKind

    if FundAlert.objects.filter(key=key).exists():
        return None
    now = now_or(now)
    account = FundAccount.objects.filter(institution=institution).only("department").first()
    department = account.department if account else acting_department(actor, institution, DepartmentKind.EDUCATION)
    try:
        with transaction.atomic():
            alert = FundAlert.objects.create(institution=institution, department=department, kind=kind, key=key,
                                             detail=detail, amount=amount, raised_at=now,
                                             source_report_id=source_report_id)
            record_event(actor=actor, kind=FundsAuditKind.ALERT_RAISED, obj=alert, institution_id=institution.pk,
                         after={"kind": kind, "key": key, "detail": detail, "amount": amount},
                         summary=_("资金风险预警：%(kind)s") % {"kind": alert.get_kind_display()}, now=now)
    except IntegrityError:  # raised by a concurrent run between the check and the insert
        return None
    return alert


def charge_alerts(charge: Charge) -> list[dict]:
    """The alerts a charge calls for (the same keys whether raised at once or by the daily job)."""
    alerts = []
    rule_breaches = rules.prepayment_breaches(amount=charge.amount, class_hours=charge.class_hours,
                                              covers_from=charge.covers_from, covers_until=charge.covers_until,
                                              into_supervised_account=True)
    if rule_breaches:
        alerts.append({"institution": charge.institution, "kind": AlertKind.PREPAYMENT,
                       "key": f"prepayment:charge:{charge.pk}", "amount": charge.amount,
                       "detail": _("%(day)s 收费 %(amount)s 元（%(hours)s 课时，%(start)s 至 %(end)s）：%(list)s")
                       % {"day": charge.paid_on, "amount": charge.amount, "hours": charge.class_hours,
                          "start": charge.covers_from, "end": charge.covers_until, "list": "".join(rule_breaches)}})
    if not charge.into_supervised_account:
        alerts.append({"institution": charge.institution, "kind": AlertKind.OFF_ACCOUNT,
                       "key": f"off_account:charge:{charge.pk}", "amount": charge.amount,
                       "detail": _("%(day)s 收费 %(amount)s 元未缴入资金监管账户（%(source)s）。")
                       % {"day": charge.paid_on, "amount": charge.amount, "source": charge.get_source_display()}})
    return alerts



def _candidates(today: datetime.date):
    """Every alert the data calls for today, as keyword arguments of alert_raise."""
    accounts = FundAccount.objects.select_related("institution")
    for account in accounts.filter(balance__lt=F("minimum_balance"), balance_on__isnull=False):
        yield {"institution": account.institution, "kind": AlertKind.LOW_BALANCE,
               "key": f"low_balance:{account.pk}:{account.balance_on.isoformat()}", "amount": account.balance,
               "detail": _("%(day)s 账户余额 %(bal)s 元，低于最低余额 %(min)s 元。")
               % {"day": account.balance_on, "bal": account.balance, "min": account.minimum_balance}}
    absolute = Decimal(conf.get("FUNDS_LARGE_OUTFLOW_AMOUNT"))
    share = Decimal(str(conf.get("FUNDS_LARGE_OUTFLOW_SHARE")))
    since = today - datetime.timedelta(days=31)
    outflows = (FundTransaction.objects.filter(amount__lt=0, booked_on__gte=since, is_release=False)
                .select_related("account__institution"))
    for tx in outflows.iterator(chunk_size=2000):
        before = tx.balance_after - tx.amount
        if -tx.amount >= absolute or (before > 0 and -tx.amount >= share * before):
            yield {"institution": tx.account.institution, "kind": AlertKind.LARGE_OUTFLOW,
                   "key": f"large_outflow:tx:{tx.pk}", "amount": -tx.amount,
                   "detail": _("%(day)s 流出 %(amount)s 元（流水号 %(ref)s，对方 %(to)s），占流出前余额 %(share)s%%。")
                   % {"day": tx.booked_on, "amount": -tx.amount, "ref": tx.reference, "to": tx.counterparty or "—",
                      "share": (Decimal(100) * -tx.amount / before).quantize(Decimal("1")) if before > 0 else 100}}
    charges = Charge.objects.filter(~Q(breaches=[]) | Q(into_supervised_account=False)).select_related(
        "institution")
    for charge in charges.iterator(chunk_size=2000):
        yield from charge_alerts(charge)
    yield from _parent_report_candidates(today)
    stop_days = conf.get("FUNDS_CONSUMPTION_STOP_DAYS")
    custody = (FundAccount.objects.filter(mode=SupervisionMode.CUSTODY, balance__gt=0)
               .annotate(last_release=Max("transactions__booked_on", filter=Q(transactions__is_release=True)))
               .filter(last_release__lt=today - datetime.timedelta(days=stop_days)).select_related("institution"))
    for account in custody:
        yield {"institution": account.institution, "kind": AlertKind.CONSUMPTION_STOP,
               "key": f"consumption_stop:{account.pk}:{account.last_release.isoformat()}", "amount": account.balance,
               "detail": _("自 %(day)s 起 %(n)s 天无课消划拨，账户仍有预收余额 %(bal)s 元。")
               % {"day": account.last_release, "n": (today - account.last_release).days, "bal": account.balance}}


def _parent_report_candidates(today: datetime.date):
    """Parents' public reports of a charge outside the supervised account (publicity's ReportTopic.OFF_ACCOUNT) of
    the last FUNDS_PARENT_REPORT_DAYS: one alert each. What the report gives is the charge and whether a screenshot
    came with it — never the reporter, nor the tracking number (publicity.selectors.reported_off_account_charges)."""
    since = timezone.make_aware(datetime.datetime.combine(
        today - datetime.timedelta(days=conf.get("FUNDS_PARENT_REPORT_DAYS")), datetime.time.min))
    reports = list(reported_off_account_charges(since=since))
    if not reports:
        return
    ids = {report["institution_id"] for report in reports}
    institutions = Institution.objects.in_bulk(ids)
    accounts = {account.institution_id: account for account in
                FundAccount.objects.filter(institution_id__in=ids).select_related("bank_format")}
    for report in reports:
        account = accounts.get(report["institution_id"])
        if account is None:
            where = _("该机构尚未开设资金监管账户。")
        else:
            where = _("该机构的资金监管账户为%(bank)s %(number)s。") % {"bank": account.bank_format.bank,
                                                                  "number": account.masked_number}
        yield {"institution": institutions[report["institution_id"]], "kind": AlertKind.PARENT_REPORT,
               "key": f"parent_report:report:{report['pk']}", "amount": report["charge_amount"],
               "source_report_id": report["pk"],
               "detail": _("家长反映 %(day)s 向“%(payee)s”缴费 %(amount)s 元，未进入资金监管账户（%(proof)s，"
                           "举报登记于 %(received)s）。%(where)s")
               % {"day": report["charge_paid_on"], "payee": report["charge_payee"], "amount": report["charge_amount"],
                  "proof": _("附转账截图") if report["has_proof"] else _("未附转账截图"),
                  "received": timezone.localtime(report["received_at"]).strftime("%Y-%m-%d"), "where": where}}


_CHUNK = 500


def _raise_many(candidates: list[dict], *, now) -> int:
    """alert_raise for a chunk of the daily job's candidates, set-based: the keys already raised read in one query,
    each institution's handling department in one (its fund account's; an institution without one: the nearest
    education department, one query per region), the alerts in one INSERT and their audit events in one bulk
    append. A key raised meanwhile by a charge being recorded (the only other writer) fails the INSERT: the chunk
    is then raised one by one, each unless its key exists. Returns how many were raised."""
    from regulator.models import DepartmentKind

    existing = set(FundAlert.objects.filter(key__in=[c["key"] for c in candidates]).values_list("key", flat=True))
    fresh = list({c["key"]: c for c in candidates if c["key"] not in existing}.values())
    if not fresh:
        return 0
    departments = dict(FundAccount.objects.filter(institution_id__in={c["institution"].pk for c in fresh})
                       .values_list("institution_id", "department_id"))
    by_region: dict[str, int | None] = {}
    alerts = []
    for candidate in fresh:
        institution = candidate["institution"]
        department_id = departments.get(institution.pk)
        if department_id is None:
            if institution.region_id not in by_region:
                try:
                    by_region[institution.region_id] = acting_department(None, institution,
                                                                         DepartmentKind.EDUCATION).pk
                except ServiceError:
                    by_region[institution.region_id] = None
            department_id = by_region[institution.region_id]
        if department_id is None:  # logged, the other alerts still raised
            logger.warning("fund alert %s: no department to handle it", candidate["key"])
            continue
        alerts.append(FundAlert(institution_id=institution.pk, department_id=department_id, kind=candidate["kind"],
                                key=candidate["key"], detail=candidate["detail"], amount=candidate.get("amount"),
                                raised_at=now, source_report_id=candidate.get("source_report_id")))
    if not alerts:
        return 0
    object_type = FundAlert._meta.label_lower
    try:
        with transaction.atomic():
            FundAlert.objects.bulk_create(alerts)
            record_events(actor=None, now=now, events=[
                PendingEvent(kind=FundsAuditKind.ALERT_RAISED, institution_id=alert.institution_id,
                             object_type=object_type, object_id=alert.pk,
                             after={"kind": alert.kind, "key": alert.key, "detail": alert.detail,
                                    "amount": alert.amount},
                             summary=_("资金风险预警：%(kind)s") % {"kind": alert.get_kind_display()})
                for alert in alerts
            ])
    except IntegrityError:  # a key raised by a charge between the read and the INSERT
        raised = 0
        for candidate in fresh:
            try:
                raised += alert_raise(actor=None, now=now, **candidate) is not None
            except ServiceError:
                logger.warning("fund alert %s: no department to handle it", candidate["key"])
        return raised
    return len(alerts)


def alerts_compute(*, today: datetime.date | None = None, now=None) -> int | None:
    """The daily job: raise every alert the data calls for, _CHUNK candidates at a time (_raise_many: a few
    queries a chunk whatever it holds). None if another run holds the lock."""
    now = now_or(now)
    today = today or timezone.localdate(now)
    with advisory_lock(LOCK_NAME) as acquired:
        if not acquired:
            logger.info("fund alert job already running; skipped")
            return None
        return sum(_raise_many(list(chunk), now=now) for chunk in itertools.batched(_candidates(today), _CHUNK))


def _locked_alert(alert_id: int) -> FundAlert:
    return FundAlert.objects.select_for_update().select_related("institution").get(pk=alert_id)


@transaction.atomic
def alert_assign(*, actor, alert_id: int, assignee_id: int, now=None) -> FundAlert:
    alert = _locked_alert(alert_id)
    if not permissions.can_assign_alert(actor, alert):
        raise ActionForbidden(_("只有部门负责人可以分派预警。"))
    require_status(alert, (AlertStatus.OPEN, AlertStatus.ASSIGNED), _("分派"))
    assignee = User.objects.filter(pk=assignee_id, is_active=True, department_id=alert.department_id).first()
    if assignee is None:
        raise ServiceError(_("承办人须是本部门在职人员。"), field="assignee")
    now = now_or(now)
    before = {"status": alert.status, "assigned_to": alert.assigned_to_id}
    alert.status, alert.assigned_to, alert.assigned_at, alert.updated_by = AlertStatus.ASSIGNED, assignee, now, actor
    alert.save(update_fields=["status", "assigned_to", "assigned_at", "updated_by", "updated_at"])
    record_event(actor=actor, kind=FundsAuditKind.ALERT_ASSIGNED, obj=alert, institution_id=alert.institution_id,
                 before=before, after={"status": alert.status, "assigned_to": assignee.pk},
                 summary=_("分派预警给 %(name)s") % {"name": assignee.full_name or assignee.username}, now=now)
    return alert


def queue_assign(actor, object_id, assignee) -> None:
    """The heads' queue assigns an alert (QueueKind.on_assign)."""
    alert_assign(actor=actor, alert_id=object_id, assignee_id=assignee.pk)


@transaction.atomic
def alert_close(*, actor, alert_id: int, note: str, now=None) -> FundAlert:
    alert = _locked_alert(alert_id)
    if not permissions.can_handle_alert(actor, alert):
        raise ActionForbidden(_("您无权办结该预警。"))
    require_status(alert, (AlertStatus.OPEN, AlertStatus.ASSIGNED), _("办结"))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("请填写办理情况。"), field="note")
    now = now_or(now)
    before = {"status": alert.status}
    alert.status, alert.handling_note, alert.closed_at, alert.closed_by = AlertStatus.CLOSED, note, now, actor
    alert.updated_by = actor
    alert.save(update_fields=["status", "handling_note", "closed_at", "closed_by", "updated_by", "updated_at"])
    record_event(actor=actor, kind=FundsAuditKind.ALERT_CLOSED, obj=alert, institution_id=alert.institution_id,
                 before=before, after={"status": alert.status, "note": note}, summary=_("办结资金风险预警"), now=now)
    return alert


@transaction.atomic
def alert_open_case(*, actor, alert_id: int, now=None):
    """Open a penalty case lead whose source is this alert (once per alert)."""
    alert = _locked_alert(alert_id)
    if not permissions.can_assign_alert(actor, alert):
        raise ActionForbidden(_("只有部门负责人可以将预警转为案件线索。"))
    if alert.case_id:
        raise ServiceError(_("该预警已转为案件线索。"))
    require_status(alert, (AlertStatus.OPEN, AlertStatus.ASSIGNED), _("转为案件线索"))
    now = now_or(now)
    case = case_open(actor=actor, institution_id=alert.institution_id, source=CaseSource.FUND_ALERT,
                     summary=_("资金风险预警：%(kind)s。%(detail)s") % {"kind": alert.get_kind_display(),
                                                                   "detail": alert.detail},
                     source_reference=_("预警%(n)s") % {"n": alert.pk}, now=now)
    alert.case = case
    alert.updated_by = actor
    alert.save(update_fields=["case", "updated_by", "updated_at"])
    record_event(actor=actor, kind=FundsAuditKind.ALERT_CASE_OPENED, obj=alert, institution_id=alert.institution_id,
                 after={"case": case.pk}, summary=_("预警转为处罚案件线索"), now=now)
    return case
