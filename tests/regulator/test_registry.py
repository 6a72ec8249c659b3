"""The oversight floor's registry (regulator/registry.py): what the apps register is what the queue,
the dashboard, the nightly summary and the weekly report show; codes are unique; the floors import as designed."""

import ast
import datetime
import pathlib
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.urls import reverse
from django.utils import timezone

from inspections.models import Visit, VisitStatus
from regulator import hooks
from regulator.oversight import queue as work_queue
from regulator.oversight import summary
from regulator.oversight.charts import TONES
from regulator.oversight.dashboard import dashboard_figures, week_of
from regulator.oversight.weekly import weekly_figures
from regulator.registry import (
    BreakdownSection,
    Column,
    CountSection,
    Figure,
    Headline,
    ItemSection,
    Ledger,
    Measure,
    MeasureSection,
    QueueKind,
    Registry,
    Trend,
    registry,
)
from tests.factories import VisitFactory
from tests.regulator.test_queue import world

__all__ = ["world"]  # the fixture, shared with the queue's tests
APPS = ("institutions", "inspections", "penalties", "publicity")
BASE = pathlib.Path(settings.BASE_DIR)


def _kind(code="visit_in_progress", **overrides):
    def rows(user, today):
        return Visit.objects.filter(lead_department_id=user.department_id, status=VisitStatus.IN_PROGRESS)

    fields = dict(code=code, label="检查进行中", subject="visit", audience=QueueKind.DEPARTMENT, rows=rows,
                  since=models.F("created_at"), due=models.F("planned_on"), detail_url="inspections:visit_detail",
                  awaited={VisitStatus.IN_PROGRESS: "检查中，待提交"})
    return QueueKind(**{**fields, **overrides})


@pytest.fixture
def scratch(monkeypatch):
    """The global registry with copies of its tables, so that a test may register more and leave nothing."""
    monkeypatch.setattr(registry, "queue_kinds", dict(registry.queue_kinds))
    monkeypatch.setattr(registry, "ledgers", dict(registry.ledgers))
    monkeypatch.setattr(registry, "figures", dict(registry.figures))
    monkeypatch.setattr(registry, "_sections", dict(registry._sections))
    monkeypatch.setattr(registry, "_trends", dict(registry._trends))
    return registry


# ---- what the apps registered ----------------------------------------------------------------------------


def test_every_app_registered_its_contributions_in_order():
    assert list(registry.queue_kinds) == [
        "annual_overdue", "annual_result", "register_review", "fund_alert", "course_review", "visit_unassigned",
        "visit_outcome",
        "order_approval", "order_due_soon", "order_overdue", "order_escalated", "refund_outstanding", "case_step",
        "case_decision", "report_assignment", "report_reply", "entry_review", "publication_due", "entry_approval",
    ]
    assert list(registry.ledgers) == ["annual_inspections", "register_campaigns", "in_service_teachers",
                                      "course_filings", "fund_alerts", "fund_accounts", "risk_levels", "visits",
                                      "problems", "orders", "suspensions", "cases", "penalties", "reports", "entries"]
    assert [section.code for section in registry.sections()] == [
        "institutions", "risk_levels", "annual_inspections", "register_campaigns", "in_service_teachers", "visits",
        "problems", "orders", "penalties", "reports", "funds", "entries"]
    assert list(registry.figures) == [
        "course_filings.received", "fund_alerts.raised", "fund_alerts.closed", "fund_alerts.closed_on_time",
        "visits.done", "problems.found", "orders.issued", "orders.closed", "orders.closed_on_time", "orders.overdue",
        "suspensions.issued", "penalties.decided", "entries.published"]
    assert [trend.code for trend in registry.trends()] == [
        "visits-done", "problems", "orders-issued", "orders-closed_on_time", "orders-overdue", "suspensions",
        "penalties", "filings-received", "alerts-raised", "alerts-closed_on_time", "entries"]


def test_every_queue_kinds_awaited_statuses_are_statuses_of_its_model():
    user = SimpleNamespace(department_id=1, region_code="370102")
    for kind in registry.queue_kinds.values():
        model = kind.rows(user, datetime.date(2026, 1, 1)).model
        statuses = {value for value, _label in model._meta.get_field("status").choices}
        assert kind.awaited, kind.code
        assert set(kind.awaited) <= statuses, (kind.code, set(kind.awaited) - statuses)


