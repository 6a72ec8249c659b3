"""The offline outbox's server side (inspections/sync.py, sync_api.py): every mutation applied exactly once, replays
accepted and ignored, out-of-order answers superseded, refusals with a Chinese reason that change nothing,
conflicts between two inspectors, photos in resumable chunks, and what a phone may keep for offline use."""

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspections import services
from inspections.models import (
    ChecklistAnswer,
    Evidence,
    ProblemItem,
    Signature,
    SyncedMutation,
    UploadChunk,
    Visit,
    VisitStatus,
)
from regulator.models import AuditEvent
from tests.factories import VisitFactory, signature_data_url
from tests.inspections.conftest import answer_all, jpeg_bytes, sign

pytestmark = pytest.mark.django_db


def _envelope(visit, user, kind, payload=None, *, client_id=None, device_time=None, sent_at=None):
    now = timezone.now()
    return {
        "id": str(client_id or uuid.uuid4()),
        "user": user.pk,
        "visit": visit.pk,
        "kind": kind,
        "payload": payload or {},
        "device_time": (device_time or now).isoformat(),
        "sent_at": (sent_at or now).isoformat(),
    }


def _send(client, envelope):
    response = client.post(reverse("inspections:sync"), data=json.dumps(envelope), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def _items(visit):
    return list(visit.answers.select_related("item").order_by("item__position"))


def _events(kind):
    return AuditEvent.objects.filter(kind=kind).count()


@pytest.fixture
def inspector(users):
    return users["education_inspector"]


@pytest.fixture
def inspector_client(education_inspector_client):
    return education_inspector_client


def _chunk(client, visit, upload, index, total, data):
    url = reverse("inspections:sync_chunk", args=[upload]) + f"?index={index}&visit={visit.pk}&total={total}"
    return client.post(url, data=data, content_type="application/octet-stream")


# ---- exactly once ------------------------------------------------------------------------------------


def test_a_replayed_answer_is_accepted_and_applied_once(inspector_client, inspector, visit):
    item = _items(visit)[0]
    envelope = _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "fail", "remark": "无证照"})
    first = _send(inspector_client, envelope)
    again = [_send(inspector_client, envelope) for _ in range(2)]

    assert first["verdict"] == "accepted" and first["replay"] is False
    assert all(v["verdict"] == "accepted" and v["replay"] is True for v in again)
    answer = ChecklistAnswer.objects.get(pk=item.pk)
    assert (answer.result, answer.remark) == ("fail", "无证照")
    assert SyncedMutation.objects.filter(client_id=envelope["id"]).count() == 1
    events = AuditEvent.objects.filter(kind="checklist_answer.saved", object_id=str(item.pk))
    assert events.count() == 1
    offline = events.get().after["offline"]
    assert offline["device_time"] and offline["received_at"]


def test_a_replay_of_an_earlier_answer_does_not_undo_a_later_one(inspector_client, inspector, visit):
    item = _items(visit)[0]
    earlier = _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "pass", "remark": ""})
    later = _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "fail", "remark": "周末学科类"})
    _send(inspector_client, earlier)
    _send(inspector_client, later)
    assert _send(inspector_client, earlier)["replay"] is True
    assert ChecklistAnswer.objects.get(pk=item.pk).result == "fail"


def test_an_answer_arriving_after_a_later_change_of_the_same_item_is_superseded(inspector_client, inspector, visit):
    item = _items(visit)[0]
    now = timezone.now()
    older = _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "pass", "remark": ""},
                      device_time=now - timedelta(minutes=5))
    newer = _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "fail", "remark": "无消防"},
                      device_time=now - timedelta(minutes=1))
    assert _send(inspector_client, newer)["verdict"] == "accepted"
    verdict = _send(inspector_client, older)
    assert verdict["verdict"] == "accepted" and verdict["superseded"] is True
    answer = ChecklistAnswer.objects.get(pk=item.pk)
    assert (answer.result, answer.remark) == ("fail", "无消防")
    assert AuditEvent.objects.filter(kind="checklist_answer.saved", object_id=str(item.pk)).count() == 1


