"""A <select> rendered in Python: Django's Select includes a template per <option>, which cost ~25 ms for ~330
options on the register's filter form (docs/pitfalls.md). The HTML is Django's own select.html, byte for byte.

And SharedChoices: a choice field whose copy (every form instance deep-copies its fields) shares the choice list."""

import copy
from html import escape  # django.utils.html.escape without its lazy-string wrapper: the same output

from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import get_language


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _choice_key(choices) -> tuple:
    """The choices as plain strings (labels may be lazy), optgroups included: what the HTML depends on."""
    return tuple(
        (str(value), tuple((str(v), str(lbl)) for v, lbl in label) if isinstance(label, list | tuple) else str(label))
        for value, label in choices
    )


# (language, name, value, attributes, choices) -> the <select>: a region select's ~150 options are the same on most
# requests (the public search forms and the register's filters), and building them (Django's optgroups and
# create_option) was most of the widget's time.
_RENDERED: dict[tuple, str] = {}
_RENDERED_KEPT = 1024


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        key = (get_language(), name, repr(value), repr(sorted({**self.attrs, **(attrs or {})}.items())),
               _choice_key(self.choices))
        html = _RENDERED.get(key)
        if html is None:
            if len(_RENDERED) >= _RENDERED_KEPT:
                _RENDERED.clear()
            html = _RENDERED[key] = self._render_html(name, value, attrs)
        return html

    def _render_html(self, name, value, attrs):
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


class SharedChoices:
    """Mixed into a ChoiceField: its copy shares the choice list instead of deep-copying it (a list of (value, lazy
    label) pairs nothing changes in place: choices are replaced, never edited), and keeps its own widget, error
    messages and validators. The region choices' ~150 pairs were most of a public search form's construction."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        choices = copy.copy(self._choices)  # a list, or django-filter's ChoiceIterator over the same list
        if hasattr(choices, "field"):
            choices.field = result
        result._choices = choices
        return result
