"""Fixtures for inspections: the campaign checklist, an institution in 历下区, and a planned visit."""

import io
from datetime import date

import pytest
from PIL import Image

from inspections import services
from tests.factories import InstitutionFactory, VisitFactory, ensure_checklist, signature_data_url

TODAY = date(2025, 5, 20)


@pytest.fixture
def checklist(db):
    return ensure_checklist()


@pytest.fixture
def institution(regions):
    return InstitutionFactory(name="星光美术培训", region=regions["township"])


@pytest.fixture
def visit(users, departments, institution, checklist):
    """A joint visit led by education, with market taking part; two assigned inspectors."""
    return VisitFactory(
        planner=users["education_head"],
        institution=institution,
        lead_department=departments["education"],
        planned_on=TODAY,
        inspectors=[users["education_inspector"], users["market_inspector"]],
        departments=[departments["market"]],
    )


def answer_all(visit, user, *, fail_positions=(3,)):
    for answer in visit.answers.select_related("item"):
        result = "fail" if answer.item.position in fail_positions else "pass"
        services.answer_save(
            actor=user,
            visit_id=visit.pk,
            item_id=answer.item_id,
            result=result,
            remark=f"第{answer.item.position}项情况" if result == "fail" else "",
        )


def jpeg_bytes(*, with_gps: bool = False, size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if with_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = (36.0, 40.0, 12.5)
        gps[3] = "E"
        gps[4] = (117.0, 1.0, 30.0)
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def sign(visit, user):
    services.signature_save(
        actor=user, visit_id=visit.pk, signer_name="张负责人", data_url=signature_data_url()
    )
