"""Nightly bulk files of open data per county (publicity/bulk.py): the job writes every dataset of every county
with public data as CSV and JSON, the index lists them (size, rows, generated time, SHA-256) behind stable URLs,
the content is what the API says for the county, nothing unpublished is in it, and a second run writes nothing."""

import hashlib
import json
import zlib

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connections
from django.test import Client

from institutions.models import AnnualResult, Institution
from publicity import bulk, services
from publicity.api import DATASETS, bulk_file_url
from publicity.models import BulkFile, EntryStatus, ListEntry
from tests.factories import InstitutionFactory, ListEntryFactory

from .conftest import SECRET_REMARK
from .open_data import REPORTER_NAME, REPORTER_PHONE, annual_batch, decision

pytestmark = pytest.mark.django_db
API = "/public/api/v1"


@pytest.fixture
def public_data(institution, users, regions):
    ListEntryFactory(institution=institution, status=EntryStatus.PUBLISHED, internal_remark=SECRET_REMARK)
    elsewhere = InstitutionFactory(name="市中区的培训班", region=regions["other_township"])
    ListEntryFactory(institution=elsewhere, status=EntryStatus.PUBLISHED)
    hidden = InstitutionFactory(name="未公示的补习班", region=regions["township"])
    ListEntryFactory(institution=hidden, status=EntryStatus.APPROVED, internal_remark=SECRET_REMARK)
    head = users["education_head"]
    decision(institution, head)
    decision(InstitutionFactory(name="待公开的补习班", region=regions["township"]), head, publish=False)
    plan = annual_batch(head, users["education_inspector"], [(AnnualResult.PASS, "")])
    annual_batch(head, users["education_inspector"], [(AnnualResult.BASIC_PASS, "未公布的理由")],
                 year=plan.year + 1, publish=False)
    return {"users": users}


def _stored_files() -> set[str]:
    folders, _files = default_storage.listdir(bulk.FOLDER)
    return {f"{bulk.FOLDER}/{folder}/{name}" for folder in folders
            for name in default_storage.listdir(f"{bulk.FOLDER}/{folder}")[1]}


def test_the_job_writes_every_dataset_of_every_county_and_the_index_lists_them(public_data, regions):
    outcome = bulk.write_bulk_files()
    counties = {regions["county"].code, regions["other_county"].code}
    assert outcome.written == len(counties) * len(DATASETS) * 2 and not outcome.skipped
    assert set(BulkFile.objects.values_list("region_id", flat=True)) == counties
    index = Client().get(f"{API}/bulk").json()
    assert index["total"] == outcome.written and index["license"] == "CC BY 4.0"
    row = next(f for f in index["files"] if (f["region_code"], f["dataset"], f["format"]) == (
        regions["county"].code, "decisions", "json"))
    assert row["url"] == f"/public/open-data/bulk/{regions['county'].code}/decisions.json"
    assert row["rows"] == 1 and row["size"] > 0 and len(row["sha256"]) == 64
    assert row["generated_at"].endswith("+08:00")
    response = Client().get(row["url"])
    content = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert len(content) == row["size"] and hashlib.sha256(content).hexdigest() == row["sha256"]
    assert Client().get(f"{API}/bulk", {"region": regions["other_county"].code}).json()["total"] == len(DATASETS) * 2
    page = Client().get("/public/open-data/bulk/").content.decode()
    assert row["url"] in page and row["sha256"] in page and "历下区" in page
    assert Client().get("/public/open-data/bulk/370102/nothing.csv").status_code == 404
    english = Client()
    english.cookies["django_language"] = "en"
    html = english.get("/public/open-data/bulk/").content.decode()
    assert "<h1>Open data: bulk downloads</h1>" in html and "Region code prefix" in html


