"""factory_boy factories shared by every test module.

Factories of rows that have a life cycle (visits, orders, notices, cases, list entries, reports) make them
through the apps' services, trait by trait, so a test starts from a state the application can reach."""

from .inspections import (
    CampaignFactory,
    SpotCheckDrawFactory,
    VisitFactory,
    answer_every_item,
    carry_out,
    ensure_checklist,
    signature_data_url,
)
from .mix import create_mixed
from .organisation import (
    DepartmentFactory,
    NotificationFactory,
    RegionFactory,
    UserFactory,
    at,
    department_for,
    joint_office_for,
    staff,
)
from .penalties import (
    PenaltyCaseFactory,
    RectificationOrderFactory,
    SuspensionNoticeFactory,
    ensure_provisions,
    serve_data,
)
from .publicity import ListEntryFactory, ReportFactory
from .register import (
    InstitutionFactory,
    LicenceFactory,
    SiteFactory,
    TeacherFactory,
    ensure_annual_checklist,
    ensure_annual_materials,
    licensed_institution,
    valid_credit_code,
)

__all__ = [
    "CampaignFactory",
    "DepartmentFactory",
    "InstitutionFactory",
    "LicenceFactory",
    "ListEntryFactory",
    "NotificationFactory",
    "PenaltyCaseFactory",
    "ensure_provisions",
    "RectificationOrderFactory",
    "RegionFactory",
    "ReportFactory",
    "SiteFactory",
    "SpotCheckDrawFactory",
    "SuspensionNoticeFactory",
    "TeacherFactory",
    "UserFactory",
    "VisitFactory",
    "answer_every_item",
    "at",
    "carry_out",
    "create_mixed",
    "department_for",
    "ensure_checklist",
    "joint_office_for",
    "serve_data",
    "signature_data_url",
    "staff",
    "ensure_annual_checklist",
    "ensure_annual_materials",
    "licensed_institution",
    "valid_credit_code",
]
