"""What the register contributes to the oversight floor (regulator/registry.py): the dashboard's first
section, the institutions' current state (licence standing, category, operating state) per sub-region, each
figure linking to the register list filtered the same way.

Registered by InstitutionsConfig.ready().
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from regulator.registry import Headline, StateSection, register

from .models import Category, Institution, LicenceStanding, OperatingState


def register_link(user, region: str, filters: dict) -> str:
    """The register list's region filter takes prefectures and counties (townships only for county staff)."""
    if len(region) > 6 and len(user.region_code) < 6:
        region = region[:6]
    if len(region) < 4:
        region = ""
    params = {"region": region, **filters}
    return reverse("institutions:list") + "?" + urlencode({k: v for k, v in params.items() if v})


SECTIONS = [
    StateSection(
        code="institutions", title=_("机构（当前状态）"), order=10,
        rows=Institution.objects.all,  # the register is every department's: the region is the scope
        region_field="region__code",
        # The fields are the columns of regulator.models.InstitutionFigure, the snapshot of prefectures and larger.
        dimensions=[
            ("licence_standing", LicenceStanding.choices, _("证照情况")),
            ("category", Category.choices, _("类别")),
            ("operating_state", OperatingState.choices, _("经营状态")),
        ],
        chart_dimension="licence_standing", chart_title=_("各地机构证照情况"),
        chart_tones={LicenceStanding.BOTH: "ok", LicenceStanding.BUSINESS_ONLY: "warn",
                     LicenceStanding.SCHOOL_ONLY: "warn", LicenceStanding.NONE: "danger"},
        headline=Headline("institutions", _("机构总数")),
        link=register_link,
    ),
]


def register_all() -> None:
    register(*SECTIONS)
