"""Campaigns and visits, made through inspections.services so that every row is one the app could have written.

    VisitFactory(institution=…)                       planned (visit_plan) by its inspector
    VisitFactory(unassigned=True)                     planned, then left without inspectors
    VisitFactory(in_progress=True)                    started on site (visit_start)
    VisitFactory(submitted=True)                      every item passed, signed, submitted (visit_submit)
    VisitFactory(with_problems=True)                  submitted with item 3 failed: one open ProblemItem
    VisitFactory(with_outcome=True)                   submitted and decided (visit_set_outcome)
    SpotCheckDrawFactory(published=True)              a double-random draw, carried out and published

Pass `now=` to move the clock (started, answered, signed, submitted and decided at `now`).
"""

import base64
import datetime
import importlib
import io

import factory
from django.apps import apps
from django.utils import timezone
from PIL import Image

from inspections import services
from inspections.draw import draw_publish, spot_check_draw
from inspections.models import (
    AnswerResult,
    Campaign,
    ChecklistAnswer,
    ChecklistTemplate,
    InspectionKind,
    SpotCheckDraw,
    Visit,
    VisitOutcome,
    VisitStatus,
)
from regulator.models import Role

from .organisation import department_for, joint_office_for, staff
from .register import InstitutionFactory


def ensure_checklist() -> ChecklistTemplate:
    """The data migration's template; transactional tests flush it, so load it again when missing."""
    migration = importlib.import_module("inspections.migrations.0002_campaign_checklist")
    migration.load(apps, None)
    return ChecklistTemplate.objects.get(code="campaign", is_current=True)


