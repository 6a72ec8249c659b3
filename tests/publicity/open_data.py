"""Published penalty decisions and annual-inspection batches for the open-data tests (and what must not leak)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from institutions.annual import services as annual
from institutions.models import AnnualMaterialKind
from penalties.models import CaseStatus
from publicity import publications
from tests.factories import PenaltyCaseFactory, ReportFactory, ensure_annual_materials

FINE = {"kind": "fine", "amount": Decimal("20000"), "legal_basis": "《校外培训行政处罚暂行办法》第十八条"}
REPORTER_NAME, REPORTER_PHONE = "举报人赵秘密", "13900001111"
LEGAL_REPRESENTATIVE = "王小明"


def decision(institution, head, *, publish=True, natural_person=False, facts=None):
    """A decided case of `institution` whose decision is opened for publication (and published)."""
    institution.legal_representative = LEGAL_REPRESENTATIVE
    institution.save(update_fields=["legal_representative"])
    ReportFactory(institution=institution, reporter_name=REPORTER_NAME, reporter_phone=REPORTER_PHONE)
    case = PenaltyCaseFactory(institution=institution, status=CaseStatus.DECIDED, penalties=(
        FINE, {"kind": "warning", "legal_basis": "《中华人民共和国民办教育促进法》第六十二条"}))
    if facts is not None:
        case.decision.facts = facts
        case.decision.save(update_fields=["facts"])
    publication = publications.publication_open_for_case(case_id=case.pk, actor=head,
                                                         party_is_natural_person=natural_person)
    if publish:
        publication = publications.publication_publish(publication_id=publication.pk, actor=head)
    return case, publication


def annual_batch(head, inspector, results, *, year=None, publish=True):
    """The year's plan of the head's department: each enrolled institution (by id) gets (result, reasons)."""
    ensure_annual_materials()  # a transactional test earlier in the session may have flushed migration 0009's
    today = timezone.localdate()
    plan = annual.plan_create(actor=head, year=year or today.year - 1, deadline=today + datetime.timedelta(days=30),
                              materials=list(AnnualMaterialKind.objects.all()))
    for inspection, (result, reasons) in zip(plan.inspections.order_by("institution_id"), results, strict=True):
        for kind in plan.materials.all():
            annual.material_receive(actor=inspector, inspection_id=inspection.pk, kind_id=kind.pk, received_on=today)
        annual.desk_review(actor=inspector, inspection_id=inspection.pk, note="材料齐全")
        if result == "refused":
            continue
        annual.decide(actor=head, inspection_id=inspection.pk, result=result, reasons=reasons)
    for inspection, (result, reasons) in zip(plan.inspections.order_by("institution_id"), results, strict=True):
        if result == "refused":
            annual.refuse(actor=head, inspection_id=inspection.pk, note=reasons)
    if publish:
        plan = annual.plan_publish(actor=head, plan_id=plan.pk)
    return plan

