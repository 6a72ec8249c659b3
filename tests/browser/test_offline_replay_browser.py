"""Issue 18, "a replay of the whole outbox changes nothing", in Chromium: a visit filled offline (start, every item,
a photo, the signature, the submit) syncs once; then the very same outbox records (the photo's blob included) are
put back into the page's IndexedDB and sent again. The server's answers, evidence, signature, audit trail, upload
chunks and the visit's status are exactly as before, and the page reports each change as already synced."""

import pytest
from playwright.sync_api import expect

from inspections.models import ChecklistAnswer, Evidence, Signature, SyncedMutation, UploadChunk, Visit
from regulator.models import AuditEvent
from tests.browser.conftest import login
from tests.browser.test_offline_browser import _noisy_jpeg, planned_visit  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every record of the outbox, with the photos' blobs as base64, as the page's IndexedDB holds them.
READ_OUTBOX = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("regulator-outbox", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const t = open.result.transaction(["mutations", "blobs"]);
    const rows = t.objectStore("mutations").getAll();
    const blobs = t.objectStore("blobs").getAll();
    t.oncomplete = async () => {
      const encoded = [];
      for (const b of blobs.result) {
        const bytes = new Uint8Array(await b.blob.arrayBuffer());
        let text = "";
        for (let i = 0; i < bytes.length; i += 1) { text += String.fromCharCode(bytes[i]); }
        encoded.push({upload: b.upload, type: b.blob.type, base64: btoa(text)});
      }
      open.result.close();
      resolve({rows: rows.result, blobs: encoded});
    };
  };
})"""

# Put them back as they were, listen to the verdicts, and send the outbox again through the page's own module.
REPLAY_OUTBOX = """(snapshot) => new Promise((resolve, reject) => {
  window.replayVerdicts = [];
  Outbox.onChange((event) => {
    if (event.type === "accepted" || event.type === "refused" || event.type === "conflict") {
      window.replayVerdicts.push({type: event.type, kind: event.row.kind, verdict: event.verdict || null});
    }
  });
  const open = indexedDB.open("regulator-outbox", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const t = open.result.transaction(["mutations", "blobs"], "readwrite");
    snapshot.rows.forEach((row) => t.objectStore("mutations").put(row));
    snapshot.blobs.forEach((b) => {
      const text = atob(b.base64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i += 1) { bytes[i] = text.charCodeAt(i); }
      t.objectStore("blobs").put({upload: b.upload, blob: new Blob([bytes], {type: b.type})});
    });
    t.oncomplete = () => { open.result.close(); Outbox.flush().then(() => resolve(snapshot.rows.length)); };
    t.onerror = () => reject(t.error);
  };
})"""


def _server_state(visit_id):
    visit = Visit.objects.get(pk=visit_id)
    return {
        "visit": (visit.status, visit.submitted_at, visit.summary, visit.started_at, visit.latitude),
        "answers": sorted(ChecklistAnswer.objects.filter(visit_id=visit_id).values_list(
            "item_id", "result", "remark", "answered_at", "answered_by_id")),
        "evidence": sorted(Evidence.objects.filter(visit_id=visit_id).values_list(
            "pk", "client_id", "sha256", "size", "item_id")),
        "signatures": sorted(Signature.objects.filter(visit_id=visit_id).values_list(
            "pk", "signer_name", "refused")),
        "audit": AuditEvent.objects.count(),
        "audit_kinds": sorted(AuditEvent.objects.values_list("kind", flat=True)),
        "mutations": sorted(SyncedMutation.objects.values_list("client_id", "verdict", "received_at")),
        "chunks": UploadChunk.objects.count(),
    }


def test_a_replay_of_the_whole_outbox_changes_nothing(live_server, page, planned_visit, settings):  # noqa: F811
    settings.INSPECTIONS_OFFLINE_PHOTO_BYTES = 60_000
    settings.INSPECTIONS_OFFLINE_PHOTO_MAX_EDGE = 800
    settings.INSPECTIONS_SYNC_CHUNK_BYTES = 16_384  # a photo of several chunks
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, live_server, "edu_inspector")
    visit_url = f"{live_server.url}{planned_visit.get_absolute_url()}"
    page.goto(visit_url)
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'", timeout=30000)

    page.context.set_offline(True)
    page.click("#start-visit")
    expect(page.locator("#save-state")).to_have_text("已开始检查")
    items = page.locator("fieldset.item")
    for index in range(11):
        if index == 4:
            items.nth(index).locator("label.choice-fail").click()
            items.nth(index).locator("textarea").fill("消防通道堵塞")
        else:
            items.nth(index).locator("label.choice-pass").click()
    items.nth(4).locator(".photo-input").set_input_files(
        {"name": "exit.jpg", "mimeType": "image/jpeg", "buffer": _noisy_jpeg()}
    )
    expect(items.nth(4).locator(".pending li.queued-photo")).to_have_count(1)
    page.fill("#signer-name", "李负责人")
    canvas = page.locator("#signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 40 + (step % 3) * 15)
    page.mouse.up()
    page.click("#signature-save")
    expect(page.locator("#signature-state")).to_have_text("已签字（待同步）")
    page.fill("#id_summary", "离线填写，联网同步")
    page.click("#submit-visit")
    # start + 11 answers + photo + signature + submit
    expect(page.locator("#outbox-state")).to_contain_text("待同步 15 项")
    snapshot = page.evaluate(READ_OUTBOX)
    assert len(snapshot["rows"]) == 15 and len(snapshot["blobs"]) == 1
    assert {row["state"] for row in snapshot["rows"]} == {"pending"}

    # Online: it syncs once and the page turns read-only.
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#read-only-note")).to_be_visible(timeout=60000)
    page.wait_for_function("() => window.Outbox && window.Outbox.counts().pending === 0")
    before = _server_state(planned_visit.pk)
    assert before["visit"][0] == "submitted" and len(before["evidence"]) == 1 and len(before["signatures"]) == 1
    assert len(before["mutations"]) == 15 and before["chunks"] == 0
    assert sum(1 for _item, result, *_rest in before["answers"] if result) == 11

    # The very same records again, the photo's blob included, sent by the page's outbox.
    chunk_posts = []
    page.on("request", lambda r: chunk_posts.append(r.url) if r.method == "POST" and "/sync/uploads/" in r.url
            else None)
    assert page.evaluate(REPLAY_OUTBOX, snapshot) == 15
    page.wait_for_function("() => window.replayVerdicts.length === 15 && window.Outbox.counts().pending === 0",
                           timeout=60000)
    verdicts = page.evaluate("window.replayVerdicts")
    assert [v["type"] for v in verdicts] == ["accepted"] * 15
    assert all(v["verdict"]["replay"] is True for v in verdicts)
    assert sorted(v["kind"] for v in verdicts) == sorted(row["kind"] for row in snapshot["rows"])
    assert chunk_posts == []  # the server said the photo was in: no chunk sent again

    assert _server_state(planned_visit.pk) == before
    expect(page.locator("#outbox-problems li")).to_have_count(0)
    expect(page.locator("#outbox-state")).to_contain_text("已全部同步")
    expect(page.locator("#outbox-state")).to_contain_text("15 项此前已同步，未重复记录")
    assert page.evaluate("window.Outbox.all().then((rows) => rows.length)") == 0
