"""Visit services: planning, autosave, signature, submit (once), amendments, outcomes, re-inspections."""

from datetime import date

import pytest
from django.utils import timezone

from inspections import selectors, services
from inspections.models import (
    ChecklistAnswer,
    ChecklistItem,
    ChecklistTemplate,
    ProblemItem,
    Signature,
    Visit,
    VisitAmendment,
    VisitGroupObjectPermission,
    VisitStatus,
)
from inspections.permissions import can_view_visit, visible_problem_items
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import AuditEvent
from tests.factories import signature_data_url
from tests.inspections.conftest import TODAY, answer_all, sign

pytestmark = pytest.mark.django_db


def test_data_migration_loads_eleven_items(checklist):
    items = list(checklist.items.order_by("position"))
    assert len(items) == 11
    assert items[0].text.startswith("证照、教师信息")
    assert items[10].code == "C11"


def test_plan_opens_one_blank_answer_per_item(visit):
    assert visit.answers.count() == 11
    assert not visit.answers.exclude(result="").exists()
    assert visit.kind == "joint"
    assert AuditEvent.objects.filter(kind="visit.planned", object_id=str(visit.pk)).exists()


def test_plan_refuses_same_inspector_twice_and_outsiders(users, departments, institution, checklist):
    before = Visit.objects.count()
    with pytest.raises(ServiceError, match="重复"):
        services.visit_plan(
            actor=users["education_head"],
            institution=institution,
            lead_department=departments["education"],
            planned_on=TODAY,
            inspectors=[users["education_inspector"], users["education_inspector"]],
        )
    with pytest.raises(ServiceError, match="不属于参与检查的部门"):
        services.visit_plan(
            actor=users["education_head"],
            institution=institution,
            lead_department=departments["education"],
            planned_on=TODAY,
            inspectors=[users["police_inspector"]],
        )
    with pytest.raises(ActionForbidden):
        services.visit_plan(
            actor=users["market_head"],
            institution=institution,
            lead_department=departments["education"],
            planned_on=TODAY,
            inspectors=[users["education_inspector"]],
        )
    assert Visit.objects.count() == before


def test_answer_autosave_is_idempotent_and_starts_the_visit(visit, users):
    item = visit.answers.first().item
    inspector = users["education_inspector"]
    services.answer_save(actor=inspector, visit_id=visit.pk, item_id=item.pk, result="fail", remark="未公示")
    events = AuditEvent.objects.filter(kind="checklist_answer.saved").count()
    services.answer_save(actor=inspector, visit_id=visit.pk, item_id=item.pk, result="fail", remark="未公示")
    assert AuditEvent.objects.filter(kind="checklist_answer.saved").count() == events == 1
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS and visit.started_at is not None


def test_visit_start_records_time_and_position_once(visit, users):
    now = timezone.now()
    services.visit_start(
        actor=users["market_inspector"],
        visit_id=visit.pk,
        latitude="36.6512",
        longitude="117.1201",
        accuracy="15",
        now=now,
    )
    services.visit_start(actor=users["education_inspector"], visit_id=visit.pk, latitude="1", longitude="1")
    visit.refresh_from_db()
    assert visit.started_at == now and str(visit.latitude) == "36.651200" and visit.position_accuracy_m == 15
    assert visit.started_by == users["market_inspector"]


def test_answer_to_item_outside_the_template_version_is_refused(visit, users, checklist):
    revised = services.checklist_template_revise(
        template=checklist, actor=users["admin"], items=[{"code": "N1", "text": "新增检查项"}]
    )
    foreign_item = revised.items.get()
    with pytest.raises(ServiceError, match="不属于本次检查所用的清单版本"):
        services.answer_save(
            actor=users["education_inspector"],
            visit_id=visit.pk,
            item_id=foreign_item.pk,
            result="pass",
            remark="",
        )
    assert not ChecklistAnswer.objects.filter(item=foreign_item).exists()


def test_revising_a_template_makes_a_new_version_and_past_visits_keep_theirs(visit, users, checklist):
    revised = services.checklist_template_revise(
        template=checklist,
        actor=users["admin"],
        items=[{"code": "C01", "text": "改写后的第一项"}, {"code": "C02", "text": "第二项"}],
    )
    assert revised.version == 2 and revised.is_current
    checklist.refresh_from_db()
    assert not checklist.is_current
    visit.refresh_from_db()
    assert visit.checklist_template_id == checklist.pk
    assert visit.answers.count() == 11
    assert ChecklistItem.objects.get(template=checklist, code="C01").text.startswith("证照")
    with pytest.raises(ActionForbidden):
        services.checklist_template_revise(
            template=revised, actor=users["education_inspector"], items=[{"code": "X", "text": "x"}]
        )
    assert ChecklistTemplate.objects.filter(code="campaign").count() == 2


