"""What each app contributes to the oversight floor: queue kinds, ledgers, summary figures, dashboard sections.

The oversight floor (regulator.oversight: the heads' queue, the ledgers and their exports, the dashboard, the
nightly summary and the weekly report) names no app, no model and no status of an app. Each app declares what
it contributes in its own `<app>/oversight.py`, with its own TextChoices, selectors and permissions, and
registers it in its AppConfig.ready(); the floor iterates `registry`. It lives on the ground floor, so the apps
feed the floor above without importing it, and it imports nothing but Django and the ground floor.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Q

from regulator.models import Role


def within(field_name: str, low, high) -> Q:
    """Rows whose datetime `field_name` falls in [low, high); open bounds only require it to be set."""
    q = Q(**{f"{field_name}__isnull": False})
    if low is not None:
        q &= Q(**{f"{field_name}__gte": low})
    if high is not None:
        q &= Q(**{f"{field_name}__lt": high})
    return q


# ---- the heads' queue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueKind:
    """One kind of awaited work: where its rows live and how they map onto the queue's columns."""

    DEPARTMENT = "department"  # the user's department's rows (heads; an inspector the rows assigned to them)
    JOINT_OFFICE = "joint_office"  # rows of the region, for the heads whom `admits` lets in (the joint office)

    code: str
    label: object
    subject: str  # what a QueueAssignment row follows: kinds of one subject share their assignment
    audience: str
    rows: Callable  # (user, today) -> QuerySet of the owning model, filtered to awaiting rows
    since: object
    detail_url: str  # the URL name of a row's page, reversed with its id
    awaited: dict = field(default_factory=dict)  # {status: what exactly is awaited}; missing: the kind's label
    due: object = None
    name: object = field(default_factory=lambda: F("institution__name"))
    region_path: str = "institution__region"  # the foreign key to Region
    admits: Callable | None = None  # (user) -> bool: who sees a JOINT_OFFICE kind
    # Called for each row assigned through the queue (actor, object_id, assignee), in its transaction, when the
    # app keeps an assignment of its own; its refusals (regulator.errors.ServiceError) are shown to the user.
    on_assign: Callable | None = None


# ---- ledgers -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    label: str
    q: Callable  # (low, high) -> Q on the ledger's model
    # The datetime whose local day the measure counts by, when a row once counted never moves (the nightly
    # summary keeps such measures per day); "" when later events change a past day's figure (reports handled in
    # time).
    day_field: str = ""


@dataclass(frozen=True)
class ChoiceFilter:
    field: str
    label: str
    choices: Callable  # () -> list of (value, label)


@dataclass(frozen=True)
class Ledger:
    kind: str
    title: str
    scoped: Callable  # (user or None) -> QuerySet; None: every row (system jobs such as the weekly report)
    region_field: str
    department_field: str
    measures: dict[str, Measure]
    columns: list[tuple[str, str]]  # (header, values() path)
    filters: dict[str, ChoiceFilter] = field(default_factory=dict)
    choice_labels: dict[str, Callable] = field(default_factory=dict)  # path -> () -> {value: label}
    # Where the app scopes by department rather than region: the kind of the department (dashboard of heads).
    department_kind_field: str = ""

    def measure_q(self, measure: str, low, high) -> Q:
        return self.measures[measure].q(low, high)

    @property
    def department_name_field(self) -> str:
        return self.department_field.removesuffix("_id") + "__name"

    def dashboard_scope_q(self, user) -> Q:
        """What a figure counts, on indexed columns: the region (already checked to be the user's) is the scope.

        A department head's figures are their department kind's work where the app scopes by department
        (`department_kind_field`: visits and their problems); the joint office and administrators count the whole
        region. Going through the apps' visible_* querysets here instead made PostgreSQL build the set of every
        visible visit before aggregating (docs/bench-oversight.md); the ledger pages behind the figures still
        apply them.
        """
        if user is None or user.is_admin_role or user.role != Role.HEAD or not self.department_kind_field:
            return Q()
        return Q(**{self.department_kind_field: user.department_kind})


