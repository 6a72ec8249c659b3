"""How the dashboard and the weekly report print a figure: numbers as floatformat "-2g" does (grouped, at most two
decimals), a figure that does not exist (a month after the summary, a rate against zero) as a dash."""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def figure(value):
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        formatted = floatformat(value, "-2g")
        return formatted if formatted != "" else value
    return floatformat(value, "-2g")