def test_only_assigned_inspectors_edit(visit, users):
    item_id = visit.answers.first().item_id
    for name in ("education_head", "police_inspector", "joint_office"):
        with pytest.raises(ActionForbidden):
            services.answer_save(
                actor=users[name], visit_id=visit.pk, item_id=item_id, result="pass", remark=""
            )
    assert not visit.answers.exclude(result="").exists()


def test_submit_names_missing_items_and_writes_nothing(visit, users):
    inspector = users["education_inspector"]
    answers = list(visit.answers.select_related("item").order_by("item__position"))
    for answer in answers[:9]:
        services.answer_save(
            actor=inspector, visit_id=visit.pk, item_id=answer.item_id, result="pass", remark=""
        )
    sign(visit, inspector)
    with pytest.raises(services.IncompleteChecklistError) as error:
        services.visit_submit(actor=inspector, visit_id=visit.pk)
    assert "还有 2 个检查项未填写" in error.value.message
    assert "10. " in error.value.message and "11. " in error.value.message
    assert [i.position for i in error.value.missing] == [10, 11]
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS and not ProblemItem.objects.exists()


def test_submit_requires_signature_or_refusal(visit, users):
    inspector = users["education_inspector"]
    answer_all(visit, inspector)
    with pytest.raises(ServiceError, match="签字"):
        services.visit_submit(actor=inspector, visit_id=visit.pk)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.IN_PROGRESS


def test_submit_by_unassigned_inspector_is_refused(visit, users):
    answer_all(visit, users["education_inspector"])
    sign(visit, users["education_inspector"])
    for name in ("police_inspector", "education_head", "other_county_inspector"):
        with pytest.raises(ActionForbidden):
            services.visit_submit(actor=users[name], visit_id=visit.pk)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.IN_PROGRESS
    assert not ProblemItem.objects.exists()


def test_submit_creates_problem_items_once_and_locks_the_visit(visit, users):
    inspector = users["education_inspector"]
    answer_all(visit, inspector, fail_positions=(3, 6))
    sign(visit, inspector)
    first = services.visit_submit(actor=inspector, visit_id=visit.pk, summary="现场检查")
    second = services.visit_submit(actor=users["market_inspector"], visit_id=visit.pk)
    assert first.pk == second.pk and second.status == VisitStatus.SUBMITTED
    assert second.submitted_by == inspector
    problems = list(ProblemItem.objects.order_by("item_code"))
    assert [p.item_code for p in problems] == ["C03", "C06"]
    assert problems[0].institution_id == visit.institution_id
    assert problems[0].department_id == visit.lead_department_id
    assert problems[0].finding == "第3项情况" and problems[0].status == "open"
    assert AuditEvent.objects.filter(kind="visit.submitted").count() == 1
    assert list(selectors.problem_items_for_order(visit=visit)) == problems
    item_id = visit.answers.first().item_id
    with pytest.raises(ServiceError, match="已提交"):
        services.answer_save(actor=inspector, visit_id=visit.pk, item_id=item_id, result="fail", remark="x")
    with pytest.raises(ServiceError, match="已提交"):
        services.signature_save(actor=inspector, visit_id=visit.pk, refused=True, refusal_reason="x")
    assert ChecklistAnswer.objects.get(visit=visit, item_id=item_id).result == "pass"


def test_signature_refusal_needs_reason_and_blank_canvas_is_refused(visit, users):
    inspector = users["education_inspector"]
    with pytest.raises(ServiceError, match="原因"):
        services.signature_save(actor=inspector, visit_id=visit.pk, refused=True, refusal_reason="  ")
    import base64
    import io

    from PIL import Image

    blank = io.BytesIO()
    Image.new("RGBA", (50, 20), (0, 0, 0, 0)).save(blank, format="PNG")
    with pytest.raises(ServiceError, match="签名无效"):
        services.signature_save(
            actor=inspector,
            visit_id=visit.pk,
            signer_name="张三",
            data_url="data:image/png;base64," + base64.b64encode(blank.getvalue()).decode(),
        )
    with pytest.raises(ServiceError, match="签名无效"):
        services.signature_save(
            actor=inspector, visit_id=visit.pk, signer_name="张三", data_url="data:text/html;base64,PGh0bWw+"
        )
    assert not Signature.objects.exists()
    services.signature_save(actor=inspector, visit_id=visit.pk, refused=True, refusal_reason="负责人不在场")
    services.signature_save(
        actor=inspector, visit_id=visit.pk, signer_name="张三", data_url=signature_data_url()
    )
    signature = Signature.objects.get()
    assert not signature.refused and signature.image.name


def _submitted(visit, users, fail_positions=(3,)):
    inspector = users["education_inspector"]
    answer_all(visit, inspector, fail_positions=fail_positions)
    sign(visit, inspector)
    return services.visit_submit(actor=inspector, visit_id=visit.pk)


def test_amendment_keeps_history_and_updates_problem_items(visit, users):
    _submitted(visit, users)
    item3 = visit.answers.get(item__position=3).item_id
    item5 = visit.answers.get(item__position=5).item_id
    with pytest.raises(ServiceError, match="更正原因"):
        services.visit_amend(
            actor=users["education_inspector"],
            visit_id=visit.pk,
            reason=" ",
            changes={item5: {"result": "fail"}},
        )
    with pytest.raises(ActionForbidden):
        services.visit_amend(
            actor=users["police_inspector"],
            visit_id=visit.pk,
            reason="x",
            changes={item5: {"result": "fail"}},
        )
    assert not VisitAmendment.objects.exists()
    services.visit_amend(
        actor=users["education_inspector"],
        visit_id=visit.pk,
        reason="录入错误",
        changes={item5: {"result": "fail", "remark": "合同非示范文本"}, item3: {"result": "pass"}},
    )
    amendment = VisitAmendment.objects.get()
    assert amendment.reason == "录入错误" and len(amendment.changes) == 2
    assert ProblemItem.objects.get(item_code="C05").status == "open"
    assert ProblemItem.objects.get(item_code="C03").status == "closed"


def test_amend_before_submit_is_refused(visit, users):
    with pytest.raises(ServiceError, match="尚未提交"):
        services.visit_amend(actor=users["education_inspector"], visit_id=visit.pk, reason="x", changes={})


def test_referral_grants_the_other_department_the_visit_and_problem_items(visit, users, departments):
    _submitted(visit, users)
    police = users["police_inspector"]
    assert not can_view_visit(police, visit)
    with pytest.raises(ServiceError, match="接收部门"):
        services.visit_set_outcome(actor=users["education_head"], visit_id=visit.pk, outcome="referral")
    with pytest.raises(ServiceError, match="未发现问题"):
        services.visit_set_outcome(actor=users["education_head"], visit_id=visit.pk, outcome="no_problem")
    with pytest.raises(ActionForbidden):
        services.visit_set_outcome(actor=users["market_head"], visit_id=visit.pk, outcome="rectification")
    assert Visit.objects.get(pk=visit.pk).outcome == ""
    services.visit_set_outcome(
        actor=users["education_head"],
        visit_id=visit.pk,
        outcome="referral",
        referred_department=departments["police"],
        note="涉嫌阻碍执法",
    )
    assert VisitGroupObjectPermission.objects.filter(
        group=departments["police"].group, content_object=visit
    ).exists()
    assert can_view_visit(police, visit)
    assert visible_problem_items(police).count() == 1


def test_outcome_before_submit_is_refused(visit, users):
    with pytest.raises(ServiceError, match="提交后"):
        services.visit_set_outcome(actor=users["education_head"], visit_id=visit.pk, outcome="rectification")


def test_reinspection_carries_forward_only_failed_items(visit, users):
    _submitted(visit, users, fail_positions=(3, 9))
    re = services.reinspection_create(
        actor=users["education_head"], previous_visit_id=visit.pk, planned_on=date(2025, 6, 20)
    )
    answers = list(re.answers.select_related("item", "carried_from").order_by("item__position"))
    assert [a.item.code for a in answers] == ["C03", "C09"]
    assert answers[0].carried_from.remark == "第3项情况"
    assert re.kind == "reinspection" and re.previous_visit_id == visit.pk
    assert set(re.assignments.values_list("inspector_id", flat=True)) == {
        users["education_inspector"].pk,
        users["market_inspector"].pk,
    }


