"""Filters of the register list; choices come from the user's own region subtree."""

import copy
import time

import django_filters
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connection
from django.db.models import Func, Q, TextField, Value
from django.utils.translation import gettext_lazy as _

from regulator import cache as versioned
from regulator.models import Region, RegionLevel

from .models import Category, Delivery, Institution, LicenceStanding, OperatingState, PremisesType, StudentStage
from .permissions import search_region
from .validators import normalize_credit_code
from .widgets import FastSelect as Select
from .widgets import SharedChoices

_STAGE_FIELD = {
    StudentStage.PRESCHOOL: "serves_preschool",
    StudentStage.COMPULSORY: "serves_compulsory",
    StudentStage.SENIOR_HIGH: "serves_senior_high",
}


def regions_for(user):
    """Regions a user may filter by: their own subtree below the province level."""
    qs = Region.objects.filter(level__gte=RegionLevel.PREFECTURE).only("code", "name", "level")
    if user.region_code:
        qs = qs.filter(code__startswith=user.region_code)
    if len(user.region_code) < 6:
        # Above county level, townships would make a select of thousands of options: stop at counties.
        qs = qs.filter(level__lte=RegionLevel.COUNTY)
    return qs.order_by("code")


# The region choices of a register's filter, cached per region subtree under a version that every change of the
# regions bumps (regulator/hooks.py on_regions_changed, connected in apps.py): one Redis read, not a query a page;
# and each process keeps what it read for settings.REGION_CHOICES_LOCAL_SECONDS (60 by default), so most pages pay
# not even that. A region added or renamed elsewhere shows in this process's filters within that time; a bump in
# this process empties its copy at once. The tests (which clear Redis between tests) turn the copy off.
REGIONS_VERSION_KEY = "institutions:regions-version"
REGION_CHOICES_TTL = 24 * 3600
_local_choices: dict[str, tuple[float, int, list]] = {}  # key -> (time.monotonic() read, version, choices)


def bump_regions_version() -> None:
    versioned.bump_version(REGIONS_VERSION_KEY)
    _local_choices.clear()


def _choices_key(user) -> str:
    code = user.region_code  # "" the whole country, "\x00" no region at all
    return f"institutions:region-choices:{code if code.isalnum() else ('all' if not code else 'none')}"


def region_choices(user) -> tuple[int, list[tuple[str, str]]]:
    """(regions version, [(code, name indented by level)] of regions_for(user)), from a cache when one holds them."""
    key = _choices_key(user)
    window = float(getattr(settings, "REGION_CHOICES_LOCAL_SECONDS", 60))
    local = _local_choices.get(key)
    if local is not None and time.monotonic() - local[0] < window:
        return local[1], local[2]
    version, choices = versioned.read_versioned(key, REGIONS_VERSION_KEY)
    if choices is None:
        prefix = "　"
        choices = [(region.code, prefix * (region.level - RegionLevel.PREFECTURE) + region.name)
                   for region in regions_for(user)]
        versioned.store_versioned(key, version, choices, REGION_CHOICES_TTL)
    if window > 0:
        if len(_local_choices) > 1000:
            _local_choices.clear()
        _local_choices[key] = (time.monotonic(), version, choices)
    return version, choices


class Bigrams(Func):
    """institution_bigrams(name, address, region_id): the distinct two-character substrings of name and address,
    and '#' + every prefix of the region code (PostgreSQL; the GIN index inst_bigrams of migration 0008 is on this
    very expression)."""

    function = "institution_bigrams"
    output_field = ArrayField(TextField())


def search_q(term: str, *, region: str = "") -> Q:
    """Exact match for credit codes and licence-like numbers, substring for Chinese text: a two-character term
    through the bigram index on PostgreSQL (the trigram index cannot serve it), longer ones through the trigram
    indexes, LIKE elsewhere. The credit-code prefix only for a term a credit code can start with.

    `region`: a region code every row searched lies under (the caller's scope or chosen region), which the
    bigram index then intersects with the term inside one index scan; "" when there is none."""
    term = term.strip()
    code = normalize_credit_code(term)
    if len(code) == 18 and code.isalnum():
        return Q(credit_code=code)
    if len(term) == 2 and connection.vendor == "postgresql":
        # For two characters, "one of the bigrams of name or address" is exactly "name or address contains it";
        # '#<region>' is in the array of every row under that region.
        grams = [term, f"#{region}"] if region else [term]
        text = Q(DataContains(Bigrams("name", "address", "region_id"),
                              Value(grams, output_field=ArrayField(TextField()))))
    else:
        text = Q(name__contains=term) | Q(address__contains=term)
    if code.isascii() and code.isalnum():
        text |= Q(credit_code__startswith=code)
    return text


