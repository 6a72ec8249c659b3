"""Fund alerts: the daily job (twice, concurrently, under its lock), each kind of alert, and handling in the
heads' queue up to a penalty case whose source is the alert."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from institutions.funds import services
from institutions.funds.models import AlertKind, AlertStatus, FundAlert, SupervisionMode
from institutions.funds.services.alerts import LOCK_NAME
from penalties.models import CaseSource, PenaltyCase
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed
from regulator.locks import advisory_lock
from regulator.models import AuditEvent
from tests.factories.funds import bound_account, statement_csv, statement_rows

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2025, 10, 20)
NOW = timezone.make_aware(datetime.datetime(2025, 10, 20, 2, 0))


@pytest.fixture
def account(users, institution):
    account = bound_account(actor=users["education_head"], institution=institution, minimum_balance="50000")
    rows = statement_rows(9)  # 6 receipts of 1,500 and 3 releases of 120 on 2025-09-01
    rows.append(["TX9000001", "2025-10-18", "", "6000.00", f"{Decimal(rows[-1][4]) - 6000:.2f}", "某投资公司", "转账"])
    services.statement_import(actor=users["education_head"], account_id=account.pk, uploaded_file=statement_csv(rows))
    account.refresh_from_db()
    return account


def test_the_job_raises_each_kind_once(users, institution, account):
    services.charge_record(actor=users["education_head"], institution_id=institution.pk,
                           paid_on=datetime.date(2025, 9, 1), amount="7000", class_hours=80,
                           covers_from=datetime.date(2025, 9, 1), covers_until=datetime.date(2026, 1, 31),
                           into_supervised_account=False, now=NOW)
    raised = services.alerts_compute(today=TODAY, now=NOW)
    kinds = sorted(FundAlert.objects.values_list("kind", flat=True))
    assert kinds == sorted([AlertKind.LOW_BALANCE, AlertKind.LARGE_OUTFLOW, AlertKind.CONSUMPTION_STOP,
                            AlertKind.PREPAYMENT, AlertKind.OFF_ACCOUNT])
    assert raised == 3  # the charge's two alerts were raised when it was recorded
    assert services.alerts_compute(today=TODAY, now=NOW) == 0
    assert FundAlert.objects.count() == 5
    assert AuditEvent.objects.filter(kind="fund_alert.raised").count() == 5
    outflow = FundAlert.objects.get(kind=AlertKind.LARGE_OUTFLOW)
    assert outflow.amount == Decimal("6000.00") and "某投资公司" in outflow.detail


def test_thresholds_are_settings(settings, users, institution, account):
    settings.FUNDS_LARGE_OUTFLOW_SHARE = 0.9
    settings.FUNDS_CONSUMPTION_STOP_DAYS = 365
    services.alerts_compute(today=TODAY, now=NOW)
    assert set(FundAlert.objects.values_list("kind", flat=True)) == {AlertKind.LOW_BALANCE}


def test_risk_deposit_accounts_have_no_consumption_alert(users, institution, account):
    services.account_bind(actor=users["education_head"], institution_id=institution.pk,
                          bank_format_id=account.bank_format_id, account_number=account.account_number,
                          opened_on=account.opened_on, mode=SupervisionMode.RISK_DEPOSIT, minimum_balance=0)
    services.alerts_compute(today=TODAY, now=NOW)
    assert set(FundAlert.objects.values_list("kind", flat=True)) == {AlertKind.LARGE_OUTFLOW}


def test_a_run_while_another_holds_the_lock_skips(account):
    with advisory_lock(LOCK_NAME) as acquired:
        assert acquired
        result = {}

        def other_run():
            try:
                result["value"] = services.alerts_compute(today=TODAY, now=NOW)
            finally:
                connection.close()

        thread = threading.Thread(target=other_run)
        thread.start()
        thread.join()
    assert result["value"] is None


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_raise_no_duplicate(regions, departments, users, institution, account):
    results = []

    def run():
        try:
            results.append(services.alerts_compute(today=TODAY, now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert FundAlert.objects.count() == 3
    assert sorted(r for r in results if r is not None) in ([3], [0, 3])


def test_handling_an_alert(users, account):
    services.alerts_compute(today=TODAY, now=NOW)
    alert = FundAlert.objects.get(kind=AlertKind.LOW_BALANCE)
    with pytest.raises(ActionForbidden):
        services.alert_assign(actor=users["education_inspector"], alert_id=alert.pk,
                              assignee_id=users["education_inspector"].pk)
    with pytest.raises(ServiceError):
        services.alert_assign(actor=users["education_head"], alert_id=alert.pk, assignee_id=users["market_head"].pk)
    services.alert_assign(actor=users["education_head"], alert_id=alert.pk, assignee_id=users["education_inspector"].pk)
    with pytest.raises(ServiceError):
        services.alert_close(actor=users["education_inspector"], alert_id=alert.pk, note=" ")
    services.alert_close(actor=users["education_inspector"], alert_id=alert.pk, note="约谈举办者，已补足余额")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    with pytest.raises(TransitionNotAllowed):
        services.alert_close(actor=users["education_head"], alert_id=alert.pk, note="again")


def test_an_alert_opens_a_penalty_case_once(users, account):
    services.alerts_compute(today=TODAY, now=NOW)
    alert = FundAlert.objects.get(kind=AlertKind.LARGE_OUTFLOW)
    case = services.alert_open_case(actor=users["education_head"], alert_id=alert.pk, now=NOW)
    assert case.source == CaseSource.FUND_ALERT and case.institution_id == alert.institution_id
    with pytest.raises(ServiceError):
        services.alert_open_case(actor=users["education_head"], alert_id=alert.pk, now=NOW)
    assert PenaltyCase.objects.count() == 1


def test_alert_pages_and_queue(education_head_client, police_inspector_client, users, account):
    services.alerts_compute(today=TODAY, now=NOW)
    alert = FundAlert.objects.get(kind=AlertKind.LOW_BALANCE)
    assert "余额低于最低余额" in education_head_client.get(reverse("funds:alert_list")).content.decode()
    assert police_inspector_client.get(reverse("funds:alert_detail", args=[alert.pk])).status_code == 403
    bad = education_head_client.post(reverse("funds:alert_close", args=[alert.pk]), {"note": ""})
    assert bad.status_code == 400
    response = education_head_client.post(reverse("funds:alert_case", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.case_id
    education_head_client.post(reverse("funds:alert_close", args=[alert.pk]), {"note": "已立案"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    queue = education_head_client.get(reverse("queue"))
    assert queue.status_code == 200 and "资金风险预警待处置" in queue.content.decode()


def test_the_job_costs_the_same_statements_per_chunk(users, regions, monkeypatch):
    """alerts_compute is set-based: each further chunk of alerts is the same few statements, whatever it holds, and
    the alerts and audit rows are those alert_raise writes."""
    from django.test.utils import CaptureQueriesContext

    from institutions.funds.models import FundAccount
    from institutions.funds.services import alerts
    from regulator.audit import verify_chains
    from tests.factories import InstitutionFactory
    from tests.factories.funds import bank_format

    monkeypatch.setattr(alerts, "_CHUNK", 2)
    made = []

    def low(n):
        for _ in range(n):
            institution = InstitutionFactory(region=regions["township"])
            made.append(institution)
            account = services.account_bind(actor=users["education_head"], institution_id=institution.pk,
                                            bank_format_id=bank_format().pk, account_number=f"62284800{len(made):08d}",
                                            opened_on=datetime.date(2025, 3, 1), mode=SupervisionMode.RISK_DEPOSIT,
                                            minimum_balance="100")
            FundAccount.objects.filter(pk=account.pk).update(balance=Decimal("5.00"), balance_on=TODAY)

    def run():
        with CaptureQueriesContext(connection) as queries:
            raised = services.alerts_compute(today=TODAY, now=NOW)
        return raised, len(queries.captured_queries)

    low(2)
    one, one_chunk = run()
    low(4)
    three, three_chunks = run()
    assert (one, three) == (2, 4)
    # the first run's two are read again (their keys exist: no INSERT), the second run's four are two chunks
    # more: per chunk the keys' SELECT, the accounts' departments, SAVEPOINT, the INSERT, record_events' three,
    # RELEASE SAVEPOINT; the first chunk (the old two) stops after its keys' SELECT
    assert three_chunks - one_chunk == 1 + 2 * 8 - 8
    alert = FundAlert.objects.filter(kind=AlertKind.LOW_BALANCE).order_by("pk").first()
    event = AuditEvent.objects.get(kind="fund_alert.raised", object_id=str(alert.pk))
    assert event.after == {"kind": "low_balance", "key": alert.key, "detail": alert.detail, "amount": "5.00"}
    assert event.summary == f"资金风险预警：{AlertKind.LOW_BALANCE.label}"
    assert alert.department_id == FundAccount.objects.get(institution_id=alert.institution_id).department_id
    assert list(verify_chains()) == []


def test_a_key_raised_meanwhile_falls_back_to_one_by_one(users, institution, account, monkeypatch):
    """A charge recorded between the job's read of the keys and its INSERT raises one of the same keys (here: the
    read made blind to it): the INSERT fails, the chunk is raised again one by one, every alert exists once."""
    services.alerts_compute(today=TODAY, now=NOW)
    first = FundAlert.objects.order_by("pk").first()
    FundAlert.objects.exclude(pk=first.pk).delete()
    real = FundAlert.objects.filter
    blind = []

    def filter_blind(*args, **kwargs):
        if "key__in" in kwargs:
            blind.append(kwargs["key__in"])
            return FundAlert.objects.none()
        return real(*args, **kwargs)

    monkeypatch.setattr(FundAlert.objects, "filter", filter_blind)
    raised = services.alerts_compute(today=TODAY, now=NOW)
    assert blind and first.key in blind[0]
    assert raised == 2
    assert FundAlert.objects.count() == 3 and FundAlert.objects.filter(key=first.key).count() == 1
