"""Audit kinds renamed to `<object>.<what happened>` (issue 10) and every chain re-linked with the HMAC key (issue 11).

Both change what each row's link covers, so one pass does both, chain by chain: it first checks each row against
the plain SHA-256 link it was written with and refuses to go on if one does not hold (a re-link must never launder
a tampered row; set AUDIT_MIGRATION_ACCEPT_BROKEN=1 only after investigating, see docs/audit.md), then renames the
kind and recomputes the link keyed with settings.AUDIT_HMAC_KEY. Reversing renames back and recomputes plain
SHA-256 links after checking the HMAC ones. Why re-link rather than keep old rows on SHA-256: a row marked "old
algorithm" could be forged by anyone, so every row must carry a keyed link (docs/audit.md).

The hashing here is a frozen copy of regulator.audit.compute_hash as it stands, so this migration keeps working
whatever that module becomes.
"""

import hashlib
import hmac
import json
import os
from datetime import UTC

from django.conf import settings
from django.db import migrations
from django.db.models import F

GENESIS = "0" * 64
BATCH = 2000

# (object type, old kind) for the generic kinds that only their object type tells apart.
BY_TYPE = {
    ("institutions.institution", "created"): "institution.created",
    ("institutions.institution", "updated"): "institution.updated",
    ("institutions.institution", "deleted"): "institution.deleted",
    ("institutions.licence", "created"): "licence.created",
    ("institutions.licence", "updated"): "licence.updated",
    ("institutions.licence", "deleted"): "licence.deleted",
    ("institutions.site", "created"): "site.created",
    ("institutions.site", "updated"): "site.updated",
    ("institutions.site", "deleted"): "site.deleted",
    ("institutions.teacher", "created"): "teacher.created",
    ("institutions.teacher", "updated"): "teacher.updated",
    ("institutions.teacher", "deleted"): "teacher.deleted",
    ("regulator.department", "created"): "department.created",
    ("regulator.department", "updated"): "department.updated",
    ("regulator.user", "created"): "user.created",
}
BY_KIND = {
    "shared": "institution.shared",
    "standing_changed": "institution.standing_changed",
    "operating_state_changed": "institution.operating_state_changed",
    "expired": "licence.expired",
    "licence_revoked": "licence.revoked",
    "import_confirmed": "import_job.confirmed",
    "checklist_revised": "checklist_template.revised",
    "campaign_created": "campaign.created",
    "visit_planned": "visit.planned",
    "visit_inspectors_assigned": "visit.inspectors_assigned",
    "visit_started": "visit.started",
    "visit_submitted": "visit.submitted",
    "visit_amended": "visit.amended",
    "visit_outcome": "visit.outcome_recorded",
    "answer_saved": "checklist_answer.saved",
    "evidence_uploaded": "evidence.uploaded",
    "signature_saved": "signature.saved",
    "problem_item_closed": "problem_item.closed",
    "spot_check_drawn": "spot_check.drawn",
    "spot_check_published": "spot_check.published",
    "order_drafted": "order.drafted",
    "order_approved": "order.approved",
    "order_served": "order.served",
    "order_extended": "order.extended",
    "order_cancelled": "order.cancelled",
    "order_overdue": "order.overdue",
    "order_escalated": "order.escalated",
    "order_closed": "order.closed",
    "order_item_closed": "order_item.closed",
    "suspension_drafted": "suspension.drafted",
    "suspension_approved": "suspension.approved",
    "suspension_served": "suspension.served",
    "suspension_completed": "suspension.completed",
    "refund_recorded": "refund.recorded",
    "case_opened": "case.opened",
    "case_reviewed": "case.reviewed",
    "case_filed": "case.filed",
    "case_dropped": "case.dropped",
    "case_investigation": "case.investigation_started",
    "case_evidence_added": "case.evidence_added",
    "case_rights_notified": "case.rights_notified",
    "case_statement_recorded": "case.statement_recorded",
    "case_decided": "case.decided",
    "case_served": "case.served",
    "case_executed": "case.executed",
    "case_closed": "case.closed",
    "list_entry.statement": "list_entry.statement_recorded",
    "queue_assigned": "queue_item.assigned",
    "weekly_report_generated": "weekly_report.generated",
}
BACK = {new: old for old, new in BY_KIND.items()} | {new: old for (_type, old), new in BY_TYPE.items()}
BACK["institution.moved"] = "updated"


def new_kind(event) -> str:
    kind = BY_TYPE.get((event.object_type, event.kind)) or BY_KIND.get(event.kind, event.kind)
    if kind == "institution.updated" and (event.before or {}).get("region") != (event.after or {}).get("region"):
        return "institution.moved"
    return kind


def old_kind(event) -> str:
    return BACK.get(event.kind, event.kind)


def payload(event, *, kind: str, prev: str) -> bytes:
    return json.dumps(
        {
            "prev": prev,
            "at": event.created_at.astimezone(UTC).isoformat(),
            "actor": event.actor_id,
            "institution": event.institution_id,
            "type": event.object_type,
            "id": str(event.object_id),
            "kind": kind,
            "summary": event.summary,
            "before": event.before,
            "after": event.after,
        },
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    ).encode()


def plain(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def keyed(data: bytes) -> str:
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), data, hashlib.sha256).hexdigest()


def relink(AuditEvent, *, check, rename, link) -> None:
    accept_broken = os.environ.get("AUDIT_MIGRATION_ACCEPT_BROKEN") == "1"
    rows = AuditEvent.objects.order_by(F("institution_id").asc(nulls_last=True), "id").iterator(chunk_size=BATCH)
    chain, old_prev, new_prev, batch = object(), GENESIS, GENESIS, []
    for event in rows:
        if event.institution_id != chain:
            chain, old_prev, new_prev = event.institution_id, GENESIS, GENESIS
        if not accept_broken and (event.prev_hash != old_prev
                                  or check(payload(event, kind=event.kind, prev=event.prev_hash)) != event.hash):
            rows.close()
            raise RuntimeError(
                f"audit row {event.pk} (chain {event.institution_id}) does not verify: run audit_verify and "
                f"investigate before migrating (docs/audit.md); AUDIT_MIGRATION_ACCEPT_BROKEN=1 re-links anyway")
        old_prev = event.hash
        event.kind = rename(event)
        event.prev_hash = new_prev
        event.hash = new_prev = link(payload(event, kind=event.kind, prev=new_prev))
        batch.append(event)
        if len(batch) >= BATCH:
            AuditEvent.objects.bulk_update(batch, ["kind", "prev_hash", "hash"])
            batch = []
    AuditEvent.objects.bulk_update(batch, ["kind", "prev_hash", "hash"])


def forwards(apps, schema_editor):
    relink(apps.get_model("regulator", "AuditEvent"), check=plain, rename=new_kind, link=keyed)


def backwards(apps, schema_editor):
    relink(apps.get_model("regulator", "AuditEvent"), check=keyed, rename=old_kind, link=plain)


class Migration(migrations.Migration):
    dependencies = [("regulator", "0008_audit_checkpoints")]

    operations = [migrations.RunPython(forwards, backwards)]