def choice_labels(choices_class) -> Callable:
    """`Ledger.choice_labels` of a TextChoices class."""
    return lambda: {value: str(label) for value, label in choices_class.choices}


@dataclass(frozen=True)
class Figure:
    """One measure kept per day by the nightly summary: `<ledger>.<measure>`, broken down by `dimension` (a field
    of the ledger's model) and with `amount` summed. The measure must have a `day_field`."""

    ledger: str
    measure: str
    dimension: str = ""
    amount: str = ""

    @property
    def key(self) -> str:
        return f"{self.ledger}.{self.measure}"


# ---- dashboard sections ------------------------------------------------------------------------------------
# Each section is one of a few layouts the dashboard draws (regulator/oversight/dashboard.py); every figure links
# to the ledger rows it counts. Sections are drawn by `order`; their headline figures appear in the same order.


@dataclass(frozen=True)
class Column:
    """A column of figures: the rows of `ledger` that `measure` counts."""

    code: str
    label: object
    ledger: str
    measure: str


@dataclass(frozen=True)
class Headline:
    """A figure of the headline: a column's total (MeasureSection), or the section's total (other layouts)."""

    key: str
    label: object = None  # default: the column's label
    column: str = ""


@dataclass(frozen=True)
class MeasureSection:
    """Columns of measures (of one ledger or several), by sub-region and by department, and a chart by area."""

    code: str
    title: object
    order: int
    columns: list[Column]
    chart_title: object
    chart_columns: tuple = ()  # the columns the chart shows; empty: all
    headline: tuple = ()


@dataclass(frozen=True)
class BreakdownSection:
    """One measure broken down by a field with choices (the columns), by sub-region and by department."""

    BY_AREA = "by_area"  # one stacked bar per sub-region
    BY_VALUE = "by_value"  # one bar per value, its total

    code: str
    title: object
    order: int
    ledger: str
    measure: str
    dimension: str
    link_filter: str  # the ledger filter that selects one value of `dimension`
    choices: list  # [(value, label)] in the order of the columns
    chart_title: object
    headline: Headline
    only_seen: bool = False  # leave out the values no row has
    chart: str = BY_AREA
    chart_series: object = None  # the series name of a BY_VALUE chart
    amount: str = ""  # a field summed in a last column, labelled amount_label
    amount_label: object = None
    amount_headline: Headline | None = None


@dataclass(frozen=True)
class ItemSection:
    """One measure broken down by an open-ended code (e.g. checklist items): a row per code seen, most frequent
    first, with the sub-regions as columns; then the departments; and a chart of the codes."""

    code: str
    title: object
    order: int
    ledger: str
    measure: str
    dimension: str
    link_filter: str
    texts: Callable  # () -> {code: text}, read after the figures (one query)
    caption: object  # the first table's caption, with %(level)s for the kind of sub-region
    head: object  # the first table's head
    count_label: object
    chart_title: object
    headline: Headline


@dataclass(frozen=True)
class StateSection:
    """The current state of a register (not a period's figures): counts per sub-region for each dimension.

    Regions of a prefecture or larger are counted from the snapshot (regulator.models.InstitutionFigure,
    whose columns are the dimensions' fields) retaken every ten minutes; a county's are counted live.
    """

    code: str
    title: object
    order: int
    rows: Callable  # () -> QuerySet of every row (the region is the scope)
    region_field: str
    dimensions: list[tuple[str, list, object]]  # (field, [(value, label)], caption)
    chart_dimension: str
    chart_title: object
    headline: Headline
    link: Callable  # (user, region_code, {field: value}) -> URL of the register's rows
    chart_tones: dict = field(default_factory=dict)  # chart value -> a tone of oversight.charts.TONES (its meaning)