def signature_data_url() -> str:
    """A small PNG with one stroke of ink, as the visit page's signature pad sends it."""
    image = Image.new("RGBA", (120, 40), (0, 0, 0, 0))
    for x in range(10, 110):
        image.putpixel((x, 20), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


_SIGNATURE = signature_data_url()


def answer_every_item(visit: Visit, user, *, fail_positions=(), now=None) -> None:
    """Answer every item of a started visit as inspections.services.answer_save does (result, remark,
    answered_at, answered_by) in two statements instead of one service call per item.

    The per-answer audit events (`answer_saved`) are left out: eleven per visit would make a 200-visit list
    page take seconds to set up, and nothing a list shows reads them. Tests of answering call the service."""
    now = now or timezone.now()
    answers = ChecklistAnswer.objects.filter(visit=visit)
    answers.update(result=AnswerResult.PASS, remark="", answered_at=now, answered_by=user)
    for answer in answers.filter(item__position__in=fail_positions).select_related("item"):
        answer.result, answer.remark = AnswerResult.FAIL, f"第{answer.item.position}项情况"
        answer.save(update_fields=["result", "remark"])


class CampaignFactory(factory.django.DjangoModelFactory):
    """A campaign created by the joint office of the lead department's county (inspections.services.campaign_create)."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"校外培训专项治理行动{n}")
    kind = InspectionKind.SWEEP
    region = factory.LazyAttribute(lambda o: o.lead_department.region)
    lead_department = factory.LazyFunction(lambda: department_for("370102"))
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=60))
    actor = factory.LazyAttribute(lambda o: joint_office_for(o.lead_department.region_id))
    now = None

    @classmethod
    def _create(cls, model_class, *, actor, now, **kwargs):
        ensure_checklist()
        return services.campaign_create(actor=actor, now=now, **kwargs)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    class Params:
        unassigned = factory.Trait(keep_inspectors=False)
        in_progress = factory.Trait(status=VisitStatus.IN_PROGRESS)
        submitted = factory.Trait(status=VisitStatus.SUBMITTED)
        with_problems = factory.Trait(status=VisitStatus.SUBMITTED, fail_positions=(3,))
        with_outcome = factory.Trait(status=VisitStatus.SUBMITTED, outcome=VisitOutcome.NO_PROBLEM)

    institution = factory.SubFactory(InstitutionFactory)
    lead_department = factory.LazyAttribute(lambda o: department_for(o.institution.region_id))
    planned_on = factory.LazyAttribute(lambda o: timezone.localdate(o.now))
    kind = InspectionKind.SWEEP
    departments = ()
    campaign = None
    draw = None
    # Who goes (the lead department's first inspector), who plans it and decides the outcome (the same
    # inspector: its own department's staff plan site checks, assigned inspectors decide the outcome).
    inspectors = factory.LazyAttribute(lambda o: [staff(o.lead_department, Role.INSPECTOR)])
    planner = factory.LazyAttribute(lambda o: o.inspectors[0])
    keep_inspectors = True
    status = VisitStatus.PLANNED
    fail_positions = ()
    outcome = VisitOutcome.NONE
    referred_department = None
    now = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *, planner, inspectors, keep_inspectors, status, fail_positions, outcome,
                referred_department, now, **kwargs):
        ensure_checklist()
        visit = services.visit_plan(actor=planner, inspectors=inspectors, now=now, **kwargs)
        if not keep_inspectors:
            # No service leaves a planned visit without inspectors (the heads' queue still has a kind for one,
            # e.g. when the inspectors left): the assignments visit_plan wrote are removed.
            assert status == VisitStatus.PLANNED, "only a planned visit can lack inspectors"
            visit.assignments.all().delete()
        if status == VisitStatus.PLANNED:
            return visit
        return carry_out(visit, inspectors[0], status=status, fail_positions=fail_positions, outcome=outcome,
                         referred_department=referred_department, now=now)


def carry_out(visit: Visit, inspector, *, status=VisitStatus.SUBMITTED, fail_positions=(), outcome=VisitOutcome.NONE,
              referred_department=None, now=None) -> Visit:
    """Take a planned visit on site with its inspector: started, and up to `status` — answered (item positions
    in `fail_positions` failed), signed, submitted and, with an `outcome`, decided — at `now`."""
    now = now or timezone.now()
    services.visit_start(actor=inspector, visit_id=visit.pk, now=now)
    if status == VisitStatus.IN_PROGRESS:
        visit.refresh_from_db()
        return visit
    answer_every_item(visit, inspector, fail_positions=fail_positions, now=now)
    services.signature_save(actor=inspector, visit_id=visit.pk, signer_name="张负责人", data_url=_SIGNATURE, now=now)
    visit = services.visit_submit(actor=inspector, visit_id=visit.pk, now=now)
    # TimeStampedModel stamps created_at with the wall clock whatever the service's `now`; the dashboard dates
    # problems by it, so the problem items get the moment a submission at `now` would have given them.
    visit.problem_items.update(created_at=now, updated_at=now)
    if outcome:
        if fail_positions and outcome == VisitOutcome.NO_PROBLEM:
            outcome = VisitOutcome.RECTIFICATION
        services.visit_set_outcome(actor=inspector, visit_id=visit.pk, outcome=outcome,
                                   referred_department=referred_department, now=now)
        visit.refresh_from_db()
    return visit


class SpotCheckDrawFactory(factory.django.DjangoModelFactory):
    """A double-random draw (inspections.draw.spot_check_draw) of a spot-check campaign by its joint office;
    `published=True` carries out every drawn visit (all items passed, no problem found) and publishes it."""

    class Meta:
        model = SpotCheckDraw

    class Params:
        published = factory.Trait(publish=True)

    campaign = factory.SubFactory(CampaignFactory, kind=InspectionKind.SPOT_CHECK)
    actor = factory.LazyAttribute(lambda o: joint_office_for(o.campaign.lead_department.region_id))
    sample_size = 1
    inspectors_per_visit = 2  # the least a draw allows
    planned_on = factory.LazyFunction(timezone.localdate)
    seed = factory.Sequence(lambda n: f"seed-{n}")
    publish = False

    @classmethod
    def _create(cls, model_class, *, actor, publish, **kwargs):
        draw = spot_check_draw(actor=actor, **kwargs)
        if publish:
            for visit in draw.visits.prefetch_related("assignments__inspector"):
                carry_out(visit, visit.assignments.all()[0].inspector, outcome=VisitOutcome.NO_PROBLEM)
            draw = draw_publish(actor=actor, draw_id=draw.pk)
        return draw