def test_every_queue_kinds_awaited_statuses_cover_the_rows_it_selects(world, users):
    # Each row of the queue is described by what its status awaits, not by the kind's general label.
    page = work_queue.queue_page(users["education_head"], work_queue.Filters(), size=100)
    assert page.rows
    for row in page.rows:
        kind = registry.queue_kinds[row["kind"]]
        assert row["awaited"] != kind.label, row["key"]


def test_sections_measures_and_summary_figures_agree():
    for section in registry.sections():
        if isinstance(section, MeasureSection):
            for column in section.columns:
                ledger = registry.ledgers[column.ledger]
                assert column.measure in ledger.measures
                figure = registry.figures.get(f"{column.ledger}.{column.measure}")
                assert figure is None or not figure.dimension
        elif isinstance(section, BreakdownSection | ItemSection):
            ledger = registry.ledgers[section.ledger]
            assert section.measure in ledger.measures
            assert ledger.filters[section.link_filter].field == section.dimension
            figure = registry.figures.get(f"{section.ledger}.{section.measure}")
            if figure is not None:  # the summary keeps the same breakdown the section draws
                assert figure.dimension == section.dimension
                assert figure.amount == getattr(section, "amount", "")
        elif isinstance(section, CountSection):
            ledger = registry.ledgers[section.ledger]
            assert section.measure in ledger.measures
            assert (section.headline_measure or section.measure) in ledger.measures
            assert ledger.filters[section.link_filter].choices() == list(section.choices)
            assert set(section.headline_values) <= {value for value, _label in section.choices}
            assert set(section.chart_tones.values()) <= set(TONES)
    for figure in registry.figures.values():
        assert registry.ledgers[figure.ledger].measures[figure.measure].day_field
    headline_keys = {key for section in registry.sections() for key in _headline_keys(section)}
    for trend in registry.trends():
        assert trend.key in registry.figures  # read from the summary's month rows
        assert not trend.headline or trend.headline in headline_keys, trend.code
        assert not trend.tone or trend.tone in TONES


def _headline_keys(section) -> list[str]:
    headline = section.headline
    return [item.key for item in headline] if isinstance(headline, tuple) else [headline.key]


def test_the_oversight_floor_is_connected_to_the_ground_floor_hook():
    assert summary.institution_moved in hooks.on_institution_moved


# ---- registering ---------------------------------------------------------------------------------------


def test_the_registry_refuses_a_duplicate_code():
    fresh = Registry()
    fresh.register(_kind())
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        fresh.register(_kind(label="另一个"))
    ledger = Ledger(kind="things", title="台账", scoped=lambda user: None, region_field="region__code",
                    department_field="department_id", measures={}, columns=[])
    fresh.register(ledger)
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        fresh.register(ledger)
    # An app's own kind registered a second time (a second ready(), a copied declaration) is refused too.
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        registry.register(registry.queue_kinds["order_overdue"])


def test_the_registry_refuses_what_the_floor_could_not_draw():
    fresh = Registry()
    with pytest.raises(ImproperlyConfigured, match="needs `admits`"):
        fresh.register(_kind(audience=QueueKind.JOINT_OFFICE))
    with pytest.raises(ImproperlyConfigured, match="unknown audience"):
        fresh.register(_kind(audience="everyone"))
    with pytest.raises(ImproperlyConfigured, match="register its ledger first"):
        fresh.register(Figure("things", "done"))
    fresh.register(Ledger(kind="things", title="台账", scoped=lambda user: None, region_field="region__code",
                          department_field="department_id",
                          measures={"done": Measure("完成", lambda lo, hi: models.Q())}, columns=[]))
    with pytest.raises(ImproperlyConfigured, match="day_field"):
        fresh.register(Figure("things", "done"))  # a measure whose past days move cannot be summarised
    with pytest.raises(ImproperlyConfigured, match="register its summary figure"):
        fresh.register(Trend("things-done", "完成", "things", "done", order=1))  # trends are read from month rows
    with pytest.raises(ImproperlyConfigured, match="cannot register"):
        fresh.register(object())
    with pytest.raises(ImproperlyConfigured, match="only one StateSection"):
        registry.register(registry.state_section())