@dataclass(frozen=True)
class CountSection:
    """The current count of a ledger's rows by a field with choices, per sub-region (say, institutions by risk
    level): no period's figures. The app counts them (`counts`, one query), so the floor needs neither its model
    nor its values; every figure links to the ledger's rows of `measure` with `link_filter` set to its value."""

    code: str
    title: object
    order: int
    ledger: str
    measure: str  # the ledger's measure of the rows counted (whatever the period: a current state)
    link_filter: str  # the ledger filter that selects one value
    choices: list  # [(value, label)] in the order of the columns
    counts: Callable  # (region_code, length) -> [{"area": the first `length` digits of the region, "value", "n"}]
    caption: object
    chart_title: object
    headline: Headline
    headline_values: tuple = ()  # the values the headline figure adds up; empty: every value
    headline_measure: str = ""  # the ledger's measure of the headline's rows (its link); default: `measure`
    chart_tones: dict = field(default_factory=dict)  # value -> a tone of oversight.charts.TONES (its meaning)


# ---- trends ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """A summarised figure (a registered `Figure`) that the dashboard shows month by month from the nightly
    summary's month rows, and beside its value of the previous period. Trends are drawn by `order`."""

    code: str
    label: object
    ledger: str
    measure: str
    order: int
    headline: str = ""  # the key of the headline figure it stands beside ("" : none)
    chart: bool = False  # drawn in the chart of the months
    tone: str = ""  # a tone of oversight.charts.TONES where its colour carries a meaning (overdue: danger)

    @property
    def key(self) -> str:
        return f"{self.ledger}.{self.measure}"


# ---- the registry ------------------------------------------------------------------------------------------


class Registry:
    """Everything registered, in the order of registration; a code registered twice is refused."""

    def __init__(self):
        self.queue_kinds: dict[str, QueueKind] = {}
        self.ledgers: dict[str, Ledger] = {}
        self.figures: dict[str, Figure] = {}
        self._sections: dict[str, object] = {}
        self._trends: dict[str, Trend] = {}

    def register(self, *items) -> None:
        for item in items:
            if isinstance(item, QueueKind):
                if item.audience not in (QueueKind.DEPARTMENT, QueueKind.JOINT_OFFICE):
                    raise ImproperlyConfigured(f"queue kind {item.code!r}: unknown audience {item.audience!r}")
                if item.audience == QueueKind.JOINT_OFFICE and item.admits is None:
                    raise ImproperlyConfigured(f"queue kind {item.code!r}: a joint-office kind needs `admits`")
                self._add(self.queue_kinds, item.code, item, "queue kind")
            elif isinstance(item, Ledger):
                self._add(self.ledgers, item.kind, item, "ledger")
            elif isinstance(item, Figure):
                self._check_figure(item)
                self._add(self.figures, item.key, item, "summary figure")
            elif isinstance(item, Trend):
                if item.key not in self.figures:
                    raise ImproperlyConfigured(
                        f"trend {item.code!r}: register its summary figure {item.key!r} first (trends are month rows)")
                self._add(self._trends, item.code, item, "trend")
            elif isinstance(item, MeasureSection | BreakdownSection | ItemSection | StateSection | CountSection):
                if isinstance(item, StateSection) and any(isinstance(s, StateSection) for s in self.sections()):
                    raise ImproperlyConfigured("only one StateSection: it is the one the snapshot table holds")
                self._add(self._sections, item.code, item, "dashboard section")
            else:
                raise ImproperlyConfigured(f"cannot register {item!r} with the oversight floor")

    @staticmethod
    def _add(target: dict, code: str, item, what: str) -> None:
        if code in target:
            raise ImproperlyConfigured(f"{what} {code!r} is registered twice")
        target[code] = item

    def _check_figure(self, figure: Figure) -> None:
        ledger = self.ledgers.get(figure.ledger)
        measure = ledger.measures.get(figure.measure) if ledger else None
        if measure is None or not measure.day_field:
            raise ImproperlyConfigured(
                f"summary figure {figure.key!r}: register its ledger first, with a measure that has a day_field")

    def sections(self) -> list:
        return sorted(self._sections.values(), key=lambda section: section.order)

    def trends(self) -> list[Trend]:
        return sorted(self._trends.values(), key=lambda trend: trend.order)

    def state_section(self) -> StateSection | None:
        return next((s for s in self._sections.values() if isinstance(s, StateSection)), None)


registry = Registry()
register = registry.register
