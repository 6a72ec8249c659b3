"""regulator.errors and regulator.views_helpers: the one vocabulary of refusals and how views show them.

The views below are mounted on the project's own URLs (so the 403 page, the messages and the ForbiddenLogMiddleware
are the real ones); each raises a chosen refusal inside service_call, as a service would.
"""

import json
import logging

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.test import RequestFactory
from django.urls import path
from django.utils import translation

from penalties.models import OrderStatus, RectificationOrder
from regulator.errors import ActionForbidden, ServiceError, TransitionNotAllowed, require_status
from regulator.models import Role, User
from regulator.urls import handler403  # noqa: F401 - the project's 403 page for this URLconf
from regulator.urls import urlpatterns as project_urlpatterns
from regulator.views_helpers import json_refusal, service_call, staff_required

REFUSALS = {
    "field": lambda: ServiceError("期限不能早于明天。", field="deadline"),
    "other_field": lambda: ServiceError("至少需要一个整改事项。", field="items"),
    "whole_form": lambda: ServiceError("数据与已有记录冲突。"),
    "several": lambda: ServiceError("名称必填；期限无效", errors={"name": ["名称必填"], "deadline": ["期限无效"]}),
    "status": lambda: TransitionNotAllowed("当前状态为“已送达”，不能批准。"),
    "forbidden": lambda: ActionForbidden("只有下达部门的负责人可以批准整改通知书。"),
}
WRITES = []  # what the "service" wrote: only when it went through


class DraftForm(forms.Form):
    name = forms.CharField(required=False)
    deadline = forms.CharField(required=False)


def _service(outcome: str) -> str:
    if outcome in REFUSALS:
        raise REFUSALS[outcome]()
    if outcome == "crash":
        raise ValueError("not a refusal")
    WRITES.append(outcome)
    return outcome


@staff_required
def form_page(request, outcome):
    form = DraftForm({})
    assert form.is_valid()
    with service_call(request, form, success="已保存。") as call:
        _service(outcome)
    body = {"ok": call.ok, "errors": form.errors.get_json_data(), "non_field": list(form.non_field_errors())}
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json")


@staff_required
def action(request, outcome):
    with service_call(request, success="已批准。") as call:
        _service(outcome)
    return redirect("/" if call.ok else "/penalties/inbox/")


@staff_required(message="您的账号未分配部门，无法查看检查。")
def staff_page(request):
    SEEN_USERS.append(request.user)
    return HttpResponse("staff")


SEEN_USERS = []  # what staff_page found as request.user


urlpatterns = [
    *project_urlpatterns,
    path("test-errors/form/<str:outcome>/", form_page),
    path("test-errors/action/<str:outcome>/", action),
    path("test-errors/staff/", staff_page),
]


@pytest.fixture(autouse=True)
def _writes():
    WRITES.clear()
    yield
    WRITES.clear()


# ---- the errors -------------------------------------------------------------------------------------------


def test_service_error_carries_message_and_field():
    error = ServiceError(translation.gettext_lazy("请填写延期理由。"), field="reason")
    assert error.message == str(error) == "请填写延期理由。" and isinstance(error.message, str)
    assert error.field == "reason" and error.errors == {}
    assert ServiceError("x").field is None
    assert issubclass(TransitionNotAllowed, ServiceError) and issubclass(ActionForbidden, ServiceError)


def test_action_forbidden_has_a_default_message():
    assert ActionForbidden().message == "您无权进行此操作。"
    assert ActionForbidden("只有承办部门负责人可以作出处罚决定。").message == "只有承办部门负责人可以作出处罚决定。"
    with translation.override("en"):
        assert ActionForbidden().message == "You are not allowed to do this."


ALLOWED = (OrderStatus.DRAFT, OrderStatus.APPROVED)


@pytest.mark.parametrize("status", ALLOWED)
def test_require_status_passes_allowed_statuses(status):
    require_status(RectificationOrder(status=status), ALLOWED, "撤销")


@pytest.mark.parametrize("status", [s for s in OrderStatus if s not in ALLOWED])
def test_require_status_refuses_every_other_status_naming_it(status):
    with pytest.raises(TransitionNotAllowed) as refused:
        require_status(RectificationOrder(status=status), ALLOWED, "撤销")
    assert refused.value.message == f"当前状态为“{status.label}”，不能撤销。"
    assert refused.value.field is None


def test_require_status_default_and_own_wording():
    served = RectificationOrder(status=OrderStatus.SERVED)
    with pytest.raises(TransitionNotAllowed, match="^当前状态为“已送达”，不能进行此操作。$"):
        require_status(served, (OrderStatus.DRAFT,))
    with pytest.raises(TransitionNotAllowed, match="^条目当前状态为“已送达”，不能审核。$"):
        require_status(served, (OrderStatus.DRAFT,), message="条目当前状态为“%(status)s”，不能审核。")
    with pytest.raises(TransitionNotAllowed, match="^检查尚未提交。$"):
        require_status(served, (OrderStatus.DRAFT,), message="检查尚未提交。")
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as refused:
        require_status(served, (OrderStatus.DRAFT,), "撤销")
    assert refused.value.message.startswith("Not allowed while the status is “Served”")


# ---- service_call: form error, message and redirect, 403 ----------------------------------------------------


