"""The library of provisions: the seed, the fine ranges of the articles, refused kinds and the illegal income."""

from decimal import Decimal

import pytest

from penalties.models import Provision, ProvisionRole
from penalties.services.provisions import illegal_income, provision_check_penalty, provisions_for_checklist
from regulator.errors import ServiceError
from tests.factories import ensure_provisions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seeded(db):
    ensure_provisions()


def _article(law, article):
    return Provision.objects.get(law=law, article=article, paragraph="")


def test_seed_holds_the_laws_the_checklist_and_order_53_need():
    laws = set(Provision.objects.values_list("law", flat=True))
    assert {"校外培训行政处罚暂行办法", "民办教育促进法", "未成年人保护法", "广告法", "价格法", "消防法"} <= laws
    assert not Provision.objects.filter(checked=True).exists()  # the legal office checks the seed
    art17 = _article("校外培训行政处罚暂行办法", "第十七条")
    assert art17.citation == "《校外培训行政处罚暂行办法》第十七条"
    assert art17.role == ProvisionRole.PENALTY
    # An obligation article names the penalty articles that apply to it.
    art13 = _article("价格法", "第十三条")
    assert list(art13.penalty_articles.values_list("article", flat=True)) == ["第四十二条"]


def test_every_checklist_item_has_a_provision():
    for code in [f"C{n:02d}" for n in range(1, 12)]:
        assert provisions_for_checklist(code).exists(), code


def test_illegal_income_is_income_minus_refunds():
    assert illegal_income(income_taken=Decimal("46580"), refunds_made=Decimal("43580")) == Decimal("3000.00")


@pytest.mark.parametrize("taken,refunded", [("100", "200"), ("-1", "0"), ("abc", "0")])
def test_illegal_income_refuses_bad_amounts(taken, refunded):
    with pytest.raises(ServiceError):
        illegal_income(income_taken=taken, refunds_made=refunded)


@pytest.mark.parametrize(
    "amount,ok", [("3000", True), ("15000", True), ("2999.99", False), ("15000.01", False), ("0", False)]
)
def test_article_17_fine_is_one_to_five_times_illegal_income(amount, ok):
    art17 = _article("校外培训行政处罚暂行办法", "第十七条")
    income = illegal_income(income_taken="46580", refunds_made="43580")
    check = lambda: provision_check_penalty(  # noqa: E731
        provision=art17, kind="fine", amount=Decimal(amount), illegal_income=income
    )
    if ok:
        check()
    else:
        with pytest.raises(ServiceError) as error:
            check()
        assert error.value.field == "amount"


def test_article_17_fine_needs_the_illegal_income():
    art17 = _article("校外培训行政处罚暂行办法", "第十七条")
    with pytest.raises(ServiceError, match="违法所得"):
        provision_check_penalty(provision=art17, kind="fine", amount=Decimal("1000"))


@pytest.mark.parametrize(
    "amount,serious,ok",
    [
        ("50000", False, True),
        ("50000.01", False, False),
        ("50000", True, True),
        ("100000", True, True),
        ("49999", True, False),
        ("100001", True, False),
    ],
)
def test_article_18_ranges_with_the_especially_serious_range(amount, serious, ok):
    art18 = _article("校外培训行政处罚暂行办法", "第十八条")
    check = lambda: provision_check_penalty(  # noqa: E731
        provision=art18, kind="fine", amount=Decimal(amount), especially_serious=serious
    )
    if ok:
        check()
    else:
        with pytest.raises(ServiceError, match="超出"):
            check()


def test_a_kind_the_article_does_not_allow_is_refused():
    art18 = _article("校外培训行政处罚暂行办法", "第十八条")
    with pytest.raises(ServiceError, match="未规定") as error:
        provision_check_penalty(provision=art18, kind="licence_revocation")
    assert error.value.field == "kind"


def test_an_obligation_article_cannot_carry_a_penalty():
    with pytest.raises(ServiceError, match="不是罚则条款"):
        provision_check_penalty(provision=_article("价格法", "第十三条"), kind="warning")


def test_especially_serious_needs_an_article_that_has_that_range():
    with pytest.raises(ServiceError, match="情节特别严重"):
        provision_check_penalty(
            provision=_article("价格法", "第四十二条"), kind="fine", amount=Decimal("100"), especially_serious=True
        )