def _whole_outbox(visit, inspector, captured):
    """Start, every item (item 3 failed), a photo of item 3, the signature and the submit, as a phone queues them."""
    items = _items(visit)
    outbox = [_envelope(visit, inspector, "begin", {"latitude": 36.65, "longitude": 117.12, "accuracy": 10},
                        device_time=captured)]
    for answer in items:
        failed = answer.item.position == 3
        outbox.append(_envelope(visit, inspector, "answer", {
            "item": answer.item_id, "result": "fail" if failed else "pass", "remark": "周末培训" if failed else "",
            "base": ""}, device_time=captured))
    upload = str(uuid.uuid4())
    outbox.append(_envelope(visit, inspector, "photo", {
        "item": items[2].item_id, "upload": upload, "name": "door.jpg", "content_type": "image/jpeg",
        "size": len(jpeg_bytes()), "chunks": 1}, device_time=captured))
    outbox.append(_envelope(visit, inspector, "sign", {"signer_name": "张负责人", "signer_role": "校长",
                                                            "data_url": signature_data_url()}, device_time=captured))
    outbox.append(_envelope(visit, inspector, "submit", {"summary": "离线检查"}, device_time=captured))
    return outbox, upload


def _counts(visit):
    return {
        "events": AuditEvent.objects.count(),
        "evidence": Evidence.objects.filter(visit=visit).count(),
        "problems": ProblemItem.objects.filter(visit=visit).count(),
        "signatures": Signature.objects.filter(visit=visit).count(),
        "mutations": SyncedMutation.objects.count(),
    }


def test_a_whole_offline_outbox_syncs_once_and_its_replay_changes_nothing(inspector_client, inspector, visit):
    captured = timezone.now() - timedelta(hours=2)
    outbox, upload = _whole_outbox(visit, inspector, captured)
    assert _chunk(inspector_client, visit, upload, 0, 1, jpeg_bytes()).status_code == 200

    verdicts = [_send(inspector_client, envelope) for envelope in outbox]
    assert [v["verdict"] for v in verdicts] == ["accepted"] * len(outbox)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SUBMITTED and visit.latitude is not None
    after_first = _counts(visit)
    assert after_first["evidence"] == 1 and after_first["problems"] == 1 and after_first["signatures"] == 1
    assert not UploadChunk.objects.exists()

    # The submitted visit records which items were captured offline, with the phone's and the server's times.
    submitted = AuditEvent.objects.get(kind="visit.submitted", object_id=str(visit.pk))
    offline_items = submitted.after["offline_items"]
    assert len(offline_items) == 11
    assert {"item", "device_time", "received_at"} <= set(offline_items[0])
    assert submitted.after["offline"]["device_time"].startswith(captured.isoformat()[:16])

    replays = [_send(inspector_client, envelope) for envelope in outbox]
    assert all(v["verdict"] == "accepted" and v["replay"] for v in replays)
    assert _counts(visit) == after_first


# ---- refusals that change nothing ---------------------------------------------------------------------


def test_a_visit_reassigned_while_offline_refuses_the_outbox(
    inspector_client, inspector, visit, users
):
    services.visit_assign_inspectors(actor=users["education_head"], visit_id=visit.pk,
                                     inspectors=[users["market_inspector"]])
    item = _items(visit)[0]
    envelope = _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "pass", "remark": ""})
    before = AuditEvent.objects.count()

    verdict = _send(inspector_client, envelope)
    assert verdict["verdict"] == "refused" and "改派" in verdict["reason"] and verdict["retry"] is False
    assert ChecklistAnswer.objects.get(pk=item.pk).result == ""
    assert AuditEvent.objects.count() == before
    assert _send(inspector_client, envelope)["reason"] == verdict["reason"]  # the same answer for a replay


def test_a_visit_cancelled_while_offline_refuses_the_outbox(inspector_client, inspector, visit, users):
    item_id = _items(visit)[0].item_id
    services.visit_admin_delete(actor=users["admin"], visit_id=visit.pk)
    verdict = _send(inspector_client, _envelope(visit, inspector, "submit", {}))
    assert verdict["verdict"] == "refused" and "取消" in verdict["reason"]
    verdict = _send(inspector_client, _envelope(visit, inspector, "answer", {"item": item_id, "result": "pass"}))
    assert "取消" in verdict["reason"]
    assert not Visit.objects.filter(pk=visit.pk).exists()


