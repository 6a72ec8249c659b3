"""`python -m tests.browser.sqlite_demo_seed`: in the demo's own configuration (SQLite, no servers; the caller sets
DATABASE_URL and VAR_DIR), migrate and plan one visit of today for `edu_inspector`; prints the visit's id.
Used by tests/browser/test_sqlite_demo_browser.py, which serves that database with `manage.py runserver`."""

import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulator.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)

    from inspections import services
    from regulator.models import DepartmentKind, RegionLevel, Role
    from tests.factories import DepartmentFactory, InstitutionFactory, RegionFactory, UserFactory

    province = RegionFactory(code="37", name="山东省", level=RegionLevel.PROVINCE)
    prefecture = RegionFactory(code="3701", name="济南市", level=RegionLevel.PREFECTURE, parent=province,
                               abbreviation="济")
    county = RegionFactory(code="370102", name="历下区", level=RegionLevel.COUNTY, parent=prefecture)
    township = RegionFactory(code="370102001", name="解放路街道", level=RegionLevel.TOWNSHIP, parent=county)
    education = DepartmentFactory(kind=DepartmentKind.EDUCATION, region=county, name="历下区教育局",
                                  is_joint_office_seat=True)
    inspector = UserFactory(username="edu_inspector", department=education, role=Role.INSPECTOR)
    head = UserFactory(username="edu_head", department=education, role=Role.HEAD)
    institution = InstitutionFactory(name="快速点选培训", region=township)
    visit = services.visit_plan(actor=head, institution=institution, lead_department=education,
                                planned_on=timezone.localdate(), inspectors=[inspector])
    print(visit.pk)


if __name__ == "__main__":
    main()
