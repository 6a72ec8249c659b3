"""The read replica on a real streaming replica (make test starts a primary and its replica, tests/ops/servers.py,
and runs this module with DATABASE_URL and REPLICA_DATABASE_URL pointing at them): a public page is read from the
replica, a staff write goes to the primary, and a replica behind by more than the setting is not read."""

import time

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from publicity.models import EntryStatus, ListEntry
from regulator import db_router
from tests.factories import InstitutionFactory, ListEntryFactory

pytestmark = [
    pytest.mark.skipif("replica" not in settings.DATABASES,
                       reason="needs REPLICA_DATABASE_URL: make test runs this module against a streaming replica"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def _on_replica(sql: str, params=()) -> tuple:
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _wait_for_replay() -> None:
    """Until the replica has replayed everything the primary has written so far (bounded, not timed)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    for _ in range(300):
        if _on_replica("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


@pytest.fixture(autouse=True)
def _fresh_measure():
    db_router.forget_lag()
    yield
    db_router.forget_lag()


@pytest.fixture
def published_entry(regions):
    return ListEntryFactory(institution=InstitutionFactory(region=regions["township"], name="复制测试培训学校"),
                            published=True)


def test_the_replica_is_a_standby_of_the_primary():
    assert _on_replica("SELECT pg_is_in_recovery()")[0] is True
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False


def test_public_page_is_served_from_the_replica(published_entry, client):
    _wait_for_replay()
    url = reverse("publicity:institution_page", args=[published_entry.institution_id])
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as replica:
        response = client.get(url)
    assert response.status_code == 200
    assert "复制测试培训学校" in response.content.decode()
    assert primary.captured_queries == []
    assert any("publicity_listentry" in query["sql"] for query in replica.captured_queries)


def test_staff_write_goes_to_the_primary(regions, users, education_head_client):
    entry = ListEntryFactory(institution=InstitutionFactory(region=regions["township"]))
    _wait_for_replay()
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as replica:
        response = education_head_client.post(
            reverse("publicity:entry_action", args=[entry.pk, "review"]), {"decision": "approve"})
    assert response.status_code == 302
    assert any(query["sql"].startswith("UPDATE") and "publicity_listentry" in query["sql"]
               for query in primary.captured_queries)
    assert replica.captured_queries == []  # a staff page reads the primary, and writes never leave it
    assert ListEntry.objects.get(pk=entry.pk).status == EntryStatus.REVIEWED
    _wait_for_replay()
    assert ListEntry.objects.using("replica").get(pk=entry.pk).status == EntryStatus.REVIEWED


def test_a_replica_behind_the_limit_is_not_read(settings, published_entry, regions, client):
    _wait_for_replay()
    settings.REPLICA_MAX_LAG_SECONDS = 0.0  # any replay still pending is too much
    _on_replica("SELECT pg_wal_replay_pause(), 1")
    try:
        InstitutionFactory(region=regions["township"])  # WAL the replica receives and does not replay
        for _ in range(300):
            if _on_replica("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()")[0]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the replica received nothing")
        url = reverse("publicity:institution_page", args=[published_entry.institution_id])
        with CaptureQueriesContext(connections["default"]) as primary, \
                CaptureQueriesContext(connections["replica"]) as replica:
            response = client.get(url)
        assert response.status_code == 200
        assert any("publicity_listentry" in query["sql"] for query in primary.captured_queries)
        assert [query["sql"] for query in replica.captured_queries] == [db_router.LAG_SQL]
    finally:
        _on_replica("SELECT pg_wal_replay_resume(), 1")


def test_an_unreachable_replica_is_not_read(monkeypatch, published_entry, client):
    monkeypatch.setattr(db_router, "replica_lag_seconds", lambda: None)
    url = reverse("publicity:institution_page", args=[published_entry.institution_id])
    with CaptureQueriesContext(connections["default"]) as primary:
        assert client.get(url).status_code == 200
    assert primary.captured_queries


def test_streamed_register_export_reads_the_replica_to_its_last_row(regions, users, education_inspector_client):
    for number in range(3):
        InstitutionFactory(region=regions["township"], name=f"导出测试机构{number}")
    _wait_for_replay()
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as replica:
        response = education_inspector_client.get(reverse("institutions:export", args=["csv"]))
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert all(f"导出测试机构{number}" in body for number in range(3))
    assert any("institutions_institution" in query["sql"] for query in replica.captured_queries)
    assert not any("institutions_institution" in query["sql"] for query in primary.captured_queries)
    # Once the response is closed, this thread reads the primary again.
    with CaptureQueriesContext(connections["default"]) as after:
        assert ListEntry.objects.count() == 0
    assert after.captured_queries