@pytest.fixture
def staff_client(client, users):
    client.force_login(users["education_inspector"])
    return client


def _form_page(client, outcome):
    response = client.get(f"/test-errors/form/{outcome}/")
    assert response.status_code == 200
    return response.json()


@pytest.mark.urls(__name__)
def test_a_refusal_on_a_field_of_the_form_goes_to_that_field(staff_client):
    body = _form_page(staff_client, "field")
    assert body["ok"] is False and body["non_field"] == []
    assert body["errors"] == {"deadline": [{"message": "期限不能早于明天。", "code": ""}]}
    assert WRITES == []


@pytest.mark.urls(__name__)
def test_a_refusal_without_a_field_of_the_form_is_a_non_field_error(staff_client):
    assert _form_page(staff_client, "other_field")["non_field"] == ["至少需要一个整改事项。"]
    assert _form_page(staff_client, "whole_form")["non_field"] == ["数据与已有记录冲突。"]
    assert _form_page(staff_client, "status")["non_field"] == ["当前状态为“已送达”，不能批准。"]


@pytest.mark.urls(__name__)
def test_several_field_errors_go_to_their_fields(staff_client):
    errors = _form_page(staff_client, "several")["errors"]
    assert errors == {"name": [{"message": "名称必填", "code": ""}], "deadline": [{"message": "期限无效", "code": ""}]}


@pytest.mark.urls(__name__)
def test_a_call_that_goes_through_shows_the_success_message(staff_client):
    response = staff_client.get("/test-errors/form/fine/")
    assert response.json() == {"ok": True, "errors": {}, "non_field": []}
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["已保存。"]
    assert WRITES == ["fine"]


@pytest.mark.urls(__name__)
def test_without_a_form_a_refusal_is_a_message_and_the_view_redirects(staff_client):
    response = staff_client.post("/test-errors/action/status/", follow=True)
    assert response.redirect_chain == [("/penalties/inbox/", 302)] and response.status_code == 200
    assert "当前状态为“已送达”，不能批准。" in response.content.decode() and WRITES == []
    response = staff_client.post("/test-errors/action/fine/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [("success", "已批准。")]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/test-errors/action/forbidden/", "/test-errors/form/forbidden/"])
def test_a_forbidden_step_is_a_logged_403_with_its_reason(staff_client, url, caplog):
    with caplog.at_level(logging.WARNING, logger="regulator.access"):
        response = staff_client.post(url)
    assert response.status_code == 403
    assert "只有下达部门的负责人可以批准整改通知书。" in response.content.decode()
    assert any("403 refused" in r.getMessage() and "edu_inspector" in r.getMessage() for r in caplog.records)
    assert not list(get_messages(response.wsgi_request)) and WRITES == []


@pytest.mark.urls(__name__)
def test_any_other_exception_is_not_swallowed(staff_client):
    with pytest.raises(ValueError, match="not a refusal"):
        staff_client.get("/test-errors/form/crash/")


def test_json_refusal():
    forbidden, refused = json_refusal(ActionForbidden("不行")), json_refusal(ServiceError("请选择检查结论。"))
    assert forbidden.status_code == 403 and json.loads(forbidden.content) == {"error": "不行"}
    assert refused.status_code == 400 and json.loads(refused.content) == {"error": "请选择检查结论。"}


# ---- staff_required ---------------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_staff_required_sends_anonymous_users_to_the_login_page(client, db):
    response = client.get("/test-errors/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_required_refuses_an_account_without_department():
    # The database refuses such an account (staff_has_department_unless_admin); the guard does not rely on it.
    request = RequestFactory().post("/test-errors/action/fine/")
    request.user = User(username="nobody", role=Role.INSPECTOR, department=None)
    with pytest.raises(PermissionDenied, match="^您的账号未分配部门，无法查看检查。$"):
        staff_page(request)
    with pytest.raises(PermissionDenied, match="^您的账号未分配部门。$"):
        action(request, "fine")
    assert WRITES == []


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("who", ["education_inspector", "education_head", "joint_office", "admin"])
def test_staff_required_lets_staff_in(client, users, who):
    client.force_login(users[who])
    response = client.get("/test-errors/staff/")
    assert response.status_code == 200 and response.content == b"staff"


def test_staff_required_hands_the_view_the_user_itself_not_the_lazy_wrapper(users):
    from django.utils.functional import SimpleLazyObject

    user = users["education_inspector"]
    request = RequestFactory().get("/test-errors/staff/")
    request.user = SimpleLazyObject(lambda: user)  # as AuthenticationMiddleware sets it
    SEEN_USERS.clear()
    assert staff_page(request).status_code == 200
    assert type(SEEN_USERS[0]) is User and SEEN_USERS[0] is user and request.user is user
    request.user = user  # a user object as it is (RequestFactory tests) stays as it is
    staff_page(request)
    assert SEEN_USERS[1] is user


def test_staff_required_refuses_an_inactive_account(users):
    user = users["education_inspector"]
    user.is_active = False
    request = RequestFactory().get("/test-errors/staff/")
    request.user = user
    with pytest.raises(PermissionDenied, match="无法查看检查"):
        staff_page(request)
    request.user = AnonymousUser()
    assert staff_page(request).status_code == 302
