"""Template helpers of the register list: choice labels from dicts built once, not per row."""

from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper (~700 calls a page)

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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


# language -> {field: {value: its label, escaped}}: the four labels of a row without a gettext and an escape each.
_ESCAPED_LABELS: dict[str, dict[str, dict[str, str]]] = {}


def _escaped_labels(language: str) -> dict[str, dict[str, str]]:
    labels = _ESCAPED_LABELS.get(language)
    if labels is None:
        labels = _ESCAPED_LABELS[language] = {
            field: {value: escape(str(label)) for value, label in choices.items()} for field, choices in _LABELS.items()
        }
    return labels


def _row(inst, prefix: str, labels: tuple, choice: dict) -> str:
    l_name, l_code, l_region, l_category, l_standing, l_state, l_premises = labels
    standing, state = escape(inst.licence_standing), escape(inst.operating_state)
    premises = '<span class="badge danger">' if inst.premises_forbidden else "<span>"
    category = choice["category"].get(inst.category) or escape(inst.category)
    standing_label = choice["licence_standing"].get(inst.licence_standing) or standing
    state_label = choice["operating_state"].get(inst.operating_state) or state
    premises_label = choice["premises_type"].get(inst.premises_type) or escape(inst.premises_type)
    return (
        f'\n    <tr>\n      <td data-label="{l_name}"><a href="{prefix}{inst.pk}/">{escape(inst.name)}</a><br>'
        f"<small>{escape(inst.address)}</small></td>\n"
        f'      <td data-label="{l_code}"><code>{escape(inst.credit_code) if inst.credit_code else "—"}</code></td>\n'
        f'      <td data-label="{l_region}">{escape(inst.region.name)}</td>\n'
        f'      <td data-label="{l_category}">{category}</td>\n'
        f'      <td data-label="{l_standing}"><span class="badge standing-{standing}">{standing_label}</span></td>\n'
        f'      <td data-label="{l_state}"><span class="badge state-{state}">{state_label}</span></td>\n'
        f'      <td data-label="{l_premises}">{premises}{premises_label}</span></td>\n'
        f"    </tr>\n  "
    )


# (language, detail prefix, the row's values) -> the row's HTML. A row's HTML follows from what it shows (the values
# its query read: a RegisterRow is that tuple) and the language of its labels, so it is kept by exactly those, in this
# process, up to _ROWS_KEPT rows (about 0.7 KB each): the pages people page through again and again, and the rows
# two pages share, are escaped and formatted once. An edited row reads other values, so it misses.
_ROW_HTML: dict[tuple, str] = {}
_ROWS_KEPT = 10_000


@register.simple_tag
def register_rows(rows, detail_prefix) -> str:
    """The register's table rows, built in Python: the 50-row loop of template lookups (~1,600 of them) was most
    of the page's time. The HTML is the one the template loop wrote (tests/institutions/test_register_pages.py)."""
    language = get_language()
    kept, parts, missing = _ROW_HTML, [], None
    for inst in rows:
        values = inst if isinstance(inst, tuple) else None  # a RegisterRow; a model instance (tests) is not kept
        key = (language, detail_prefix, values)
        html = kept.get(key) if values is not None else None
        if html is None:
            if missing is None:
                missing = (escape(detail_prefix),
                           tuple(escape(label) for label in (_("机构名称"), _("信用代码"), _("区划"), _("类别"),
                                                                _("证照"), _("状态"), _("场所"))),
                           _escaped_labels(language))
            html = _row(inst, *missing)
            if values is not None:
                if len(kept) >= _ROWS_KEPT:
                    kept.clear()
                kept[key] = html
        parts.append(html)
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped


@register.inclusion_tag("institutions/_public_register_facts.html")
def public_register_facts(institution):
    """The public institution page's register facts: the 暂停招生及收费 mark and the teachers' qualifications."""
    return {"facts": selectors.public_register_facts(institution=institution)}