def test_the_files_say_what_the_api_says_and_nothing_unpublished(public_data, regions):
    bulk.write_bulk_files()
    client, county = Client(), regions["county"].code
    for code in DATASETS:
        row = BulkFile.objects.get(region_id=county, dataset=code, format="json")
        document = json.loads(default_storage.open(row.file.name).read())
        answer = client.get(f"{API}/{code}", {"region": county, "page_size": 1000}).json()
        assert document["results"] == answer["results"] and document["total"] == answer["total"] == row.rows, code
        assert document["license"] == "CC BY 4.0"
        csv_row = BulkFile.objects.get(region_id=county, dataset=code, format="csv")
        csv_answer = client.get(f"{API}/{code}", {"region": county, "page_size": 1000, "format": "csv"})
        assert default_storage.open(csv_row.file.name).read() == csv_answer.content, code
    everything = b"".join(default_storage.open(name).read() for name in _stored_files()).decode("utf-8")
    for secret in ("未公示的补习班", "待公开的补习班", "未公布的理由", SECRET_REMARK, REPORTER_NAME, REPORTER_PHONE):
        assert secret not in everything


def test_a_second_run_writes_nothing_and_a_change_switches_one_file(public_data, regions, users):
    first = bulk.write_bulk_files()
    rows_before = {(r.region_id, r.dataset, r.format): (r.pk, r.file.name, r.sha256) for r in BulkFile.objects.all()}
    files_before = _stored_files()
    again = bulk.write_bulk_files()
    assert (again.written, again.unchanged, again.deleted) == (0, first.written, 0)
    assert {(r.region_id, r.dataset, r.format): (r.pk, r.file.name, r.sha256)
            for r in BulkFile.objects.all()} == rows_before
    assert _stored_files() == files_before

    newcomer = InstitutionFactory(name="新公示的舞蹈培训", region=regions["township"])
    entry = ListEntryFactory(institution=newcomer, status=EntryStatus.APPROVED)
    services.batch_publish(entry_ids=[entry.pk], actor=users["joint_office"])
    changed = bulk.write_bulk_files()
    # entries and institutions of the county, CSV and JSON; the old files are gone, the URLs are the same
    assert changed.written == 4 and BulkFile.objects.count() == len(rows_before)
    key = (regions["county"].code, "entries", "csv")
    switched = BulkFile.objects.get(region_id=key[0], dataset=key[1], format=key[2])
    assert switched.pk == rows_before[key][0] and switched.file.name != rows_before[key][1]
    assert not default_storage.exists(rows_before[key][1]) and len(_stored_files()) == len(files_before)
    assert "新公示的舞蹈培训".encode() in b"".join(Client().get(bulk_file_url(switched)).streaming_content)


def test_a_county_without_public_data_any_more_loses_its_files_and_strays_are_swept(public_data, regions):
    bulk.write_bulk_files()
    stray = default_storage.save(f"{bulk.FOLDER}/{regions['county'].code}/entries-killed-run.csv",
                                 ContentFile(b"half"))
    # Nothing the services do takes a public page away; deleting the rows stands for a county left with none.
    ListEntry.objects.filter(institution__region_id=regions["other_township"].code).delete()
    Institution.objects.filter(region_id=regions["other_township"].code).update(has_public_page=False)
    outcome = bulk.write_bulk_files()
    assert outcome.deleted == len(DATASETS) * 2 + 1 and not default_storage.exists(stray)
    assert not BulkFile.objects.filter(region_id=regions["other_county"].code).exists()


def test_a_run_elsewhere_holds_the_lock(public_data):
    if connections["default"].vendor != "postgresql":
        pytest.skip("the advisory lock of PostgreSQL")
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [zlib.crc32(bulk.LOCK.encode())])
        outcome = bulk.write_bulk_files()
        assert outcome.skipped and outcome.written == 0 and not BulkFile.objects.exists()
    finally:
        other.close()


def test_the_command_and_the_beat_schedule(public_data, capsys):
    call_command("write_open_data_files")
    assert "written" in capsys.readouterr().out and BulkFile.objects.exists()
    assert any(entry["task"] == "publicity.periodic.write_bulk_files"
               for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_the_index_costs_one_query_however_many_files(public_data, django_assert_num_queries):
    bulk.write_bulk_files()
    with django_assert_num_queries(1):
        assert Client().get(f"{API}/bulk").status_code == 200