def test_a_visit_submitted_by_the_other_inspector_refuses_offline_changes(
    inspector_client, inspector, visit, users
):
    other = users["market_inspector"]
    answer_all(visit, other)
    sign(visit, other)
    services.visit_submit(actor=other, visit_id=visit.pk)
    item = _items(visit)[0]
    for envelope in (
        _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "fail", "remark": "x"}),
        _envelope(visit, inspector, "submit", {}),
    ):
        verdict = _send(inspector_client, envelope)
        assert verdict["verdict"] == "refused" and "已由" in verdict["reason"]
    assert ChecklistAnswer.objects.get(pk=item.pk).result == "pass"


def test_an_outbox_of_another_account_is_refused_and_kept_for_that_account(
    inspector_client, visit, users
):
    other = users["market_inspector"]
    item = _items(visit)[0]
    envelope = _envelope(visit, other, "answer", {"item": item.item_id, "result": "pass", "remark": ""})
    verdict = _send(inspector_client, envelope)
    assert verdict["verdict"] == "refused" and verdict["retry"] is True and "其他账号" in verdict["reason"]
    assert not SyncedMutation.objects.exists() and ChecklistAnswer.objects.get(pk=item.pk).result == ""

    other_client = Client()
    other_client.force_login(other)
    assert _send(other_client, envelope)["verdict"] == "accepted"


def test_a_phone_clock_far_from_the_servers_is_refused_until_set(inspector_client, inspector, visit):
    item = _items(visit)[0]
    wrong = timezone.now() + timedelta(hours=3)
    envelope = _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "pass", "remark": ""},
                         device_time=wrong, sent_at=wrong)
    verdict = _send(inspector_client, envelope)
    assert verdict["verdict"] == "refused" and verdict["retry"] is True and "手机时间" in verdict["reason"]
    assert ChecklistAnswer.objects.get(pk=item.pk).result == "" and not SyncedMutation.objects.exists()


def test_a_submit_before_its_items_is_refused_for_now_and_passes_later(inspector_client, inspector, visit):
    submit = _envelope(visit, inspector, "submit", {})
    verdict = _send(inspector_client, submit)
    assert verdict["verdict"] == "refused" and verdict["retry"] is True and "未填写" in verdict["reason"]
    answer_all(visit, inspector)
    sign(visit, inspector)
    assert _send(inspector_client, submit)["verdict"] == "accepted"
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SUBMITTED


def test_signed_out_and_malformed_requests_are_answered_plainly(inspector_client, inspector, visit):
    envelope = _envelope(visit, inspector, "answer", {})
    response = Client().post(reverse("inspections:sync"), data=json.dumps(envelope), content_type="application/json")
    assert response.status_code == 401 and response.json()["signed_out"] is True
    response = inspector_client.post(reverse("inspections:sync"), data="{not json", content_type="application/json")
    assert response.status_code == 400
    response = inspector_client.post(reverse("inspections:sync"), data=json.dumps({**envelope, "id": "x"}),
                                     content_type="application/json")
    assert response.status_code == 400 and "编号" in response.json()["error"]
    assert not SyncedMutation.objects.exists()


# ---- conflicts -------------------------------------------------------------------------------------------


def test_a_change_by_the_other_inspector_meanwhile_is_a_conflict_showing_both(
    inspector_client, inspector, visit, users
):
    item = _items(visit)[0]
    services.answer_save(actor=users["market_inspector"], visit_id=visit.pk, item_id=item.item_id,
                         result="pass", remark="证照齐全")
    mine = _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "fail", "remark": "无证照",
                                                  "base": ""})
    verdict = _send(inspector_client, mine)
    assert verdict["verdict"] == "conflict"
    assert verdict["theirs"]["remark"] == "证照齐全" and verdict["mine"]["remark"] == "无证照"
    assert ChecklistAnswer.objects.get(pk=item.pk).remark == "证照齐全"
    assert not SyncedMutation.objects.exists()

    # The inspector keeps theirs-seen-and-overruled: a new change made knowing the other version.
    resolved = _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "fail", "remark": "无证照",
                                                      "base": verdict["theirs"]["version"]})
    assert _send(inspector_client, resolved)["verdict"] == "accepted"
    assert ChecklistAnswer.objects.get(pk=item.pk).remark == "无证照"


# ---- photos in chunks --------------------------------------------------------------------------------------


