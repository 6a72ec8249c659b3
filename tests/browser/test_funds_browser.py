"""A class is filed by an education inspector, refused once for a holiday lesson, reviewed by the head, and shown
on the public institution page, in Chromium."""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from institutions.models import LicenceKind
from tests.browser.conftest import login
from tests.factories import InstitutionFactory, LicenceFactory, ListEntryFactory, TeacherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_course_filed_reviewed_and_public(live_server, page, users, regions):
    institution = InstitutionFactory(name="启航学科培训学校", region=regions["township"], category="academic")
    # a class is filed only for an institution whose school-running licence is in force
    LicenceFactory(institution=institution, kind=LicenceKind.SCHOOL_RUNNING, number="教民137010270000011号",
                   issued_on=datetime.date(2022, 1, 1))
    TeacherFactory(institution=institution, name="王老师")
    ListEntryFactory(institution=institution, black=True, published=True)
    login(page, live_server, "edu_inspector")
    page.goto(f"{live_server.url}/funds/institution/{institution.pk}/course/new/")
    page.fill("input[name=name]", "初二数学提高班")
    page.fill("input[name=subject]", "数学")
    page.select_option("select[name=category]", "academic")
    page.select_option("select[name=stage]", "compulsory")
    page.fill("textarea[name=syllabus]", "人教版八年级上册同步")
    page.fill("input[name=starts_on]", "2025-09-08")
    page.fill("input[name=ends_on]", "2025-12-17")
    page.fill("input[name=schedule]", "周一 18:00-19:30；周三 18:00-19:30")
    page.fill("input[name=lesson_minutes]", "45")
    page.fill("input[name=class_hours]", "56")
    page.fill("input[name=class_size]", "20")
    page.fill("input[name=fee_per_hour]", "60")
    page.get_by_label("王老师").check()
    page.click("button[type=submit].primary")
    expect(page.locator(".form-errors")).to_contain_text("2025-10-01")
    page.fill("input[name=skipped_dates]", "2025-10-01,2025-10-06,2025-10-08")
    page.click("button[type=submit].primary")
    expect(page.locator("#course-status")).to_have_text("待审核")
    page.click("button:has-text('退出')")
    # Signing out first drops the inspector's offline copies (static/js/app.js), then posts: wait for it to land.
    page.wait_for_url("**/accounts/login/**")
    login(page, live_server, "edu_head")
    page.goto(f"{live_server.url}/funds/courses/")
    page.click("text=初二数学提高班")
    page.check("input[name=decision][value=filed]")
    page.click("#review button[type=submit]")
    expect(page.locator("#course-status")).to_have_text("已备案")
    page.goto(live_server.url + reverse("publicity:institution_page", args=[institution.pk]))
    courses = page.locator("#public-courses")
    expect(courses).to_contain_text("初二数学提高班")
    expect(courses).to_contain_text("60.00")
    expect(courses).to_contain_text("王老师")
