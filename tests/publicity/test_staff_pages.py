"""Staff pages: the entry queue and the report ledger, by role; forbidden actions are 403, write nothing."""

import pytest
from django.urls import reverse

from publicity import services
from publicity.models import Batch, EntryStatus, ListEntry, Report, ReportStatus
from tests.factories import InstitutionFactory

from .conftest import REPORTER_NAME, REPORTER_PHONE, SECRET_REMARK


@pytest.fixture
def report(institution):
    return services.report_file(
        region=None,
        institution=institution,
        content="违规培训",
        reporter_name=REPORTER_NAME,
        reporter_phone=REPORTER_PHONE,
    )


@pytest.mark.django_db
def test_propose_review_approve_publish_through_pages(
    institution, education_inspector_client, education_head_client, joint_office_client
):
    response = education_inspector_client.post(
        reverse("publicity:entry_propose"),
        {
            "credit_code": institution.credit_code,
            "list_kind": "white",
            "reason": "证照齐全",
            "internal_remark": SECRET_REMARK,
        },
    )
    entry = ListEntry.objects.get()
    assert response.status_code == 302 and entry.status == EntryStatus.PROPOSED
    education_head_client.post(
        reverse("publicity:entry_action", args=[entry.pk, "review"]), {"decision": "approve"}
    )
    joint_office_client.post(
        reverse("publicity:entry_action", args=[entry.pk, "approve"]), {"decision": "approve"}
    )
    queue = joint_office_client.get(reverse("publicity:staff_home")).content.decode()
    assert 'name="entry_ids"' in queue
    response = joint_office_client.post(reverse("publicity:batch_publish"), {"entry_ids": [entry.pk]})
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "publicity:batch_detail", args=[batch.pk]
    )
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED


@pytest.mark.django_db
def test_market_head_cannot_publish(institution, make_entry, market_head_client):
    entry = make_entry(institution, EntryStatus.APPROVED)
    response = market_head_client.post(reverse("publicity:batch_publish"), {"entry_ids": [entry.pk]})
    assert response.status_code == 403
    assert not Batch.objects.exists()
    assert 'name="entry_ids"' not in market_head_client.get(reverse("publicity:staff_home")).content.decode()


@pytest.mark.django_db
def test_publishing_unapproved_through_page_shows_message(institution, make_entry, joint_office_client):
    entry = make_entry(institution, EntryStatus.REVIEWED)
    response = joint_office_client.post(
        reverse("publicity:batch_publish"), {"entry_ids": [entry.pk]}, follow=True
    )
    assert "尚未经专项治理办公室批准" in response.content.decode()
    assert not Batch.objects.exists()


@pytest.mark.django_db
def test_inspector_cannot_approve_and_other_county_cannot_see(
    institution, make_entry, education_inspector_client, other_county_client
):
    entry = make_entry(institution, EntryStatus.REVIEWED)
    response = education_inspector_client.post(
        reverse("publicity:entry_action", args=[entry.pk, "approve"]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert ListEntry.objects.get(pk=entry.pk).status == EntryStatus.REVIEWED
    assert other_county_client.get(reverse("publicity:entry_detail", args=[entry.pk])).status_code == 403
    assert entry.pk not in [
        row.pk for row in other_county_client.get(reverse("publicity:staff_home")).context["rows"]
    ]


@pytest.mark.django_db
def test_remove_unpublished_through_page_is_a_message(institution, make_entry, education_inspector_client):
    entry = make_entry(institution, EntryStatus.APPROVED)
    response = education_inspector_client.post(
        reverse("publicity:entry_action", args=[entry.pk, "removal"]), {"reason": "已整改"}, follow=True
    )
    assert "只能移出已公示的条目" in response.content.decode()
    assert not entry.removals.exists()


@pytest.mark.django_db
def test_staff_queue_query_count_is_fixed(
    institution, make_entry, regions, joint_office_client, django_assert_num_queries
):
    for index in range(6):
        make_entry(InstitutionFactory(name=f"机构{index}", region=regions["county"]), EntryStatus.APPROVED)
    # user, one page of entries with institutions and departments, nav counts (the session from the cache)
    with django_assert_num_queries(3):
        joint_office_client.get(reverse("publicity:staff_home"))


@pytest.mark.django_db
def test_reporter_identity_only_for_assigned_department(
    report, users, departments, joint_office_client, education_inspector_client, market_head_client
):
    url = reverse("publicity:report_detail", args=[report.pk])
    assert REPORTER_NAME not in education_inspector_client.get(url).content.decode()  # not yet assigned
    response = joint_office_client.post(
        reverse("publicity:report_action", args=[report.pk, "assign"]),
        {"department": departments["market"].pk},
    )
    assert response.status_code == 302
    # The handling department sees the identity only by asking for it (显示举报人信息), which is audited.
    page = market_head_client.get(url).content.decode()
    assert REPORTER_NAME not in page and "显示举报人信息" in page
    identity_url = reverse("publicity:report_identity", args=[report.pk])
    revealed = market_head_client.post(identity_url)
    assert REPORTER_NAME in revealed.content.decode() and REPORTER_PHONE in revealed.content.decode()
    assert "no-store" in revealed["Cache-Control"]
    assert REPORTER_PHONE not in education_inspector_client.get(url).content.decode()
    assert REPORTER_NAME not in joint_office_client.get(url).content.decode()
    for client in (education_inspector_client, joint_office_client):
        refused = client.post(identity_url)
        assert refused.status_code == 403 and REPORTER_NAME not in refused.content.decode()


@pytest.mark.django_db
def test_report_ledger_walk_and_forbidden_steps(
    report,
    departments,
    joint_office_client,
    education_inspector_client,
    education_head_client,
    police_inspector_client,
):
    action = lambda client, name, data=None: client.post(  # noqa: E731
        reverse("publicity:report_action", args=[report.pk, name]), data or {}
    )
    assert (
        action(education_inspector_client, "assign", {"department": departments["education"].pk}).status_code
        == 403
    )
    assert Report.objects.get(pk=report.pk).status == ReportStatus.REGISTERED
    action(joint_office_client, "assign", {"department": departments["education"].pk})
    assert action(police_inspector_client, "verify").status_code == 403
    action(education_inspector_client, "verify", {"note": "去现场"})
    action(education_inspector_client, "handle")
    action(education_inspector_client, "reply", {"reply": "已责令整改"})
    assert action(education_inspector_client, "close").status_code == 403
    action(education_head_client, "close")
    assert Report.objects.get(pk=report.pk).status == ReportStatus.CLOSED
    ledger = joint_office_client.get(reverse("publicity:report_ledger"))
    assert report.tracking_display in ledger.content.decode()


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(report):
    from django.test import Client

    response = Client().get(reverse("publicity:staff_home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().get(reverse("publicity:report_detail", args=[report.pk])).status_code == 302