def test_a_photo_upload_resumes_after_a_dropped_connection(inspector_client, inspector, visit):
    content = jpeg_bytes(size=(640, 480))
    half = len(content) // 2
    upload = str(uuid.uuid4())
    item = _items(visit)[2]
    photo = _envelope(visit, inspector, "photo", {"item": item.item_id, "upload": upload, "name": "a.jpg",
                                                  "content_type": "image/jpeg", "size": len(content), "chunks": 2})
    assert _chunk(inspector_client, visit, upload, 0, 2, content[:half]).json() == {"received": [0]}
    verdict = _send(inspector_client, photo)  # the connection dropped before the second chunk
    assert verdict["verdict"] == "refused" and verdict["retry"] and verdict["missing_chunks"]
    status = inspector_client.get(reverse("inspections:sync_chunk", args=[upload])).json()
    assert status == {"received": [0], "done": False}

    assert _chunk(inspector_client, visit, upload, 0, 2, content[:half]).json() == {"received": [0]}  # resent
    assert _chunk(inspector_client, visit, upload, 1, 2, content[half:]).json() == {"received": [0, 1]}
    verdict = _send(inspector_client, photo)
    assert verdict["verdict"] == "accepted" and verdict["url"]
    # Replayed later (the whole outbox put back): the phone is told the photo is in, a resent chunk is not kept.
    status = inspector_client.get(reverse("inspections:sync_chunk", args=[upload])).json()
    assert status == {"received": [], "done": True}
    assert _chunk(inspector_client, visit, upload, 0, 2, content[:half]).json() == {"received": [0, 1]}
    assert not UploadChunk.objects.filter(upload_id=upload).exists()
    assert _send(inspector_client, photo)["replay"] is True
    evidence = Evidence.objects.get(visit=visit)
    assert evidence.item_id == item.item_id and evidence.client_id == upload
    assert not UploadChunk.objects.exists()


def test_a_photo_failing_the_content_check_is_refused_with_its_reason(inspector_client, inspector, visit):
    upload = str(uuid.uuid4())
    _chunk(inspector_client, visit, upload, 0, 1, b"this is not a photo at all")
    photo = _envelope(visit, inspector, "photo", {"upload": upload, "name": "x.jpg", "chunks": 1})
    verdict = _send(inspector_client, photo)
    assert verdict["verdict"] == "refused" and verdict["retry"] is False and verdict["reason"]
    assert not Evidence.objects.exists()
    assert _send(inspector_client, photo)["reason"] == verdict["reason"]


def test_chunks_of_a_visit_not_assigned_are_refused(police_inspector_client, visit):
    response = _chunk(police_inspector_client, visit, str(uuid.uuid4()), 0, 1, b"x")
    assert response.status_code == 400 and "改派" in response.json()["error"]
    assert not UploadChunk.objects.exists()


# ---- what a phone keeps -------------------------------------------------------------------------------------


def test_the_offline_list_holds_only_the_inspectors_own_visits_of_the_next_days(
    inspector_client, inspector, users, departments, institution, checklist
):
    today = timezone.localdate()

    def plan(days, inspectors):
        return VisitFactory(planner=users["education_head"], institution=institution,
                            lead_department=departments["education"], planned_on=today + timedelta(days=days),
                            inspectors=inspectors)

    now, soon, later = plan(0, [inspector]), plan(2, [inspector]), plan(10, [inspector])
    others = VisitFactory(planner=users["market_head"], institution=institution, lead_department=departments["market"],
                          planned_on=today, inspectors=[users["market_inspector"]])
    done = VisitFactory(planner=users["education_head"], institution=institution,
                        lead_department=departments["education"], planned_on=today, inspectors=[inspector],
                        submitted=True)

    data = inspector_client.get(reverse("inspections:offline_list")).json()
    assert data["user"] == inspector.pk
    pages = {url for url in data["urls"] if "/visits/" in url}
    assert pages == {now.get_absolute_url(), soon.get_absolute_url()}
    assert reverse("inspections:today") in data["urls"]
    assert all(v.get_absolute_url() not in pages for v in (later, others, done))
    assert Client().get(reverse("inspections:offline_list")).status_code == 401