def test_a_kind_registered_by_an_app_appears_in_the_queue_and_the_navigation(scratch, world, users, departments):
    head = users["education_head"]
    institution = world["visit_unassigned"].institution
    visit = VisitFactory(institution=institution, lead_department=departments["education"], in_progress=True)
    VisitFactory(institution=institution, lead_department=departments["market"], in_progress=True)  # another's
    assert ("visit_in_progress", visit.pk) not in {(r["kind"], r["object_id"]) for r in
                                                   work_queue.queue_page(head, work_queue.Filters(), size=100).rows}

    scratch.register(_kind())

    rows = work_queue.queue_page(head, work_queue.Filters(kind="visit_in_progress"), size=100).rows
    assert [(row["kind"], row["object_id"]) for row in rows] == [("visit_in_progress", visit.pk)]
    assert rows[0]["awaited"] == "检查中，待提交"
    assert rows[0]["link"] == reverse("inspections:visit_detail", args=[visit.pk])
    counts = work_queue.nav_counts(head)
    assert {"kind": "visit_in_progress", "label": "检查进行中", "count": 1, "display": 1} in counts["queue"]
    options = work_queue.filter_options(head)
    assert ("visit_in_progress", "检查进行中") in options.kinds
    # It can be assigned like any other kind.
    assert work_queue.queue_assign(actor=head, rows=[("visit_in_progress", visit.pk)],
                                   assignee=users["education_inspector"]) == 1


def test_a_section_registered_by_an_app_appears_on_the_dashboard_and_in_the_weekly_report(scratch, world, regions):
    scratch.register(MeasureSection(
        code="visits-planned", title="登记的检查", order=25,
        columns=[Column("planned", "登记的检查", "visits", "planned")], chart_title="登记的检查（次）",
        headline=(Headline("visits-planned", column="planned"),),
    ))
    today = timezone.localdate()
    planned = Visit.objects.filter(institution__region__code__startswith=regions["county"].code).count()
    figures = dashboard_figures(user=None, region_code=regions["county"].code, start=today, end=today)
    keys = [section.key for section in figures.sections]
    assert keys.index("visits-planned") == keys.index("visits") + 1
    headline = {key: cell.value for key, _label, cell in figures.headline}
    assert headline["visits-planned"] == planned >= 2
    report = weekly_figures(region_code=regions["county"].code, week_start=week_of(today)[0])
    assert ["登记的检查", planned] in report["headline"]
    assert "visits-planned" in [section["key"] for section in report["sections"]]


# ---- the floors ------------------------------------------------------------------------------------------


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _python_files(folder: pathlib.Path, *, skip=()):
    return [path for path in sorted(folder.rglob("*.py")) if not set(path.relative_to(folder).parts) & set(skip)]


def test_the_ground_floor_imports_no_app_and_no_floor_above():
    for path in _python_files(BASE / "regulator", skip=("oversight", "demo", "migrations")):
        above = {name for name in _imports(path)
                 if name.split(".")[0] in APPS or name.startswith(("regulator.oversight", "regulator.demo"))}
        assert not above, (str(path), above)


def test_the_oversight_floor_imports_no_app():
    for path in _python_files(BASE / "regulator" / "oversight"):
        assert not {name for name in _imports(path) if name.split(".")[0] in APPS}, str(path)


def test_apps_never_import_the_oversight_floor():
    # They feed it through the ground floor's registry (regulator/registry.py).
    for app in APPS:
        for path in _python_files(BASE / app, skip=("migrations",)):
            floor = {name for name in _imports(path) if name.startswith(("regulator.oversight", "regulator.demo"))}
            assert not floor, (str(path), floor)


def _choice_values() -> set[str]:
    values = set()
    for app in APPS:
        module = __import__(f"{app}.models", fromlist=["models"])
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, models.Choices) and obj.__module__ == module.__name__:
                values |= {value for value in obj.values if value}
    return values


def test_no_status_of_an_app_is_spelled_in_regulator():
    # The queue's own filter values that happen to share a word with an app's status.
    # "amount": a column of the ground floor's DailyFigure (its covering index), not penalties' fine-range basis.
    # "submit": the weekly report's action in its URL; "reported": a count key of the weekly status page; "phone":
    # a staff account's field in the admin (not a report's channel); "enforcement": the weekly report's figures key.
    # Lateness.OVERDUE, the assignee filter's "none".
    own = {"overdue", "none", "amount", "submit", "reported", "phone", "enforcement"}
    statuses = _choice_values()
    for path in _python_files(BASE / "regulator", skip=("demo", "migrations", "settings")):
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        spelled = {node.value for node in ast.walk(tree)
                   if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}
        assert not (spelled & statuses) - own, (str(path), (spelled & statuses) - own)
