"""{% extends %} and {% include %} that keep the template they load (regulator/templatetags/kept.py): the same HTML
as Django's own tags, the loaders asked once per node instead of once per render."""

from unittest import mock

import pytest
from django.template import Context, Engine, TemplateDoesNotExist, engines
from django.template.loader_tags import ExtendsNode, IncludeNode

from regulator.templatetags.kept import KeptExtendsNode, KeptIncludeNode


def _engine(*dirs, kept=True) -> Engine:
    return Engine(dirs=[str(d) for d in dirs], builtins=["regulator.templatetags.kept"] if kept else [],
                  loaders=[("django.template.loaders.cached.Loader", ["django.template.loaders.filesystem.Loader"])])


def _write(directory, files: dict) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


PAGES = {
    "base.html": "<title>{% block title %}Base{% endblock %}</title>{% block nav %}[nav]{% endblock %}"
                 "<main>{% if show %}{% block content %}base content{% endblock %}{% endif %}</main>",
    "middle.html": '{% extends "base.html" %}{% block title %}Middle · {{ block.super }}{% endblock %}'
                   "{% block content %}<div>{% block inner %}middle inner{% endblock %}</div>{% endblock %}",
    "page.html": '{% extends "middle.html" %}{% block inner %}{{ name }} · {{ block.super }}{% endblock %}',
    "flat.html": '{% extends "base.html" %}{% block content %}{% include "row.html" %}'
                 '{% include "row.html" with name="given" %}{% include "row.html" with name="alone" only %}'
                 "{% for name in names %}{% include 'row.html' %}{% endfor %}{% endblock %}",
    "row.html": "<row>{{ name|default:'none' }}</row>",
    "chosen.html": "{% extends layout %}{% block content %}chosen{% endblock %}",
    "other.html": "<other>{% block content %}{% endblock %}</other>",
    "named.html": "{% include which %}",
}


@pytest.fixture
def pages(tmp_path):
    _write(tmp_path, PAGES)
    return tmp_path


def test_the_html_is_djangos_own(pages):
    kept, plain = _engine(pages), _engine(pages, kept=False)
    for name, context in [("page.html", {"name": "Ann", "show": True}), ("page.html", {"show": False}),
                          ("flat.html", {"name": "outer", "names": ["a", "b"], "show": True}),
                          ("chosen.html", {"layout": "other.html"}), ("chosen.html", {"layout": "base.html"}),
                          ("named.html", {"which": "row.html", "name": "x"})]:
        expected = plain.get_template(name).render(Context(context))
        template = kept.get_template(name)
        assert template.render(Context(context)) == expected
        assert template.render(Context(context)) == expected  # and again, from what the nodes kept
    assert kept.get_template("page.html").render(Context({"name": "Ann", "show": True})) == (
        "<title>Middle · Base</title>[nav]<main><div>Ann · middle inner</div></main>")
    assert kept.get_template("flat.html").render(Context({"name": "outer", "names": ["a"], "show": True})) == (
        "<title>Base</title>[nav]<main><row>outer</row><row>given</row><row>alone</row><row>a</row></main>")


def test_the_loaders_are_asked_once_per_node(pages):
    engine = _engine(pages)
    template = engine.get_template("page.html")
    template.render(Context({"show": True}))
    flat = engine.get_template("flat.html")
    flat.render(Context({"names": ["a", "b"], "show": True}))
    with mock.patch.object(Engine, "find_template", side_effect=AssertionError("loaded again")), \
            mock.patch.object(Engine, "get_template", side_effect=AssertionError("loaded again")):
        assert "middle inner" in template.render(Context({"show": True}))
        assert "<row>b</row>" in flat.render(Context({"names": ["a", "b"], "show": True}))


def test_a_name_from_the_context_is_looked_up_every_time(pages):
    engine = _engine(pages)
    chosen = engine.get_template("chosen.html")
    assert chosen.render(Context({"layout": "other.html"})) == "<other>chosen</other>"
    assert chosen.render(Context({"layout": "base.html"})).startswith("<title>Base</title>")
    named = engine.get_template("named.html")
    assert named.render(Context({"which": "row.html", "name": "x"})) == "<row>x</row>"
    with pytest.raises(TemplateDoesNotExist):
        named.render(Context({"which": "missing.html"}))


def test_a_template_extending_its_own_name_is_left_to_django(tmp_path):
    """An override that extends the template of the same name in the next directory (the engine's `skip`)."""
    first, second = tmp_path / "first", tmp_path / "second"
    _write(first, {"page.html": '{% extends "page.html" %}{% block content %}override · {{ block.super }}'
                                "{% endblock %}"})
    _write(second, {"page.html": "<p>{% block content %}original{% endblock %}</p>"})
    template = _engine(first, second).get_template("page.html")
    for _ in range(2):
        assert template.render(Context()) == "<p>override · original</p>"


def test_an_unknown_parent_is_still_an_error(pages):
    _write(pages, {"orphan.html": '{% extends "nowhere.html" %}{% block content %}x{% endblock %}'})
    template = _engine(pages).get_template("orphan.html")
    for _ in range(2):  # nothing kept after a failure
        with pytest.raises(TemplateDoesNotExist):
            template.render(Context())


def test_the_project_templates_use_them():
    template = engines["django"].get_template("institutions/register_list.html").template
    extends = next(node for node in template.nodelist if isinstance(node, ExtendsNode))
    assert isinstance(extends, KeptExtendsNode)
    includes = [node for node in template.nodelist.get_nodes_by_type(IncludeNode)]
    assert includes and all(isinstance(node, KeptIncludeNode) for node in includes)


def _outcome(template, context):
    try:
        return template.render(Context(context))
    except TemplateDoesNotExist as error:
        return f"TemplateDoesNotExist: {error}"


def test_a_chain_that_comes_back_to_the_parents_name_is_left_to_django(tmp_path):
    """first/P.html extends X.html, which extends "P.html": seen from first/P the engine skips it and finds second/P;
    X.html rendered on its own finds first/P. Whatever order they render in, the kept tags answer as Django's."""
    first, second = tmp_path / "first", tmp_path / "second"
    _write(first, {"P.html": '{% extends "X.html" %}{% block body %}first P · {{ block.super }}{% endblock %}',
                   "X.html": '{% extends "P.html" %}{% block body %}X · {{ block.super }}{% endblock %}'})
    _write(second, {"P.html": "<p>{% block body %}second P{% endblock %}</p>"})
    kept, plain = _engine(first, second), _engine(first, second, kept=False)
    assert _outcome(plain.get_template("P.html"), {}) == "<p>first P · X · second P</p>"
    for name in ("P.html", "X.html", "P.html", "X.html"):
        assert _outcome(kept.get_template(name), {}) == _outcome(plain.get_template(name), {})
