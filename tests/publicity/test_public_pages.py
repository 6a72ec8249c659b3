"""The public site: only published data, never a staff field; inert markup; bounded input; reports."""

import json

import factory
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from publicity import services
from publicity.models import EntryStatus, ListKind, Report, ReportAttachment
from tests.factories import (
    CampaignFactory,
    InstitutionFactory,
    ListEntryFactory,
    SpotCheckDrawFactory,
    create_mixed,
)

from .conftest import REPORTER_NAME, REPORTER_PHONE, SECRET_REMARK

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def world(institution, users, departments, regions):
    """Published white and black entries with internal remarks, an unpublished one, a report with identity."""
    white = ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED, internal_remark=SECRET_REMARK)
    bad = InstitutionFactory(name="黑心补习班" + SCRIPT, region=regions["county"], address="地下室" + SCRIPT)
    black = ListEntryFactory(
        institution=bad,
        status=EntryStatus.APPROVED,
        list_kind=ListKind.BLACK,
        reason="无证办学" + SCRIPT,
        black_category="unlicensed",
        internal_remark=SECRET_REMARK,
        is_typical_case=True,
    )
    services.batch_publish(entry_ids=[black.pk], actor=users["joint_office"])
    draft_inst = InstitutionFactory(name="草稿机构甲乙丙", region=regions["county"])
    draft = ListEntryFactory(institution=draft_inst, status=EntryStatus.APPROVED, reason="草稿原因不应公开")
    report = services.report_file(
        region=None,
        institution=institution,
        content="举报内容" + SCRIPT,
        reporter_name=REPORTER_NAME,
        reporter_phone=REPORTER_PHONE,
    )
    services.report_assign(
        report_id=report.pk,
        actor=users["joint_office"],
        department=departments["education"],
        note="内部分办意见秘密",
    )
    services.report_verify(report_id=report.pk, actor=users["education_inspector"], note="内部核查记录秘密")
    services.report_reply(report_id=report.pk, actor=users["education_inspector"], reply="已责令停止违规培训")
    black.refresh_from_db()
    return {
        "white": white,
        "black": black,
        "draft": draft,
        "report": report,
        "bad": bad,
        "draft_inst": draft_inst,
    }


def _public_urls(world):
    black, white, report = world["black"], world["white"], world["report"]
    return [
        reverse("publicity:public_home"),
        reverse("publicity:white_list"),
        reverse("publicity:white_list") + "?q=星光",
        reverse("publicity:black_list"),
        reverse("publicity:black_list")
        + "?black_category=unlicensed&region=370102&category=arts&students=compulsory",
        reverse("publicity:typical_cases"),
        reverse("publicity:institution_page", args=[white.institution_id]),
        reverse("publicity:institution_page", args=[black.institution_id]),
        reverse("publicity:batch_list"),
        reverse("publicity:batch_detail", args=[black.batch_id]),
        reverse("publicity:batch_json", args=[black.batch_id]),
        reverse("publicity:open_data_json"),
        reverse("publicity:open_data_csv"),
        reverse("publicity:openapi"),
        reverse("publicity:report_form"),
        reverse("publicity:report_form") + f"?institution={white.institution_id}",
        reverse("publicity:report_pick") + "?q=星光",
        reverse("publicity:report_track") + "?number=" + report.tracking_display,
    ]


STAFF_ONLY = [
    SECRET_REMARK,
    REPORTER_NAME,
    REPORTER_PHONE,
    "草稿机构甲乙丙",
    "草稿原因不应公开",
    "内部分办意见秘密",
    "内部核查记录秘密",
]
STAFF_FIELD_NAMES = ["internal_remark", "reporter_name", "reporter_phone", "review_note", "proposed_by"]


