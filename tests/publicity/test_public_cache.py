"""The cached public pages cost one Redis read (publicity/cache.py) through one shared client (regulator/cache.py)."""

import threading

import pytest
import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse

from publicity import cache as public_cache
from publicity.models import EntryStatus
from regulator import hooks
from tests.factories import InstitutionFactory, ListEntryFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        settings.CACHES["default"]["BACKEND"] != "regulator.cache.RedisCache", reason="needs REDIS_URL"
    ),
]


@pytest.fixture
def redis_commands(monkeypatch):
    """The names of the Redis commands the process sends, in order, from the moment it is used."""
    sent = []
    execute = redis.Redis.execute_command

    def counting(self, *args, **options):
        sent.append(str(args[0]).upper())
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    return sent


@pytest.fixture
def published(regions):
    return ListEntryFactory(institution=InstitutionFactory(name="缓存测试机构", region=regions["county"]),
                            status=EntryStatus.PUBLISHED)


def test_a_cached_public_page_is_one_redis_read(published, redis_commands, django_assert_num_queries):
    client = Client()
    url = reverse("publicity:white_list")
    first = client.get(url)
    assert first.status_code == 200 and "缓存测试机构" in first.content.decode()
    redis_commands.clear()
    with django_assert_num_queries(0):
        again = client.get(url)
    assert redis_commands == ["MGET"]
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert "public" in again["Cache-Control"] and "s-maxage=60" in again["Cache-Control"]
    redis_commands.clear()
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert redis_commands == ["MGET"]


def test_a_cached_download_is_one_redis_read(published, redis_commands):
    client = Client()
    url = reverse("publicity:open_data_json")
    assert client.get(url).status_code == 200
    redis_commands.clear()
    response = client.get(url)
    assert response.status_code == 200 and "max-age=300" in response["Cache-Control"]
    assert redis_commands == ["MGET"]


def test_a_page_stored_under_an_older_version_is_not_served(
    published, regions, django_capture_on_commit_callbacks
):
    client = Client()
    url = reverse("publicity:white_list")
    etag = client.get(url)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):  # the version is bumped on commit
        ListEntryFactory(institution=InstitutionFactory(name="新近公示机构", region=regions["county"]),
                            status=EntryStatus.PUBLISHED)
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    assert "新近公示机构" in response.content.decode()


def test_a_lost_version_starts_above_every_stored_page(published):
    client = Client()
    url = reverse("publicity:white_list")
    etag = client.get(url)["ETag"]
    cache.delete(public_cache.VERSION_KEY)  # evicted: the pages stored under the old number are not served
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert cache.get(public_cache.VERSION_KEY) is not None


def test_regions_have_their_own_version(published, regions, django_assert_num_queries):
    from regulator.models import Region, RegionLevel

    url = reverse("publicity:white_list") + "?q=机构"
    assert Client().get(url).status_code == 200
    public_cache.bump_version()  # a publication: the page goes, the region list stays
    with django_assert_num_queries(1):  # one page of entries, no regions query
        assert Client().get(url).status_code == 200
    Region.objects.create(code="370199", name="新设测试区", level=RegionLevel.COUNTY, parent=regions["county"].parent)
    hooks.regions_changed()  # as the admin does on commit
    public_cache.bump_version()
    with django_assert_num_queries(2):  # regions read again, then the page
        assert "新设测试区" in Client().get(url).content.decode()


def test_one_redis_client_and_pool_per_process():
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    from_thread = []
    thread = threading.Thread(target=lambda: from_thread.append(caches["default"]._cache.get_client()))
    thread.start()
    thread.join()
    assert from_thread == [client]  # another thread's backend instance shares the pool and the client
    assert client.connection_pool is cache._cache._get_connection_pool(False)


@pytest.fixture
def local_copy(settings):
    """The process's own copy of the public pages switched on (the test settings turn it off)."""
    settings.PUBLIC_PAGE_LOCAL_SECONDS = 5
    public_cache._local.forget()
    yield public_cache._local
    public_cache._local.forget()


def test_within_the_window_a_process_serves_its_own_copy(
    published, local_copy, redis_commands, django_assert_num_queries
):
    client = Client()
    url = reverse("publicity:white_list")
    first = client.get(url)
    redis_commands.clear()
    with django_assert_num_queries(0):
        again = client.get(url)
    assert redis_commands == []  # no round trip at all
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert redis_commands == []


def test_a_bump_here_empties_the_copy_at_once(published, regions, local_copy, django_capture_on_commit_callbacks):
    client = Client()
    url = reverse("publicity:white_list")
    etag = client.get(url)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):  # the version is bumped on commit, in this process
        ListEntryFactory(institution=InstitutionFactory(name="新近公示机构", region=regions["county"]),
                         status=EntryStatus.PUBLISHED)
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    assert "新近公示机构" in response.content.decode()


def test_a_bump_elsewhere_is_seen_after_the_window(published, local_copy, redis_commands, monkeypatch):
    client = Client()
    url = reverse("publicity:white_list")
    etag = client.get(url)["ETag"]
    cache.incr(public_cache.VERSION_KEY)  # another worker published
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304  # within the window: this copy
    later = public_cache.time.monotonic() + 5
    monkeypatch.setattr(public_cache.time, "monotonic", lambda: later)
    redis_commands.clear()
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert redis_commands[0] == "MGET"
    assert response.status_code == 200 and response["ETag"] != etag


def test_the_copy_keeps_no_big_downloads(local_copy):
    version = public_cache.current_version()
    public_cache._local.seen(version, "k", None)
    public_cache.store("small", version, (200, {}, b"x" * 100))
    public_cache.store("big", version, (200, {}, b"x" * (public_cache.LOCAL_MAX_BYTES + 1)))
    assert public_cache._local.get("small", 5) == (version, (200, {}, b"x" * 100))
    assert public_cache._local.get("big", 5) is None
