"""Template fragments rendered once per language in this process, and forms rendered once per key.

`{% once %}…{% endonce %}` keeps the HTML its body rendered the first time, per language and per the values named
after `once` (`{% once public_site %}`), on the compiled template node: the page chrome every request renders the
same — the masthead's links (a URL reverse each), the navigation's labels (a translation each), the stylesheet links.
Its body must show nothing of the request: no user, no CSRF token, no path (a `{% block %}` or `{% csrf_token %}`
inside it is refused when the template is compiled). The kept HTML lives as long as the compiled template: a
deploy or, in development, an edit of the template starts afresh.

`{% form_fields form key %}` writes a form's fields as the template loop `label, widget, errors` did, the labels
rendered once per language; with `key` (what the form's HTML depends on besides the language: its class, its
choices' version and its data) the whole form is rendered once per key and language in this process.
"""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.template.loader_tags import BlockNode
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# Rendered fragments kept per node: languages × the values they vary by.
ONCE_KEPT = 64


class OnceNode(template.Node):
    # Its body is not searched for nodes: it holds no {% block %} (refused below), and `{% extends %}` walks the
    # whole parent template for its blocks on every render (~40 kept bodies of base.html a page).
    child_nodelists = ()

    def __init__(self, nodelist, vary):
        self.nodelist = nodelist
        self.vary = vary
        self.rendered: dict[tuple, str] = {}

    def render(self, context):
        key = (get_language(), *(_hashable(value.resolve(context)) for value in self.vary))
        html = self.rendered.get(key)
        if html is None:
            html = self.nodelist.render(context)
            if len(self.rendered) >= ONCE_KEPT:
                self.rendered.clear()
            self.rendered[key] = html
        return html


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


@register.tag
def once(parser, token):
    vary = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    for kind, what in ((BlockNode, "{% block %}"), (CsrfTokenNode, "{% csrf_token %}")):
        if nodelist.get_nodes_by_type(kind):
            raise template.TemplateSyntaxError(f"{{% once %}} cannot hold a {what}: it is rendered once for everyone")
    return OnceNode(nodelist, vary)


# (form class name, field, its id, language) -> the <label> HTML, static per language. By name: django-filter
# builds a new form class for every FilterSet, so the class itself would make a new key on every request.
_LABEL_TAGS: dict[tuple, str] = {}
# (the form's key, the fields skipped, language) -> the whole form's HTML.
_FORMS: dict[tuple, str] = {}
_FORMS_KEPT = 512


@register.simple_tag
def form_fields(form, key=None, skip="") -> str:
    """The form's fields as the template loop wrote them (label, widget, errors), but for those named in `skip`
    (comma-separated); BoundField.label_tag renders a template through the form renderer, so the labels are
    rendered once per language. With `key`, the whole form once per key and language."""
    language = get_language()
    if key is not None:
        html = _FORMS.get((key, skip, language))
        if html is not None:
            return html
    skipped = frozenset(name for name in skip.split(",") if name)
    parts = []
    for field in form:
        if field.name in skipped:
            continue
        label_key = (type(form).__name__, field.name, field.auto_id, language)
        label = _LABEL_TAGS.get(label_key)
        if label is None:
            label = _LABEL_TAGS[label_key] = str(field.label_tag())
        errors = field.errors
        parts.append(
            f'\n  <div class="field{" has-error" if errors else ""}">{label} {field}\n    '
            + "".join(f'<p class="error" role="alert">{escape(str(error))}</p>' for error in errors)
            + "</div>\n  "
        )
    html = mark_safe("".join(parts))  # noqa: S308 - labels and widgets are Django's own safe HTML, errors escaped
    if key is not None:
        if len(_FORMS) >= _FORMS_KEPT:
            _FORMS.clear()
        _FORMS[(key, skip, language)] = html
    return html


@register.simple_tag(takes_context=True)
def printed_by(context) -> str:
    """Who prints and when, for the print line of every staff page (base.html): `name（department） · Y-m-d H:i`,
    the HTML that `{{ user }}{% if user.department %}（{{ user.department }}）{% endif %} · {% now "Y-m-d H:i" %}`
    wrote, built in one call (as template lookups and a date format, ~0.1 ms a page)."""
    user = context["user"]
    department = f"（{escape(user.department)}）" if user.department_id else ""
    return mark_safe(f"{escape(user)}{department} · {timezone.localtime():%Y-%m-%d %H:%M}")  # noqa: S308 - escaped