@pytest.mark.django_db
def test_no_staff_field_in_any_public_page_or_download(world):
    client = Client()
    for url in _public_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for secret in STAFF_ONLY:
            assert secret not in body, (url, secret)
        if response["Content-Type"].startswith("text/html"):
            assert "<script>alert" not in body, url
            assert "<img src=x" not in body, url
        else:
            # Data downloads carry the text as data, under a type browsers never render as a page.
            assert response["Content-Type"].split(";")[0] in {"application/json", "text/csv"}, url
            assert response["X-Content-Type-Options"] == "nosniff", url
            for field_name in STAFF_FIELD_NAMES:
                assert field_name not in body, (url, field_name)


@pytest.mark.django_db
def test_public_pages_show_published_entries_with_escaped_text(world):
    body = Client().get(reverse("publicity:black_list")).content.decode()
    assert "无证办学&lt;script&gt;" in body
    assert "黑心补习班" in body
    white_body = Client().get(reverse("publicity:white_list")).content.decode()
    assert "星光美术培训中心" in white_body and "黑心补习班" not in white_body
    assert (
        "星光美术培训中心"
        in Client().get(reverse("publicity:white_list"), {"region": "3701"}).content.decode()
    )
    assert (
        "星光美术培训中心"
        not in Client().get(reverse("publicity:white_list"), {"region": "370103"}).content.decode()
    )
    by_code = Client().get(
        reverse("publicity:white_list"), {"credit_code": world["white"].institution.credit_code}
    )
    assert "星光美术培训中心" in by_code.content.decode()
    typical = Client().get(reverse("publicity:typical_cases")).content.decode()
    assert "黑心补习班" in typical and "星光美术培训中心" not in typical


@pytest.mark.django_db
def test_institution_page_shows_licences_entries_and_stale_inspection_warning(world):
    url = reverse("publicity:institution_page", args=[world["white"].institution_id])
    body = Client().get(url).content.decode()
    assert "教民137010270000001号" in body
    assert "证照齐全，经营规范" in body
    assert 'id="inspection-warning"' in body
    # The warning agrees with the white-list entry beside it: listed on review, no site check within a year.
    assert "经审核列入白名单" in body and "近一年内暂无现场检查记录" in body
    assert "暂无该机构近一年内的检查记录" not in body


@pytest.mark.django_db
def test_institution_without_published_entry_has_no_public_page(world):
    assert (
        Client().get(reverse("publicity:institution_page", args=[world["draft_inst"].pk])).status_code == 404
    )
    assert Client().get(reverse("publicity:institution_page", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_correction_is_marked_on_the_public_page(world, users):
    black = world["black"]
    correction = services.list_entry_correct(
        entry_id=black.pk, actor=users["education_inspector"], reason="更正后的原因"
    )
    services.list_entry_review(entry_id=correction.pk, actor=users["education_head"], approve=True)
    services.list_entry_approve(entry_id=correction.pk, actor=users["joint_office"])
    services.batch_publish(entry_ids=[correction.pk], actor=users["joint_office"])
    body = Client().get(reverse("publicity:institution_page", args=[black.institution_id])).content.decode()
    assert "更正后的原因" in body and "更正于" in body
    assert "无证办学" not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "?page=1000000000",
        "?page=-1",
        "?page=abc",
        "?page=0",
        "?q=" + "长" * 61,
        "?category=<script>",
        "?credit_code=123",
    ],
)
def test_bad_list_input_gets_a_clear_4xx(world, query):
    response = Client().get(reverse("publicity:white_list") + query)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="list-error"' in body
    assert "<script>" not in body.split('id="list-error"')[1]


@pytest.mark.django_db
def test_sql_in_search_is_just_text(world):
    response = Client().get(reverse("publicity:white_list"), {"q": "' OR 1=1; DROP TABLE x; --"})
    assert response.status_code == 200
    assert "没有符合条件" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["white_list", "batch_list", "open_data_json", "report_track", "report_form"]
)
def test_ten_thousand_character_query_is_refused(world, name):
    response = Client().get(reverse(f"publicity:{name}") + "?q=" + "x" * 10_000)
    assert response.status_code == 414
    assert "查询条件过长" in response.content.decode()


