"""The navigation counts are cached per user and invalidated by every committed change of work (regulator/hooks.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from penalties import services as penalties
from regulator import hooks
from regulator.notifications import mark_read, notify
from regulator.oversight import context_processors
from tests.factories import InstitutionFactory

# Transactions really commit here: the invalidation runs on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def _draft(users, institution, text="消防通道堵塞"):
    return penalties.order_draft(actor=users["education_inspector"], institution_id=institution.pk,
                                 items=[{"text": text, "legal_basis": "《消防法》第二十八条"}])


def _approval_count(counts) -> int:
    return next((row["count"] for row in counts["queue"] if row["kind"] == "order_approval"), 0)


@pytest.fixture
def institution(regions):
    return InstitutionFactory(name="阳光艺术培训学校", region=regions["township"])


def test_counts_are_cached_until_a_service_changes_them(users, institution, django_assert_num_queries):
    head = users["education_head"]
    head.department  # noqa: B018 - loaded once per request by the page anyway
    _draft(users, institution)
    with django_assert_num_queries(1):
        assert _approval_count(context_processors.cached_counts(head)) == 1
    with django_assert_num_queries(0):  # cached
        assert _approval_count(context_processors.cached_counts(head)) == 1
    _draft(users, institution, "未公示收费项目")  # a service commits: the next page shows it
    with django_assert_num_queries(1):
        assert _approval_count(context_processors.cached_counts(head)) == 2
    with django_assert_num_queries(0):
        assert _approval_count(context_processors.cached_counts(head)) == 2


def test_a_notification_and_reading_it_show_at_once(users):
    head = users["education_head"]
    assert context_processors.cached_counts(head)["unread"] == 0
    notification = notify(recipient=head, key="nav-test", subject="整改逾期")
    assert context_processors.cached_counts(head)["unread"] == 1
    mark_read(user=head, notification_ids=[notification.pk])
    assert context_processors.cached_counts(head)["unread"] == 0


def test_the_page_shows_a_change_made_through_a_service_on_the_next_request(users, institution):
    client = Client()
    client.force_login(users["education_head"])
    url = reverse("institutions:list")
    assert "整改通知书待批准" not in client.get(url).content.decode()
    _draft(users, institution)
    html = client.get(url).content.decode()
    assert "整改通知书待批准 <span class=\"badge\">1</span>" in html


def test_an_uncommitted_change_is_read_live(users, institution, django_assert_num_queries):
    from django.db import transaction

    head = users["education_head"]
    head.department  # noqa: B018
    context_processors.cached_counts(head)
    with transaction.atomic():
        _draft(users, institution)
        assert hooks.work_pending()
        with django_assert_num_queries(1):  # not from the cache: it holds the counts before this change
            assert _approval_count(context_processors.cached_counts(head)) == 1
    assert not hooks.work_pending()


def test_a_rolled_back_change_announces_nothing(users, institution, monkeypatch):
    from django.db import transaction

    bumps = []
    monkeypatch.setattr(context_processors, "bump_version", lambda: bumps.append(1))
    monkeypatch.setattr(hooks, "on_work_changed", [context_processors.bump_version])
    with pytest.raises(RuntimeError), transaction.atomic():
        _draft(users, institution)
        raise RuntimeError
    assert bumps == []
    _draft(users, institution)  # one service, one announcement after its commit
    assert bumps == [1]


def test_caching_can_be_switched_off(users, settings, django_assert_num_queries):
    settings.NAV_COUNTS_CACHE_SECONDS = 0
    head = users["education_head"]
    head.department  # noqa: B018
    context_processors.cached_counts(head)
    with django_assert_num_queries(1):
        context_processors.cached_counts(head)


def _masked(html: str) -> str:
    import re

    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


@pytest.mark.parametrize("user_key", ["education_head", "education_inspector", "joint_office"])
def test_the_cached_navigation_is_the_one_the_template_renders(users, settings, user_key):
    client = Client()
    client.force_login(users[user_key])
    url = reverse("institutions:list")
    for language in ("zh-hans", "en"):
        settings.NAV_COUNTS_CACHE_SECONDS = 0  # rendered live on every page
        live = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        settings.NAV_COUNTS_CACHE_SECONDS = 60
        client.get(url, HTTP_ACCEPT_LANGUAGE=language)  # rendered and stored
        cached = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert 'class="mainnav"' in cached and _masked(cached) == _masked(live)


def test_the_navigation_comes_with_the_counts_in_one_read(users, django_assert_num_queries):
    import redis

    head = users["education_head"]
    client = Client()
    client.force_login(head)
    url = reverse("institutions:list")
    client.get(url)
    sent = []
    execute = redis.Redis.execute_command

    def counting(self, *args, **options):
        sent.append(str(args[0]).upper())
        return execute(self, *args, **options)

    redis.Redis.execute_command = counting
    try:
        html = client.get(url).content.decode()
    finally:
        redis.Redis.execute_command = execute
    assert 'id="nav-queue"' in html
    assert sent.count("SET") == 0  # nothing rendered or stored again
    # the session with the navigation's version (regulator/sessions.py), and the region choices; the navigation
    # itself from this process's copy of that version
    assert sent.count("MGET") == 2 and sent.count("GET") == 0


def test_a_change_announced_by_another_process_shows_on_the_next_page(users, institution):
    from regulator import cache as versioned

    client = Client()
    client.force_login(users["education_head"])
    url = reverse("institutions:list")
    assert "整改通知书待批准" not in client.get(url).content.decode()  # this process keeps the navigation
    bumps = dict(versioned._local_bumps)
    _draft(users, institution)
    versioned._local_bumps.clear()
    versioned._local_bumps.update(bumps)  # as if the version had been bumped in Redis by another process
    assert "整改通知书待批准 <span class=\"badge\">1</span>" in client.get(url).content.decode()


def test_a_version_read_with_the_session_is_not_trusted_after_this_process_bumps_it(users):
    from django.contrib.sessions.backends.base import SessionBase

    from regulator import cache as versioned
    from regulator.sessions import SessionStore

    client = Client()
    client.force_login(users["education_head"])
    session = SessionStore(client.session.session_key)
    assert isinstance(session, SessionBase) and session.get("_auth_user_id") == str(users["education_head"].pk)
    version = versioned.version_read_along(session.read_along, context_processors.VERSION_KEY)
    assert version == versioned.current_version(context_processors.VERSION_KEY)
    context_processors.bump_version()  # e.g. a service this very request ran after its session loaded
    assert versioned.version_read_along(session.read_along, context_processors.VERSION_KEY) is None
    assert versioned.current_version(context_processors.VERSION_KEY) == version + 1


def test_a_renamed_user_sees_the_new_name_at_once(users):
    head = users["education_head"]
    client = Client()
    client.force_login(head)
    url = reverse("institutions:list")
    client.get(url)
    head.full_name = "王新名"
    head.save(update_fields=["full_name"])  # no service, no version bump
    assert '<span class="whoami">王新名 · ' in client.get(url).content.decode()
