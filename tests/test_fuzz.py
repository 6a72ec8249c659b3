"""Property-based fuzz (hypothesis) of every public form and filter, of the staff register, list and queue
filters and of the visit page's autosave: whatever the parameters (text of any script, NUL and control characters,
numbers past 2**63, odd digits, repeated keys) no response is a 5xx. Example counts are bounded so the module
runs in about half a minute on an idle machine."""

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import InstitutionFactory
from tests.inspections.conftest import checklist, institution, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

ODD = ["", " ", "0", "-1", "²", "١٢٣", "1e9", "1.5", "NaN", "null", "\x00", "%00", "'; --", "<script>", "9" * 40,
       str(2**63), str(2**63 - 1), str(-(2**63) - 1), "370102", "37", "3701020010", "2026-02-30", "2026-12-01",
       "9999-12-31", "0001-01-01", "pass", "fail", "white", "black", "academic", "due", "none", "overdue", "en"]
values = st.one_of(
    st.sampled_from(ODD),
    st.sampled_from(ODD),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80),
    st.from_regex(r"\A[0-9]{1,25}\Z"),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
# Tried first on every page, in every parameter at once: the values that broke pages before; then a number of
# 4,400 digits (past int()'s 4,300-digit limit) in one parameter at a time.
SHARP = ["²", "١٢٣", "\x00", str(2**63), "9" * 40, "-1", "2026-02-30", "a" * 700]
LONG_NUMBER = "9" * 4400


def params(*names):
    keys = [*names, "after", "page", "junk"]
    value = st.one_of(values, st.lists(values, min_size=1, max_size=3))
    return st.fixed_dictionaries({}, optional=dict.fromkeys(keys, value))


def sharp(*names):
    keys = [*names, "after", "page"]
    return [dict.fromkeys(keys, value) for value in SHARP] + [{key: LONG_NUMBER} for key in keys]


PUBLIC_GET = {
    "/public/white/": ("q", "credit_code", "region", "category", "students", "black_category"),
    "/public/black/": ("q", "credit_code", "region", "category", "students", "black_category"),
    "/public/cases/": (),
    "/public/batches/": (),
    "/public/spot-checks/": (),
    "/public/data/entries.json": ("list_kind", "since", "region", "category"),
    "/public/data/entries.csv": ("list_kind", "since", "region", "category"),
    "/public/open-data/bulk/": ("region",),
    "/public/report/": ("institution",),
    "/public/report/pick/": ("q",),
    "/public/report/track/": ("number", "new"),
    "/verify/": ("number",),
}
STAFF_GET = {
    "/register/": ("q", "region", "category", "students", "licence_standing", "operating_state", "premises_type",
                   "delivery"),
    "/register/export.csv": ("q", "region", "category", "licence_standing"),
    "/inspections/": ("status",),
    "/inspections/today/": (),
    "/inspections/campaigns/": (),
    "/penalties/": ("tab", "queue"),
    "/penalties/inbox/": ("unread",),
    "/publicity/": ("status",),
    "/publicity/reports/": ("status", "mine"),
    "/queue/": ("kind", "region", "assignee", "lateness", "sort"),
    "/dashboard/": ("region", "start", "end"),
    "/ledger/visits/": ("region", "start", "end", "department", "measure", "status", "kind"),
    "/ledger/orders/": ("region", "start", "end", "department", "measure", "status"),
    "/ledger/risk_levels/": ("region", "start", "end", "department", "measure", "risk_level"),
    "/weekly/status/": ("region", "week"),
}


@pytest.fixture
def world(users, regions):
    InstitutionFactory(name="星光美术培训", region=regions["township"])
    InstitutionFactory(name="市中舞蹈学校", region=regions["other_township"])
    return users


def _assert_no_5xx(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"


@pytest.mark.parametrize("path", sorted(PUBLIC_GET))
def test_public_pages_never_answer_5xx(world, path):
    client = Client(raise_request_exception=False)

    @FUZZ
    @given(query=params(*PUBLIC_GET[path]))
    def run(query):
        cache.clear()  # a cached page would hide the view
        _assert_no_5xx(client.get(path, query), f"GET {path} {query!r}")

    for query in sharp(*PUBLIC_GET[path]):
        cache.clear()
        _assert_no_5xx(client.get(path, query), f"GET {path} {query!r}")
    run()


@pytest.mark.parametrize("path", sorted(STAFF_GET))
def test_staff_filters_never_answer_5xx(world, path):
    client = Client(raise_request_exception=False)
    client.force_login(world["joint_office"])

    @FUZZ
    @given(query=params(*STAFF_GET[path]))
    def run(query):
        _assert_no_5xx(client.get(path, query), f"GET {path} {query!r}")

    for query in sharp(*STAFF_GET[path]):
        _assert_no_5xx(client.get(path, query), f"GET {path} {query!r}")
    run()


def test_report_form_never_answers_5xx(world):
    fields = ("institution", "subject_name", "subject_address", "region", "content", "reporter_name",
              "reporter_phone", "website")

    @settings(FUZZ, max_examples=30)
    @given(form=params(*fields), address=st.integers(min_value=1, max_value=250))
    def run(form, address):
        client = Client(raise_request_exception=False, REMOTE_ADDR=f"10.0.0.{address}")
        _assert_no_5xx(client.post("/public/report/", form), f"POST report {form!r}")

    for number, form in enumerate(sharp(*fields), start=1):
        client = Client(raise_request_exception=False, REMOTE_ADDR=f"10.1.0.{number}")
        _assert_no_5xx(client.post("/public/report/", form), f"POST report {form!r}")
    run()


def test_verify_and_tracking_lookups_never_answer_5xx(world):
    client = Client(raise_request_exception=False)

    @settings(FUZZ, max_examples=25)
    @given(token=st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="/?#"),
                         min_size=1, max_size=60))
    def run(token):
        from urllib.parse import quote

        _assert_no_5xx(client.get(f"/verify/{quote(token)}/"), f"verify {token!r}")
        _assert_no_5xx(client.post("/public/report/track/", {"number": token}), f"track {token!r}")

    run()


def test_the_visit_pages_autosave_never_answers_5xx(users, visit):  # noqa: F811 - fixture
    client = Client(raise_request_exception=False)
    client.force_login(users["education_inspector"])
    answer_url, signature_url = f"/inspections/visits/{visit.pk}/answer/", f"/inspections/visits/{visit.pk}/signature/"
    items = [str(pk) for pk in visit.answers.values_list("item_id", flat=True)]

    @settings(FUZZ, max_examples=25)
    @given(item=st.one_of(st.sampled_from(items), values), result=st.one_of(st.sampled_from(["pass", "fail"]), values),
           remark=values, signature=params("signer_name", "signer_role", "data_url", "refused", "refusal_reason"))
    def run(item, result, remark, signature):
        response = client.post(answer_url, {"item": item, "result": result, "remark": remark})
        _assert_no_5xx(response, f"answer {item!r} {result!r} {remark!r}")
        _assert_no_5xx(client.post(signature_url, signature), f"signature {signature!r}")

    for value in SHARP:
        _assert_no_5xx(client.post(answer_url, {"item": items[0], "result": "pass", "remark": value}), repr(value))
        _assert_no_5xx(client.post(signature_url, {"refused": "1", "refusal_reason": value}), repr(value))
    run()