@pytest.mark.django_db
def test_open_data_json_and_csv(world):
    data = json.loads(Client().get(reverse("publicity:open_data_json")).content)
    assert data["license"] == "CC BY 4.0" and data["schema_version"] == 1
    assert {row["entry_id"] for row in data["results"]} == {world["white"].pk, world["black"].pk}
    row = next(r for r in data["results"] if r["entry_id"] == world["black"].pk)
    assert row["batch_number"] and row["black_category"] == "unlicensed"
    schema = json.loads(Client().get(reverse("publicity:openapi")).content)
    assert schema["openapi"] == "3.1.0"
    # The legacy files' columns are a subset of the documented v1 entry (publicity/api.py).
    assert set(row) <= set(schema["components"]["schemas"]["EntryOut"]["properties"])
    csv_response = Client().get(reverse("publicity:open_data_csv") + "?list_kind=black")
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("entry_id,version") and len(lines) == 2
    assert "license" in csv_response["Link"]
    assert Client().get(reverse("publicity:open_data_json") + "?page=-5").status_code == 400


@pytest.mark.django_db
def test_batch_json_matches_published_hash(world):
    import hashlib

    batch = world["black"].batch
    body = Client().get(reverse("publicity:batch_json", args=[batch.pk])).content
    assert hashlib.sha256(body).hexdigest() == batch.sha256
    page = Client().get(reverse("publicity:batch_detail", args=[batch.pk])).content.decode()
    assert batch.sha256 in page and "/verify/" in page


@pytest.mark.django_db
def test_public_list_caching_headers_and_invalidation(world, users, regions, django_assert_num_queries):
    client = Client()
    url = reverse("publicity:white_list")
    first = client.get(url)
    assert "public" in first["Cache-Control"] and "s-maxage=60" in first["Cache-Control"]
    assert "max-age=300" in client.get(reverse("publicity:open_data_json"))["Cache-Control"]
    etag = first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200
    newcomer = InstitutionFactory(name="新公示机构", region=regions["county"])
    ListEntryFactory(institution=newcomer, status=EntryStatus.APPROVED)
    # Not published yet: still the cached page.
    assert "新公示机构" not in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_publishing_invalidates_cached_pages(institution, users, regions):
    client = Client()
    url = reverse("publicity:white_list")
    etag = client.get(url)["ETag"]
    newcomer = InstitutionFactory(name="新公示机构", region=regions["county"])
    ListEntryFactory(institution=newcomer, status=EntryStatus.PUBLISHED)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert "新公示机构" in client.get(url).content.decode()


@pytest.mark.django_db
def test_public_list_query_count_is_fixed(world, regions, users, django_assert_num_queries):
    from django.core.cache import cache

    for index in range(5):
        ListEntryFactory(
            institution=InstitutionFactory(name=f"白名单机构{index}", region=regions["county"]),
            status=EntryStatus.PUBLISHED,
        )
    cache.clear()
    # regions for the filter + one page of entries
    with django_assert_num_queries(2):
        assert Client().get(reverse("publicity:white_list") + "?q=机构").status_code == 200
    cache.clear()
    # the institution, its licences, current entries, removed entries, published spot checks, last inspection,
    # its filed classes and whether it has a supervised account (institutions.funds; + the classes' teachers
    # when it has filed classes)
    # the register's 暂停招生及收费 mark, its teachers and its published annual-inspection results
    # (institutions.selectors.public_register_facts)
    with django_assert_num_queries(11):
        assert (
            Client()
            .get(reverse("publicity:institution_page", args=[world["white"].institution_id]))
            .status_code
            == 200
        )


# Published entries of every public kind (white, black, typical case, removal pending), one batch each.
PUBLIC_STATES = [{"published": True}, {"published": True, "black": True},
                 {"published": True, "black": True, "is_typical_case": True}, {"removal_proposed": True},
                 {"published": True, "black": True, "black_category": "safety_hazard"}]
