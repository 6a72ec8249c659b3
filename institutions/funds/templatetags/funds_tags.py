"""Labels of risk levels for the templates that show a weighted draw."""

from django import template

from ..selectors import risk_level_label

register = template.Library()


@register.filter
def risk_label(code: str) -> str:
    return str(risk_level_label(code))


@register.inclusion_tag("funds/_public_courses.html")
def public_courses(institution):
    """The filed classes, fee standards and supervised-account check of an institution's public page."""
    from ..selectors import filed_courses, has_supervised_account

    return {"public_funds": {"courses": filed_courses(institution.pk),
                             "has_account": has_supervised_account(institution.pk)}}
