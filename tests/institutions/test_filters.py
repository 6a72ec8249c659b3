"""The register's FilterSet copies its filters and their fields cheaply (institutions/filters.py): each request's
copies are its own — choices, methods and fields — while the base filters stay as declared."""

import copy

from django.http import QueryDict
from django.test import RequestFactory

from institutions.filters import InstitutionFilter


def _filter(user, query=""):
    request = RequestFactory().get("/register/", QueryDict(query))
    request.user = user
    return InstitutionFilter(QueryDict(query), request=request)


def test_each_filterset_has_its_own_filters_bound_to_it(users, regions):
    first, second = _filter(users["education_inspector"]), _filter(users["education_inspector"])
    for name in ("region", "category", "q"):
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name].parent is first and second.filters[name].parent is second
    # the methods resolve on their own FilterSet, not on a shared or absent parent
    assert first.filters["region"].filter.method.__self__ is first
    assert second.filters["region"].filter.method.__self__ is second
    # the region choices set on one request's copy leave the class's filter and the other copy alone
    first.filters["region"].extra["choices"] = [("x", "x")]
    assert second.filters["region"].extra["choices"] != [("x", "x")]
    assert "choices" not in InstitutionFilter.base_filters["region"].extra


def test_the_form_fields_are_copies_whose_choices_validate_on_their_own(users, regions):
    county = regions["county"].code
    bound = _filter(users["education_inspector"], f"region={county}&category=academic")
    assert bound.form.is_valid(), bound.form.errors
    field = bound.form.fields["region"]
    clone = copy.deepcopy(field)
    assert clone is not field and clone.widget is not field.widget
    assert clone.choices.field is clone  # the iterator of the copy reads the copy's empty label
    assert list(clone.choices) == list(field.choices)
    assert not _filter(users["education_inspector"], "region=999999").form.is_valid()  # outside the choices: refused


def test_the_form_class_is_kept_per_region_subtree_and_version(users, regions):
    from institutions import filters

    same = _filter(users["education_inspector"]).form, _filter(users["education_inspector"], "category=academic").form
    assert type(same[0]) is type(same[1]) and same[0].fields["region"] is not same[1].fields["region"]
    filters.bump_regions_version()  # a region added or renamed: a new class with the new choices
    assert type(_filter(users["education_inspector"]).form) is not type(same[0])


def test_a_kept_select_follows_its_value_choices_and_language():
    from django import forms
    from django.utils import translation

    from institutions.widgets import FastSelect

    widget = FastSelect(choices=[("", "全部"), ("a", "甲"), ("b", "乙")])
    first = widget.render("kind", "a", {"id": "id_kind"})
    assert first == forms.Select(choices=widget.choices).render("kind", "a", {"id": "id_kind"})
    assert widget.render("kind", "a", {"id": "id_kind"}) == first  # kept
    assert 'value="b" selected' in widget.render("kind", "b", {"id": "id_kind"})
    widget.choices = [("", "全部"), ("a", "甲"), ("c", "丙")]
    assert "丙" in widget.render("kind", "a", {"id": "id_kind"})
    lazy = FastSelect(choices=[("x", forms.CharField().error_messages["required"])])  # a lazy label
    with translation.override("en"):
        english = lazy.render("kind", "", {})
    with translation.override("zh-hans"):
        assert lazy.render("kind", "", {}) != english