PUBLIC_PAGES = [  # (url name, query, queries): with an empty cache
    ("public_home", {}, 1),  # the latest batches
    ("white_list", {}, 2),  # regions for the filter, one page of entries
    ("white_list", {"q": "机构", "region": "370102"}, 2),
    ("black_list", {}, 2),
    ("typical_cases", {}, 2),
    ("batch_list", {}, 1),  # one page of batches
    ("open_data_json", {}, 1),  # one page of entries
    ("open_data_csv", {"list_kind": "black"}, 1),
    ("report_pick", {"q": "培训学校"}, 1),  # institutions with a public page, by name (ten at most)
]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [10, 200])
def test_public_lists_query_counts_do_not_grow(users, regions, rows, django_assert_num_queries):
    """Half the entries published one batch each, half together in one batch; plus entries not (yet) public."""
    create_mixed(ListEntryFactory, rows // 2, PUBLIC_STATES,
                 institution=factory.SubFactory(InstitutionFactory, region=regions["township"]))
    together = create_mixed(ListEntryFactory, rows // 2, [{"approved": True}, {"approved": True, "black": True}],
                            institution=factory.SubFactory(InstitutionFactory, region=regions["county"]))
    batch = services.batch_publish(entry_ids=[entry.pk for entry in together], actor=users["joint_office"])
    create_mixed(ListEntryFactory, 5, [{}, {"reviewed": True}, {"approved": True}, {"removed": True}])
    client = Client()
    for name, query, queries in PUBLIC_PAGES:
        cache.clear()
        with django_assert_num_queries(queries):
            response = client.get(reverse(f"publicity:{name}"), query)
        assert response.status_code == 200, name
    cache.clear()
    with django_assert_num_queries(2):  # the batch, its verification record
        response = client.get(reverse("publicity:batch_detail", args=[batch.pk]))
    assert response.status_code == 200 and response.content.decode().count(together[-1].institution.name) >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [10, 200])
def test_public_spot_checks_query_counts_do_not_grow(users, departments, regions, rows, django_assert_num_queries):
    InstitutionFactory.create_batch(rows, region=regions["township"])
    campaign = CampaignFactory(kind="spot_check", lead_department=departments["education"],
                               departments=[departments["market"]])
    SpotCheckDrawFactory.create_batch(rows - 1, campaign=campaign, published=True)
    drawn = SpotCheckDrawFactory(campaign=campaign, sample_size=rows, published=True)
    SpotCheckDrawFactory(campaign=campaign)  # not published: not listed
    client = Client()
    cache.clear()
    with django_assert_num_queries(1):  # one page of published draws with campaign, department, region
        response = client.get(reverse("publicity:spot_checks"))
    assert response.status_code == 200
    cache.clear()
    with django_assert_num_queries(2):  # the draw with its campaign, its visits with their institutions
        response = client.get(reverse("publicity:spot_check_detail", args=[drawn.pk]))
    assert response.status_code == 200 and response.content.decode().count("未发现问题") >= rows


# ---- reports -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_file_report_with_photo_and_track_it(world, jpeg_bytes):
    client = Client(enforce_csrf_checks=False)
    institution_id = world["white"].institution_id
    photo = SimpleUploadedFile("a.jpg", jpeg_bytes, content_type="image/jpeg")
    response = client.post(
        reverse("publicity:report_form") + f"?institution={institution_id}",
        {
            "institution": institution_id,
            "content": "周末上学科课",
            "photos": [photo],
            "website": "",
        },
    )
    assert response.status_code == 302
    report = Report.objects.exclude(pk=world["report"].pk).get()
    assert report.institution_id == institution_id and report.is_anonymous
    attachment = ReportAttachment.objects.get(report=report)
    # The photo is stored re-encoded (issue 11), so its size is the stored file's, not the upload's.
    assert attachment.content_type == "image/jpeg" and attachment.size == attachment.file.size > 0
    page = client.get(response["Location"])
    assert report.tracking_display in page.content.decode()
    assert "private" in page["Cache-Control"] or "no-store" in page["Cache-Control"]