def test_the_service_worker_and_manifest_are_served_for_the_inspections_scope(client):
    response = client.get(reverse("inspections:service_worker"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/inspections/"
    assert b"regulator-data-" in response.content
    manifest = json.loads(client.get(reverse("inspections:manifest")).content)
    assert manifest["start_url"] == "/inspections/today/" and manifest["scope"] == "/inspections/"
    assert manifest["display"] == "standalone" and manifest["icons"]


def test_the_visit_page_offers_the_outbox_and_the_institution_summary(
    education_inspector_client, visit, users, departments, institution
):
    # The last visit of the institution had item 3 failed: shown on today's page for the inspector.
    VisitFactory(planner=users["education_head"], institution=institution, lead_department=departments["education"],
                 planned_on=visit.planned_on - timedelta(days=30), inspectors=[users["education_inspector"]],
                 with_problems=True)
    html = education_inspector_client.get(visit.get_absolute_url()).content.decode()
    assert 'id="outbox-state"' in html and "data-sync-url" in html and 'rel="manifest"' in html
    assert 'id="last-failed"' in html and "机构档案摘要" in html


# ---- whatever a broken phone sends: never a 5xx --------------------------------------------------------------

_ODD = ["", "0", "-1", "²", "NaN", "Infinity", "\x00", "null", "9" * 40, str(2**63), "2026-02-30T10:00:00",
        "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "pass", "fail", "na"]
_json_values = st.one_of(
    st.sampled_from(_ODD), st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_odd_mutations_never_answer_5xx(inspector_client, inspector, visit, data):
    item = visit.answers.values_list("item_id", flat=True).first()
    envelope = _envelope(visit, inspector, data.draw(st.sampled_from(["begin", "answer", "photo", "sign",
                                                                      "submit", "other"])))
    envelope["payload"] = {"item": item, "upload": str(uuid.uuid4()), "chunks": 1}
    for key in data.draw(st.lists(st.sampled_from(["id", "user", "visit", "device_time", "sent_at", "payload"]),
                                  max_size=3, unique=True)):
        envelope[key] = data.draw(_json_values)
    if isinstance(envelope.get("payload"), dict):
        for key in data.draw(st.lists(st.sampled_from(
                ["item", "result", "remark", "base", "latitude", "longitude", "accuracy", "signer_name", "data_url",
                 "refused", "refusal_reason", "summary", "upload", "chunks", "name", "content_type"]),
                max_size=4, unique=True)):
            envelope["payload"][key] = data.draw(_json_values)
    response = inspector_client.post(reverse("inspections:sync"), data=json.dumps(envelope),
                                     content_type="application/json")
    assert response.status_code < 500, envelope


def test_the_today_list_shows_the_next_days_the_phone_keeps(
    inspector_client, inspector, users, departments, institution, checklist
):
    today = timezone.localdate()
    soon, later = (
        VisitFactory(planner=users["education_head"], institution=institution, lead_department=departments["education"],
                     planned_on=today + timedelta(days=days), inspectors=[inspector])
        for days in (2, 10)
    )
    html = inspector_client.get(reverse("inspections:today")).content.decode()
    upcoming = html[html.index('id="upcoming-list"'):]
    assert soon.get_absolute_url() in upcoming and later.get_absolute_url() not in html
    assert 'rel="manifest"' in html and 'id="offline-root"' in html


def test_the_offline_strings_have_their_english(inspector_client, inspector, visit):
    inspector_client.post(reverse("set_language"), {"language": "en"})
    html = inspector_client.get(visit.get_absolute_url()).content.decode()
    assert "{n} waiting to sync" in html and "Keep mine" in html and "Institution file summary" in html
    item = _items(visit)[0]
    verdict = _send(inspector_client, _envelope(visit, inspector, "answer", {"item": item.item_id, "result": "x"}))
    assert verdict["verdict"] == "refused" and verdict["reason"]


def test_chunks_abandoned_for_a_week_go_and_unfinished_uploads_are_capped(inspector, visit, settings):
    from inspections import sync

    old = timezone.now() - timedelta(days=8)
    sync.chunk_store(actor=inspector, visit_id=visit.pk, upload_id=uuid.uuid4(), index=0, total=1, data=b"x", now=old)
    sync.chunk_store(actor=inspector, visit_id=visit.pk, upload_id=uuid.uuid4(), index=0, total=1, data=b"y")
    assert UploadChunk.objects.count() == 1
    settings.INSPECTIONS_SYNC_MAX_CHUNKS_PER_USER = 1
    with pytest.raises(sync.ServiceError, match="过多"):
        sync.chunk_store(actor=inspector, visit_id=visit.pk, upload_id=uuid.uuid4(), index=0, total=1, data=b"z")
    assert UploadChunk.objects.count() == 1
