"""Template helpers of the register list: choice labels from dicts built once, not per row."""

from django import template

from institutions import selectors
from institutions.models import Category, LicenceStanding, OperatingState, PremisesType

register = template.Library()

_LABELS = {
    "category": dict(Category.choices),
    "licence_standing": dict(LicenceStanding.choices),
    "operating_state": dict(OperatingState.choices),
    "premises_type": dict(PremisesType.choices),
}


@register.filter
def choice_label(value, field: str):
    return _LABELS[field].get(value, value)


@register.inclusion_tag("institutions/_public_register_facts.html")
def public_register_facts(institution):
    """The public institution page's register facts: the 暂停招生及收费 mark and the teachers' qualifications."""
    return {"facts": selectors.public_register_facts(institution=institution)}
