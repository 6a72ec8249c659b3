"""A <select> rendered in Python: Django's Select includes a template per <option>, which cost ~25 ms for ~330
options on the register's filter form (docs/pitfalls.md). The HTML is Django's own select.html, byte for byte."""

from html import escape  # django.utils.html.escape without its lazy-string wrapper: the same output

from django import forms
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escape(group_name)}">')
            for option in group_choices:
                parts.append(f'\n  <option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
                             f'{escape(option["label"])}</option>\n')  # the option template's own newline
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value escaped