def test_reinspection_of_clean_or_unsubmitted_visit_is_refused(visit, users):
    before = Visit.objects.count()
    with pytest.raises(ActionForbidden):
        services.reinspection_create(
            actor=users["education_head"], previous_visit_id=visit.pk, planned_on=TODAY
        )
    _submitted(visit, users, fail_positions=())
    with pytest.raises(ServiceError, match="无需复查"):
        services.reinspection_create(
            actor=users["education_head"], previous_visit_id=visit.pk, planned_on=TODAY
        )
    assert Visit.objects.count() == before


def test_reinspections_in_bulk_are_what_one_at_a_time_makes(users, departments, institution, visit):
    """reinspections_plan_many (the chaser's): the same visit, answers, assignments and audit event as
    reinspection_create; a plan it refuses is returned as its error and writes nothing."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from regulator.audit import verify_chains
    from tests.factories import VisitFactory

    _submitted(visit, users, fail_positions=(3, 9))
    one = services.reinspection_create(actor=users["education_head"], previous_visit_id=visit.pk,
                                       planned_on=date(2025, 6, 20))
    others = []
    for _ in range(3):
        other = VisitFactory(planner=users["education_head"], institution=institution,
                             lead_department=departments["education"], planned_on=TODAY,
                             inspectors=[users["education_inspector"], users["market_inspector"]],
                             departments=[departments["market"]])
        others.append(other)
    for other in others[:2]:
        _submitted(other, users, fail_positions=(3, 9))
    clean = VisitFactory(planner=users["education_head"], institution=institution,
                         lead_department=departments["education"], planned_on=TODAY,
                         inspectors=[users["education_inspector"]])
    _submitted(clean, users, fail_positions=())
    head = users["education_head"]
    plans = [(head, others[0].pk), (head, clean.pk), (head, others[2].pk), (users["market_head"], others[1].pk),
             (head, others[1].pk)]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        made, no_failures, unsubmitted, not_lead, second = services.reinspections_plan_many(
            plans=plans, planned_on=date(2025, 6, 20))
    # the previous visits, their departments, assignments and failed answers; the visits, departments,
    # assignments and answers INSERTed; record_events' statements for one actor (PostgreSQL: the chains' locks,
    # their heads, the INSERT; SQLite takes no lock)
    assert len(queries.captured_queries) == 4 + 4 + (3 if connection.vendor == "postgresql" else 2)
    assert isinstance(no_failures, ServiceError) and "无需复查" in str(no_failures.message)
    assert isinstance(unsubmitted, ActionForbidden) and isinstance(not_lead, ActionForbidden)

    def shape(re):
        return (re.kind, re.lead_department_id, re.planned_on, re.checklist_template_id, re.campaign_id,
                [(a.item.code, a.carried_from.remark) for a in re.answers.select_related("item", "carried_from")],
                list(re.assignments.values_list("inspector_id", "is_lead")),
                list(re.departments.values_list("pk", flat=True)))

    for bulk, previous in ((made, others[0]), (second, others[1])):
        bulk.refresh_from_db()
        assert bulk.previous_visit_id == previous.pk
        assert shape(bulk) == shape(one)
        event = AuditEvent.objects.get(kind="visit.planned", object_id=str(bulk.pk))
        expected = AuditEvent.objects.get(kind="visit.planned", object_id=str(one.pk)).after
        differs = {"id", "previous_visit"}
        assert {k: v for k, v in event.after.items() if k not in differs} == {
            k: v for k, v in expected.items() if k not in differs}
    assert Visit.objects.filter(previous_visit__in=[clean, others[2]]).count() == 0
    assert list(verify_chains()) == []


def test_campaign_create_permissions(users, departments, regions, checklist):
    kwargs = dict(
        name="2025年春季专项治理",
        kind="sweep",
        region=regions["county"],
        starts_on=TODAY,
        ends_on=date(2025, 6, 30),
        departments=[departments["market"]],
    )
    for name in ("education_inspector", "police_inspector"):
        with pytest.raises(ActionForbidden):
            services.campaign_create(actor=users[name], lead_department=departments["education"], **kwargs)
    with pytest.raises(ActionForbidden):
        services.campaign_create(
            actor=users["market_head"], lead_department=departments["education"], **kwargs
        )
    with pytest.raises(ServiceError, match="结束日期"):
        services.campaign_create(
            actor=users["joint_office"],
            lead_department=departments["education"],
            **{**kwargs, "ends_on": date(2025, 1, 1)},
        )
    campaign = services.campaign_create(
        actor=users["joint_office"], lead_department=departments["education"], **kwargs
    )
    assert set(campaign.departments.all()) == {departments["education"], departments["market"]}
    assert campaign.checklist_template == checklist
