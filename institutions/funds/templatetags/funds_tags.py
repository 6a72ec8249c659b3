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


# Checklist items beside which the site check shows what was filed: 3 (place, plan and content as filed) and 9
# (fees, supervised account, prepayment) of the campaign checklist (inspections/migrations/0002).
FILING_ITEM_CODES = {"C03": "content", "C09": "fees"}


@register.inclusion_tag("funds/_site_check_filings.html")
def site_check_filings(institution_id: int, item_code: str):
    """What was filed, for the inspector to compare with what they find (one or two queries, two items a page)."""
    from ..models import FundAccount
    from ..rules import schedule_text
    from ..selectors import filed_courses

    aspect = FILING_ITEM_CODES.get(item_code)
    if aspect is None:
        return {"aspect": None}
    courses = filed_courses(institution_id)
    for course in courses:
        course.schedule_label = schedule_text(course.schedule)
    account = (FundAccount.objects.filter(institution_id=institution_id).select_related("bank_format").first()
               if aspect == "fees" else None)
    return {"aspect": aspect, "courses": courses, "account": account}