# Every request builds a FilterSet, which deep-copies its filters, and a form, which deep-copies its fields: ~500
# deepcopy calls a page, most of them walking choice lists of (value, lazy label) pairs that nothing ever changes in
# place (the region choices are replaced, not edited). The two classes below copy what each copy may change and
# share the rest; the filters' behaviour is django-filter's own (tests/institutions/test_filters.py).
class SharedChoiceField(SharedChoices, django_filters.fields.ChoiceField):
    """django-filter's ChoiceField whose copy shares its choice list instead of deep-copying it."""


class _SharedCopy:
    """A filter whose copy is shallow but for `extra` (what __init__ below changes), the field it builds and its
    FilterMethod (bound to the filter it belongs to, through which it finds the FilterSet's method)."""

    def __deepcopy__(self, memo):
        result = copy.copy(self)
        result.extra = dict(self.extra)
        result.__dict__.pop("_field", None)
        result.__dict__.pop("filter", None)  # the instance's FilterMethod, if any: the setter below binds a new one
        result.method = self.method
        return result


class CharFilter(_SharedCopy, django_filters.CharFilter):
    pass


class ChoiceFilter(_SharedCopy, django_filters.ChoiceFilter):
    field_class = SharedChoiceField


def filter_data_key(data) -> str:
    """The filter data of a register request as one string, less the keyset's `after` (the page, not a filter:
    every page of a list shows the same form and runs the same SQL but for it)."""
    if hasattr(data, "urlencode"):
        data = data.copy()
        data.pop("after", None)
        return data.urlencode()
    return repr(sorted((name, value) for name, value in dict(data).items() if name != "after"))


def form_key(user, data_key: str, version: int) -> tuple:
    """What the register's rendered filter form depends on besides the language: the user's region choices (their
    subtree and its version) and the data (`filter_data_key`; the form_fields tag of
    regulator/templatetags/fragments.py keeps the HTML under it). Known before the FilterSet is built: a page whose
    form HTML is kept needs no form at all."""
    return (InstitutionFilter.__name__, _choices_key(user), version, data_key)


_FORM_CLASSES: dict[tuple, type] = {}
_FORM_CLASSES_KEPT = 256


class InstitutionFilter(django_filters.FilterSet):
    q = CharFilter(label=_("搜索"), method="filter_q", max_length=60)
    region = ChoiceFilter(label=_("区划"), method="filter_region", widget=Select)
    category = ChoiceFilter(label=_("类别"), choices=Category.choices, widget=Select)
    students = ChoiceFilter(label=_("培训对象"), choices=StudentStage.choices, method="filter_students",
                            widget=Select)
    licence_standing = ChoiceFilter(label=_("证照情况"), choices=LicenceStanding.choices, widget=Select)
    operating_state = ChoiceFilter(label=_("经营状态"), choices=OperatingState.choices, widget=Select)
    premises_type = ChoiceFilter(label=_("场所类型"), choices=PremisesType.choices, widget=Select)
    delivery = ChoiceFilter(label=_("培训方式"), choices=Delivery.choices, widget=Select)

    class Meta:
        model = Institution
        fields = ["q", "region", "category", "students", "licence_standing", "operating_state", "premises_type",
                  "delivery"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        version, choices = region_choices(request.user)
        self.filters["region"].extra["choices"] = choices
        self.form_key = form_key(request.user, filter_data_key(self.data), version)
        self._form_class_key = (type(self), _choices_key(request.user), version)

    def get_form_class(self):
        """The form class, built once per region subtree and regions version in this process (django-filter builds
        a new class, eight new fields and their choices, on every request); each form still gets its own copies of
        the fields (Form.__init__), which SharedChoiceField makes cheap."""
        form_class = _FORM_CLASSES.get(self._form_class_key)
        if form_class is None:
            if len(_FORM_CLASSES) >= _FORM_CLASSES_KEPT:
                _FORM_CLASSES.clear()
            form_class = _FORM_CLASSES[self._form_class_key] = super().get_form_class()
        return form_class

    def filter_q(self, queryset, name, value):
        if not value.strip():
            return queryset
        region = self.form.cleaned_data.get("region") or search_region(self.request.user)
        return queryset.filter(search_q(value, region=region))

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__code__startswith=value)

    def filter_students(self, queryset, name, value):
        return queryset.filter(**{_STAGE_FIELD[value]: True})
