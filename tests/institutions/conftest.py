"""The register's tests start with the rows of its data migrations, which a transactional test elsewhere (a
browser test) may have flushed from a reused test database."""

import pytest

from tests.factories import ensure_annual_checklist, ensure_annual_materials


@pytest.fixture(autouse=True)
def _annual_defaults(request):
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        ensure_annual_materials()
        ensure_annual_checklist()
