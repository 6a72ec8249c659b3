"""Scope (办学内容/经营范围) and principal (校长) change only through a reviewed change with its document."""

import pytest
from django.urls import reverse

from institutions import changes, services
from institutions.forms import InstitutionForm
from institutions.models import ChangeField, ChangeStatus, RegisterChange
from regulator.errors import ServiceError
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def institution(regions):
    return InstitutionFactory(region=regions["township"], principal="李校长", scope="美术、书法培训")


def test_every_register_change_kind_rewrites_its_field():
    assert set(ChangeField.values) == {"rename", "relocation", "new_organiser", "new_legal_representative",
                                       "new_principal", "new_scope"}


@pytest.mark.parametrize(("field", "attribute", "value"), [
    (ChangeField.PRINCIPAL, "principal", "王校长"), (ChangeField.SCOPE, "scope", "美术、书法、舞蹈培训")])
def test_a_scope_or_principal_change_is_requested_then_approved(users, institution, field, attribute, value):
    change = changes.change_request(actor=users["education_inspector"], institution_id=institution.pk, field=field,
                                    new_value=value)
    institution.refresh_from_db()
    assert getattr(institution, attribute) != value
    changes.change_approve(actor=users["education_head"], change_id=change.pk, approval_document="历教变〔2026〕9号")
    institution.refresh_from_db()
    assert getattr(institution, attribute) == value
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED


def test_a_refused_scope_change_leaves_the_row(users, institution):
    change = changes.change_request(actor=users["education_inspector"], institution_id=institution.pk,
                                    field=ChangeField.SCOPE, new_value="学科类培训")
    changes.change_refuse(actor=users["education_head"], change_id=change.pk, note="超出许可范围")
    institution.refresh_from_db()
    assert institution.scope == "美术、书法培训"


def test_the_row_edit_cannot_change_scope_or_principal(users, institution):
    with pytest.raises(ServiceError, match="只能通过登记变更"):
        services.institution_update(actor=users["education_inspector"], institution_id=institution.pk,
                                    data={"principal": "私改校长"})
    institution.refresh_from_db()
    assert institution.principal == "李校长"
    form = InstitutionForm(instance=institution, user=users["education_inspector"])
    assert form.fields["principal"].disabled and form.fields["scope"].disabled
    assert not InstitutionForm(user=users["education_inspector"]).fields["scope"].disabled


def test_the_file_shows_the_principal_scope_and_the_change(education_head_client, users, institution):
    changes.change_request(actor=users["education_inspector"], institution_id=institution.pk,
                           field=ChangeField.PRINCIPAL, new_value="赵校长")
    html = education_head_client.get(reverse("institutions:detail", args=[institution.pk])).content.decode()
    assert "李校长" in html and "美术、书法培训" in html and "赵校长" in html
    assert RegisterChange.objects.filter(institution=institution, status=ChangeStatus.REQUESTED).count() == 1