@pytest.mark.django_db
def test_report_rejects_fake_image_and_honeypot(world):
    client = Client()
    fake = SimpleUploadedFile("a.jpg", b"<?php echo 1; ?>" * 10, content_type="image/jpeg")
    response = client.post(
        reverse("publicity:report_form"),
        {
            "subject_name": "某补课点",
            "subject_address": "某小区",
            "region": "370102",
            "content": "违规",
            "photos": [fake],
        },
    )
    assert response.status_code == 400 and "不是JPEG" in response.content.decode()
    response = client.post(
        reverse("publicity:report_form"),
        {
            "subject_name": "某补课点",
            "subject_address": "某小区",
            "region": "370102",
            "content": "违规",
            "website": "http://spam.example",
        },
    )
    assert response.status_code == 400
    assert Report.objects.count() == 1  # only the fixture's


@pytest.mark.django_db
def test_report_form_requires_csrf(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("publicity:report_form"),
        {"subject_name": "某补课点", "subject_address": "某小区", "region": "370102", "content": "违规"},
    )
    assert response.status_code == 403
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_report_rate_limit_per_address(world):
    client = Client(REMOTE_ADDR="203.0.113.9")
    data = {"subject_name": "某补课点", "subject_address": "某小区", "region": "370102", "content": "违规"}
    statuses = [client.post(reverse("publicity:report_form"), data).status_code for _ in range(7)]
    assert statuses[:5] == [302] * 5 and statuses[5:] == [429, 429]
    response = client.post(reverse("publicity:report_form"), data)
    assert "过于频繁" in response.content.decode()
    assert Report.objects.count() == 1 + 5
    other = Client(REMOTE_ADDR="203.0.113.10").post(reverse("publicity:report_form"), data)
    assert other.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["ABCD-EFGH-JKMN-PQRS", "abcd", "", "2345678923456789"])
def test_guessed_tracking_number_is_404(world, number, django_assert_num_queries):
    url = reverse("publicity:report_track") + "?number=" + number
    response = Client().get(url)
    assert response.status_code == (200 if number == "" else 404)
    if number:
        assert "未找到" in response.content.decode()


@pytest.mark.django_db
def test_hit_and_well_formed_miss_cost_one_query_each(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        hit = Client().get(reverse("publicity:report_track"), {"number": world["report"].tracking_display})
    with django_assert_num_queries(1):
        miss = Client().get(reverse("publicity:report_track"), {"number": "2345-6789-2345-6789"})
    assert hit.status_code == 200 and miss.status_code == 404
    body = hit.content.decode()
    assert "已责令停止违规培训" in body and REPORTER_NAME not in body


@pytest.mark.django_db
def test_tracking_page_escapes_nothing_staff(world):
    body = (
        Client().get(reverse("publicity:report_track"), {"number": world["report"].tracking_number}).content
    )
    assert "内部核查记录秘密".encode() not in body


@pytest.mark.django_db
def test_a_traditional_script_query_finds_the_simplified_name(world):
    """A parent in Hong Kong or Taiwan, or a phone set to Traditional input, types 星光美術培訓: the register's
    Simplified 星光美术培训中心 is found; full-width letters and digits are folded too."""
    body = Client().get(reverse("publicity:white_list"), {"q": "星光美術培訓"}).content.decode()
    assert "星光美术培训中心" in body
    black = Client().get(reverse("publicity:black_list"), {"q": "黑心補習班"}).content.decode()
    assert "黑心补习班" in black
    picked = Client().get(reverse("publicity:report_pick"), {"q": "美術培訓"}).content.decode()
    assert "星光美术培训中心" in picked
    nothing = Client().get(reverse("publicity:white_list"), {"q": "月亮舞蹈"}).content.decode()
    assert "星光美术培训中心" not in nothing
