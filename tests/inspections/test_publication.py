"""双随机、一公开: a draw's results are published once every visit is submitted, and the public sees them."""

import pytest
from django.urls import reverse

from inspections import draw as draw_module
from inspections import services
from inspections.models import Visit
from inspections.selectors import last_inspection_date, published_spot_check_results
from inspections.services import campaign_create
from regulator.errors import ActionForbidden, ServiceError
from regulator.models import AuditEvent
from tests.factories import InstitutionFactory
from tests.inspections.conftest import TODAY, answer_all, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawn(users, departments, regions, checklist):
    campaign = campaign_create(
        actor=users["joint_office"], name="2026年秋季双随机抽查", kind="spot_check", region=regions["county"],
        starts_on=TODAY, ends_on=TODAY, lead_department=departments["education"],
        departments=[departments["market"]],
    )
    for index in range(3):
        InstitutionFactory(region=regions["township"], name=f"抽查对象{index}")
    return draw_module.spot_check_draw(actor=users["joint_office"], campaign=campaign, sample_size=2,
                                       planned_on=TODAY, seed="publish-seed")


def _complete(visit, fail=True, decide=True):
    inspector = visit.assignments.first().inspector
    services.visit_start(actor=inspector, visit_id=visit.pk)
    answer_all(visit, inspector, fail_positions=(3,) if fail else ())
    sign(visit, inspector)
    services.visit_submit(actor=inspector, visit_id=visit.pk)
    if decide:
        services.visit_set_outcome(actor=inspector, visit_id=visit.pk,
                                   outcome="rectification" if fail else "no_problem")


def test_publishing_with_unfinished_visits_is_refused_and_writes_nothing(drawn, users):
    with pytest.raises(ServiceError, match="尚未完成检查"):
        draw_module.draw_publish(actor=users["joint_office"], draw_id=drawn.pk)
    drawn.refresh_from_db()
    assert drawn.published_at is None
    assert not AuditEvent.objects.filter(kind="spot_check.published").exists()


def test_publishing_before_outcomes_are_decided_is_refused(drawn, users):
    for visit in Visit.objects.filter(draw=drawn):
        _complete(visit, decide=False)
    with pytest.raises(ServiceError, match="检查结果未确定"):
        draw_module.draw_publish(actor=users["joint_office"], draw_id=drawn.pk)
    drawn.refresh_from_db()
    assert drawn.published_at is None


def test_an_inspector_cannot_publish(drawn, users):
    with pytest.raises(ActionForbidden):
        draw_module.draw_publish(actor=users["education_inspector"], draw_id=drawn.pk)


def test_published_results_reach_the_public_pages(drawn, users, client, django_capture_on_commit_callbacks):
    visits = list(Visit.objects.filter(draw=drawn).order_by("pk"))
    _complete(visits[0], fail=True)
    _complete(visits[1], fail=False)
    assert published_spot_check_results(institution_id=visits[0].institution_id) == []
    assert "2026年秋季双随机抽查" not in client.get(reverse("publicity:spot_checks")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        draw_module.draw_publish(actor=users["joint_office"], draw_id=drawn.pk)
    with pytest.raises(ServiceError, match="已于"):
        draw_module.draw_publish(actor=users["joint_office"], draw_id=drawn.pk)

    assert [r["outcome"] for r in published_spot_check_results(institution_id=visits[1].institution_id)] == [
        "未发现问题"]
    assert [r["outcome"] for r in published_spot_check_results(institution_id=visits[0].institution_id)] == [
        "发现问题，已责令改正"]
    assert last_inspection_date(institution_id=visits[1].institution_id) is not None

    listing = client.get(reverse("publicity:spot_checks"))
    assert "2026年秋季双随机抽查" in listing.content.decode()
    page = client.get(reverse("publicity:spot_check_detail", args=[drawn.pk])).content.decode()
    assert visits[0].institution.name in page and visits[1].institution.name in page
    assert "publish-seed" in page


def test_unpublished_draw_is_404_for_the_public(drawn, client):
    assert client.get(reverse("publicity:spot_check_detail", args=[drawn.pk])).status_code == 404
    assert "2026年秋季双随机抽查" not in client.get(reverse("publicity:spot_checks")).content.decode()


def test_bad_page_parameter_is_refused(client):
    assert client.get(reverse("publicity:spot_checks"), {"after": "-5"}).status_code == 400


def test_verifying_a_report_opens_a_complaint_visit(users, departments, regions, checklist):
    from publicity import services as publicity_services

    institution = InstitutionFactory(region=regions["township"], name="被举报机构")
    report = publicity_services.report_file(region=regions["township"], content="周末违规开展学科类培训",
                                            institution=institution)
    publicity_services.report_assign(report_id=report.pk, actor=users["joint_office"],
                                     department=departments["education"])
    report = publicity_services.report_verify(report_id=report.pk, actor=users["education_inspector"],
                                              open_visit=True)
    visit = Visit.objects.get(pk=report.inspection_visit_id)
    assert visit.kind == "complaint" and visit.institution == institution
    assert visit.lead_department == departments["education"]
    assert list(visit.assignments.values_list("inspector", flat=True)) == [users["education_inspector"].pk]
