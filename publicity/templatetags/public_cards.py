"""The public lists' entry cards built in Python: the 20-card loop of the template (~25 nodes a card, ~500 variable
lookups and translations a page) was most of an uncached public page's time. The HTML is the one the template loop
wrote (tests/publicity/test_public_cards.py holds that loop and compares)."""

from datetime import datetime
from html import escape  # django.utils.html.escape without its lazy-string wrapper: the same output

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

_SENTINEL = 987654321  # an id no URL holds, replaced by each row's own


def _prefix_suffix(name: str) -> tuple[str, str]:
    prefix, _sep, suffix = reverse(name, args=[_SENTINEL]).partition(str(_SENTINEL))
    return escape(prefix), escape(suffix)


def _day(value, zone) -> str:
    """The `date:"Y-m-d"` filter's output (a date, or a datetime in the current time zone), without a DateFormat
    object per value."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        value = value.astimezone(zone)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _lines(value) -> str:
    """The linebreaksbr filter's output (newlines normalised, the text escaped, each newline a <br>)."""
    return escape(str(value)).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def _text(value) -> str:
    return escape(str(value)) if value is not None else "None"


@register.simple_tag
def public_cards(rows) -> str:
    page_prefix, page_suffix = _prefix_suffix("publicity:institution_page")
    batch_prefix, batch_suffix = _prefix_suffix("publicity:batch_detail")
    labels = {key: escape(_(text)) for key, text in (
        ("code", "统一社会信用代码"), ("address", "办学地点"), ("category", "类别"), ("black", "列入原因"),
        ("white", "公示说明"), ("result", "处理结果"), ("published", "公示时间"))}
    zone = timezone.get_current_timezone()
    parts = []
    for row in rows:
        black = row["list_kind"] == "black"
        published = _day(row["published_at"], zone)
        correction = (f'<span class="badge correction">{escape(_("更正于%(date)s") % {"date": published})}</span>'
                      if row["version"] > 1 else "")
        black_category = (f'<span class="badge warn">{_text(row["black_category_label"])}</span>'
                          if row["black_category_label"] else "")
        result = (f'<dt>{labels["result"]}</dt><dd>{_text(row["handling_result"])}</dd>'
                  if row["handling_result"] else "")
        parts.append(
            f'\n  <li class="card entry {_text(row["list_kind"])}">\n'
            f'    <h2><a href="{page_prefix}{int(row["institution_id"])}{page_suffix}">'
            f'{_text(row["institution_name"])}</a></h2>\n'
            f'    <span class="badge {"danger" if black else "standing-both"}">{_text(row["list_kind_label"])}</span>\n'
            f"    {black_category}\n"
            f"    {correction}\n"
            f'    <dl class="facts">\n'
            f'      <dt>{labels["code"]}</dt><dd>{_text(row["credit_code"] or "—")}</dd>\n'
            f'      <dt>{labels["address"]}</dt><dd>{_text(row["region_name"])} {_text(row["address"])}</dd>\n'
            f'      <dt>{labels["category"]}</dt><dd>{_text(row["category_label"])}</dd>\n'
            f'      <dt>{labels["black" if black else "white"]}</dt><dd class="reason">'
            f'{_lines(row["reason"])}</dd>\n'
            f"      {result}\n"
            f'      <dt>{labels["published"]}</dt><dd>{published} · '
            f'<a href="{batch_prefix}{int(row["batch_id"])}{batch_suffix}">{_text(row["batch_number"])}</a></dd>\n'
            f"    </dl>\n"
            f"  </li>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped


@register.simple_tag
def public_search_cards(rows) -> str:
    """The public search's result cards (publicity.selectors.public_search_page rows), built as public_cards is: the
    HTML of the template loop it replaced (tests/publicity/test_public_cards.py holds that loop too)."""
    page_prefix, page_suffix = _prefix_suffix("publicity:institution_page")
    # The loop's if/elif branches ended with the line break and indent before the next tag; its else branch did not.
    badges = {"black": f'<span class="badge danger list-status">{escape(_("黑名单"))}</span>\n    ',
              "white": f'<span class="badge standing-both list-status">{escape(_("白名单"))}</span>\n    '}
    unlisted = f'<span class="badge list-status">{escape(_("未列入白名单或黑名单"))}</span>'
    labels = {key: escape(_(text)) for key, text in (
        ("code", "统一社会信用代码"), ("address", "办学地点"), ("category", "类别"), ("inspected", "最近一次检查"),
        ("checked", "最近抽查结果"), ("never_inspected", "暂无检查记录"), ("never_checked", "暂无已公示的抽查结果"))}
    zone = timezone.get_current_timezone()
    parts = []
    for row in rows:
        inspected = _day(row.last_inspected_on, zone) or labels["never_inspected"]
        checked = (f"{_day(row.last_check_on, zone)} {_text(row.last_check_result)}" if row.last_check_on
                   else labels["never_checked"])
        parts.append(
            f'\n  <li class="card entry {_text(row.list_status)}">\n'
            f'    <h2><a href="{page_prefix}{int(row.pk)}{page_suffix}">{_text(row.name)}</a></h2>\n'
            f'    {badges.get(row.list_status, unlisted)}\n'
            f'    <span class="badge standing-{_text(row.licence_standing)}">'
            f'{_text(row.get_licence_standing_display())}</span>\n'
            f'    <dl class="facts">\n'
            f'      <dt>{labels["code"]}</dt><dd class="break-all">{_text(row.credit_code or "—")}</dd>\n'
            f'      <dt>{labels["address"]}</dt><dd>{_text(row.region.name)} {_text(row.address)}</dd>\n'
            f'      <dt>{labels["category"]}</dt><dd>{_text(row.get_category_display())}</dd>\n'
            f'      <dt>{labels["inspected"]}</dt><dd>{inspected}</dd>\n'
            f'      <dt>{labels["checked"]}</dt><dd>{checked}</dd>\n'
            f"    </dl>\n"
            f"  </li>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped
