"""Every inspection page per role: who sees what and may act; bad input answered; list query counts."""

import json

import pytest
from django.urls import reverse

from inspections import services
from inspections.models import ChecklistAnswer, Evidence, Signature, Visit, VisitStatus
from regulator.errors import ServiceError
from tests.inspections.conftest import TODAY, answer_all, jpeg_bytes, sign

pytestmark = pytest.mark.django_db

ALL_CLIENTS = [
    "education_inspector_client",
    "education_head_client",
    "market_head_client",
    "police_inspector_client",
    "joint_office_client",
    "other_county_client",
    "prefecture_head_client",
    "admin_client_",
]


def _client(request, name):
    return request.getfixturevalue(name)


@pytest.mark.parametrize("name", ALL_CLIENTS)
def test_list_pages_open_for_every_staff_role(request, name, visit):
    client = _client(request, name)
    for url in ("inspections:home", "inspections:today", "inspections:campaign_list"):
        assert client.get(reverse(url)).status_code == 200


def test_anonymous_is_sent_to_login(client, visit):
    for url in (reverse("inspections:home"), reverse("inspections:visit_detail", args=[visit.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "name,status,fill",
    [
        ("education_inspector_client", 200, True),  # assigned
        ("education_head_client", 200, False),  # lead department's head: read only
        ("market_head_client", 200, False),  # participating department (joint visit)
        ("joint_office_client", 200, False),
        ("prefecture_head_client", 200, False),  # same kind, higher region
        ("admin_client_", 200, False),
        ("police_inspector_client", 403, False),  # not taking part
        ("other_county_client", 403, False),
    ],
)
def test_visit_page_per_role(request, visit, name, status, fill):
    response = _client(request, name).get(reverse("inspections:visit_detail", args=[visit.pk]))
    assert response.status_code == status
    if status == 200:
        assert (b'id="visit-app"' in response.content) is fill


def test_home_lists_department_visits_with_fixed_queries(
    education_head_client, visit, users, departments, institution, django_assert_num_queries
):
    for _ in range(5):
        services.visit_plan(
            actor=users["education_head"],
            institution=institution,
            lead_department=departments["education"],
            planned_on=TODAY,
            inspectors=[users["education_inspector"]],
        )
    education_head_client.get(reverse("inspections:home"))  # warm the session
    # user (with department), visits, assignments, nav counts: the same for 6 rows or 6 million (the session comes
    # from the cache, cached_db; the nav counts are read live, the test's transaction holding the visits planned)
    with django_assert_num_queries(4):
        response = education_head_client.get(reverse("inspections:home"))
    assert response.content.count(b'class="visit-card"') == 6


def test_today_lists_only_my_visits_with_fixed_queries(
    education_inspector_client, visit, users, departments, institution, django_assert_num_queries, monkeypatch
):
    services.visit_plan(
        actor=users["market_head"],
        institution=institution,
        lead_department=departments["market"],
        planned_on=TODAY,
        inspectors=[users["market_inspector"]],
    )
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    education_inspector_client.get(reverse("inspections:today"))
    with django_assert_num_queries(4):  # as above
        response = education_inspector_client.get(reverse("inspections:today"))
    assert response.content.count(b'class="visit-card"') == 1


def _post_answer(client, visit, item_id, result="pass", remark=""):
    return client.post(
        reverse("inspections:answer_save", args=[visit.pk]),
        {"item": item_id, "result": result, "remark": remark},
    )


@pytest.mark.parametrize(
    "name", ["education_head_client", "market_head_client", "joint_office_client", "admin_client_"]
)
def test_only_assigned_inspectors_may_save_answers(request, visit, name):
    item_id = visit.answers.first().item_id
    response = _post_answer(_client(request, name), visit, item_id)
    assert response.status_code == 403
    assert not ChecklistAnswer.objects.filter(visit=visit).exclude(result="").exists()


@pytest.mark.parametrize("name", ["police_inspector_client", "other_county_client"])
def test_outsiders_cannot_reach_the_visit_endpoints(request, visit, name):
    client = _client(request, name)
    item_id = visit.answers.first().item_id
    assert _post_answer(client, visit, item_id).status_code == 403
    assert client.post(reverse("inspections:visit_submit", args=[visit.pk])).status_code == 403
    assert (
        client.post(
            reverse("inspections:signature_save", args=[visit.pk]), {"refused": "1", "refusal_reason": "x"}
        ).status_code
        == 403
    )
    assert not Signature.objects.exists()


def test_answer_endpoint_bad_input(education_inspector_client, visit):
    assert _post_answer(education_inspector_client, visit, "abc").status_code == 400
    response = _post_answer(education_inspector_client, visit, visit.answers.first().item_id, result="maybe")
    assert response.status_code == 400 and "检查结论无效" in json.loads(response.content)["error"]
    response = _post_answer(education_inspector_client, visit, 999999)
    assert response.status_code == 400 and "清单版本" in json.loads(response.content)["error"]
    assert not ChecklistAnswer.objects.exclude(result="").exists()


def test_upload_endpoint_refuses_html_disguised_as_jpg(education_inspector_client, visit):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile(
        "photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"
    )
    response = education_inspector_client.post(
        reverse("inspections:evidence_upload", args=[visit.pk]), {"file": fake, "client_id": "a"}
    )
    assert response.status_code == 400 and "文件类型不被接受" in json.loads(response.content)["error"]
    assert not Evidence.objects.exists()


def test_evidence_display_copy_for_participants_original_for_lead(
    visit, users, education_head_client, market_head_client, police_inspector_client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    evidence = services.evidence_upload(
        actor=users["education_inspector"],
        visit_id=visit.pk,
        client_id="x",
        upload=SimpleUploadedFile("a.jpg", jpeg_bytes(with_gps=True)),
    )
    url = reverse("inspections:evidence_file", args=[evidence.pk])
    original = b"".join(education_head_client.get(url + "?original=1").streaming_content)
    assert b"PhoneMaker" in original
    shown = b"".join(market_head_client.get(url + "?original=1").streaming_content)
    assert b"PhoneMaker" not in shown and shown.startswith(b"\xff\xd8")
    assert police_inspector_client.get(url).status_code == 403


def test_submit_page_flow_and_double_submit(education_inspector_client, visit, users):
    url = reverse("inspections:visit_submit", args=[visit.pk])
    response = education_inspector_client.post(url, follow=True)
    assert "还有 11 个检查项未填写" in response.content.decode()
    answer_all(visit, users["education_inspector"])
    sign(visit, users["education_inspector"])
    first = education_inspector_client.post(url)
    second = education_inspector_client.post(url)
    assert first.status_code == second.status_code == 302
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SUBMITTED
    assert Visit.objects.count() == 1
    page = education_inspector_client.get(reverse("inspections:visit_detail", args=[visit.pk]))
    assert b'id="visit-app"' not in page.content and "已提交" in page.content.decode()


def test_amend_and_outcome_pages(education_inspector_client, market_head_client, visit, users, departments):
    answer_all(visit, users["education_inspector"])
    sign(visit, users["education_inspector"])
    services.visit_submit(actor=users["education_inspector"], visit_id=visit.pk)
    item = visit.answers.get(item__position=5).item_id
    amend = reverse("inspections:visit_amend", args=[visit.pk])
    assert market_head_client.post(amend, {"reason": "x", f"result-{item}": "fail"}).status_code == 403
    response = education_inspector_client.post(amend, {"reason": "", f"result-{item}": "fail"}, follow=True)
    assert "请填写更正原因" in response.content.decode()
    education_inspector_client.post(
        amend, {"reason": "漏记", f"result-{item}": "fail", f"remark-{item}": "合同"}
    )
    page = education_inspector_client.get(
        reverse("inspections:visit_detail", args=[visit.pk])
    ).content.decode()
    assert "漏记" in page and 'id="amendments"' in page
    outcome = reverse("inspections:visit_outcome", args=[visit.pk])
    assert market_head_client.post(outcome, {"outcome": "rectification"}).status_code == 403
    education_inspector_client.post(outcome, {"outcome": "rectification", "note": "限期一个月"})
    assert Visit.objects.get(pk=visit.pk).outcome == "rectification"


@pytest.mark.parametrize(
    "name,status",
    [
        ("joint_office_client", 200),
        ("education_head_client", 200),
        ("market_head_client", 200),
        ("education_inspector_client", 403),
        ("police_inspector_client", 403),
    ],
)
def test_campaign_create_page_per_role(request, checklist, name, status):
    assert _client(request, name).get(reverse("inspections:campaign_create")).status_code == status


def test_campaign_create_and_draw_pages(
    joint_office_client, market_head_client, checklist, departments, regions, users, other_county_client
):
    from tests.factories import InstitutionFactory

    for _ in range(3):
        InstitutionFactory(region=regions["township"])
    response = joint_office_client.post(
        reverse("inspections:campaign_create"),
        {
            "name": "春季双随机",
            "kind": "spot_check",
            "region": regions["county"].code,
            "starts_on": "2025-05-01",
            "ends_on": "2025-06-30",
            "lead_department": departments["education"].pk,
            "departments": [departments["market"].pk],
        },
    )
    assert response.status_code == 302
    campaign_url = response["Location"]
    pk = int(campaign_url.rstrip("/").split("/")[-1])
    assert other_county_client.get(campaign_url).status_code == 403
    draw_url = reverse("inspections:draw_create", args=[pk])
    assert market_head_client.post(draw_url, {"sample_size": 1}).status_code == 403
    too_many = joint_office_client.post(
        draw_url, {"sample_size": 5, "inspectors_per_visit": 2, "planned_on": "2025-05-20"}
    )
    assert too_many.status_code == 400 and "超过了机构库中的机构数（3）" in too_many.content.decode()
    ok = joint_office_client.post(
        draw_url,
        {"sample_size": 2, "inspectors_per_visit": 2, "planned_on": "2025-05-20", "seed": "公开种子"},
    )
    assert ok.status_code == 302
    page = joint_office_client.get(ok["Location"] + "?rerun=1").content.decode()
    assert "完全一致" in page and "当前机构库与抽取时一致" in page
    InstitutionFactory(region=regions["township"])
    page = market_head_client.get(ok["Location"] + "?rerun=1").content.decode()
    assert "机构库已变化" in page


def test_evidence_is_served_with_its_stored_kind_and_safe_headers(visit, users, education_head_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import upload_samples as samples

    photo = services.evidence_upload(
        actor=users["education_inspector"],
        visit_id=visit.pk,
        client_id="photo",
        upload=SimpleUploadedFile("门头照片.HEIC", samples.heic()),
    )
    document = services.evidence_upload(
        actor=users["education_inspector"],
        visit_id=visit.pk,
        client_id="pdf",
        upload=SimpleUploadedFile("收费公示.html", samples.pdf(), content_type="text/html"),
    )
    url = reverse("inspections:evidence_file", args=[photo.pk])
    for response in (education_head_client.get(url), education_head_client.get(url + "?original=1")):
        assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == (
            "inline; filename=\"____.jpg\"; filename*=UTF-8''%E9%97%A8%E5%A4%B4%E7%85%A7%E7%89%87.jpg"
        )
    response = education_head_client.get(reverse("inspections:evidence_file", args=[document.pk]))
    assert response["Content-Type"] == "application/pdf"  # from the content, not the ".html" name
    assert response["Content-Disposition"].startswith('attachment; filename="____.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]


def test_an_upload_past_its_kinds_limit_is_cut_off_while_streaming(
    visit, education_inspector_client, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import upload_samples as samples

    settings.UPLOAD_VIDEO_MAX_BYTES = 64 * 1024
    video = SimpleUploadedFile("clip.mp4", samples.mp4(b"\0" * 512 * 1024), content_type="video/mp4")
    response = education_inspector_client.post(
        reverse("inspections:evidence_upload", args=[visit.pk]), {"file": video, "client_id": "big"}
    )
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "文件过大：视频不能超过 0.1 MB。"
    assert not Evidence.objects.exists()


def test_a_signature_that_is_a_decompression_bomb_is_refused(visit, users):
    import base64

    from tests import upload_samples as samples

    data_url = "data:image/png;base64," + base64.b64encode(samples.png_bomb()).decode()
    with pytest.raises(ServiceError, match="签名无效"):
        services.signature_save(
            actor=users["education_inspector"], visit_id=visit.pk, signer_name="张负责人", data_url=data_url
        )
    assert not Signature.objects.exists()


def test_a_signature_is_stored_re_encoded(visit, users):
    import base64

    from tests.inspections.conftest import signature_data_url

    data_url = signature_data_url()
    services.signature_save(
        actor=users["education_inspector"],
        visit_id=visit.pk,
        signer_name="张负责人",
        data_url=data_url + base64.b64encode(b"<script>alert(1)</script>").decode(),
    )
    with Signature.objects.get().image.open("rb") as handle:
        stored = handle.read()
    assert stored.startswith(b"\x89PNG") and b"<script>" not in stored
