"""Each role lands on its own day's work: an inspector on today's visits, a head on the queue, the joint office on
the dashboard, an administrator on the register; the login form sends everyone there."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

LANDINGS = [
    ("education_inspector", "inspections:today"),
    ("education_head", "queue"),
    ("joint_office", "dashboard"),
    ("admin", "institutions:list"),
]


@pytest.mark.parametrize(("role", "landing"), LANDINGS)
def test_home_sends_each_role_to_its_own_page(users, role, landing):
    client = Client()
    client.force_login(users[role])
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse(landing)
    assert response.status_code == 200


def test_signing_in_lands_the_inspector_on_today(users):
    response = Client().post(reverse("login"), {"username": "edu_inspector", "password": "pass-word-123"},
                             follow=True)
    assert response.redirect_chain[-1][0] == reverse("inspections:today")


def test_an_anonymous_visitor_is_asked_to_sign_in():
    response = Client().get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
