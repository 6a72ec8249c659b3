"""The one audit trail: services call `record_event` inside their transaction; nothing else writes it.

Rows are chained by SHA-256 per institution (events about no institution form one chain of their own),
so two inspectors working on different institutions never wait for each other.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from . import hooks
from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Advisory-lock key space for audit chains (PostgreSQL only; SQLite serialises writers anyway).
_LOCK_BASE = 0x41554449 << 24


def json_safe(value):
    """What a JSON column gives back after a round trip, so stored and hashed data are identical."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """Concrete field values of a row (foreign keys by id), JSON-safe."""
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"created_at", "updated_at", "created_by", "updated_by"}:
            continue
        value = field.value_from_object(instance)
        if isinstance(value, FieldFile):
            value = value.name or ""
        data[field.name] = value
    return json_safe(data)


def compute_hash(*, prev_hash: str, created_at: datetime, actor_id, institution_id, object_type: str,
                 object_id: str, kind: str, summary: str, before, after) -> str:
    payload = json.dumps(
        {
            "prev": prev_hash,
            "at": created_at.astimezone(UTC).isoformat(),
            "actor": actor_id,
            "institution": institution_id,
            "type": object_type,
            "id": str(object_id),
            "kind": kind,
            "summary": summary,
            "before": before,
            "after": after,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_chain(institution_id: int | None) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_BASE + (institution_id or 0)])


def _chain(institution_id: int | None):
    if institution_id is None:
        return AuditEvent.objects.filter(institution_id__isnull=True)
    return AuditEvent.objects.filter(institution_id=institution_id)


def record_event(*, actor, kind: str, obj: models.Model | None = None, object_type: str = "",
                 object_id: str | int = "", institution_id: int | None = None, before=None, after=None,
                 summary: str = "", now: datetime | None = None) -> AuditEvent:
    """Append one event to its institution's chain. Call inside the transaction of the change."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change it records")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    now = now or timezone.now()
    actor_id = getattr(actor, "pk", None)
    before = json_safe(before) if before is not None else None
    after = json_safe(after) if after is not None else None
    _lock_chain(institution_id)
    prev_hash = _chain(institution_id).order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    digest = compute_hash(
        prev_hash=prev_hash, created_at=now, actor_id=actor_id, institution_id=institution_id,
        object_type=object_type, object_id=str(object_id), kind=kind, summary=summary, before=before, after=after,
    )
    hooks.work_changed()  # what the navigation counts cache may be stale after this change (regulator/hooks.py)
    return AuditEvent.objects.create(
        created_at=now, actor_id=actor_id, actor_name=str(actor) if actor else "", institution_id=institution_id,
        object_type=object_type, object_id=str(object_id), kind=kind, summary=summary[:200],
        before=before, after=after, prev_hash=prev_hash, hash=digest,
    )


def verify_chains(batch_size: int = 5000) -> Iterator[tuple[AuditEvent, str]]:
    """Yield (event, problem) for every row whose hash or link does not hold. Constant memory."""
    current_chain = object()
    expected_prev = GENESIS_HASH
    rows = AuditEvent.objects.order_by("institution_id", "id").iterator(chunk_size=batch_size)
    for event in rows:
        if event.institution_id != current_chain:
            current_chain = event.institution_id
            expected_prev = GENESIS_HASH
        if event.prev_hash != expected_prev:
            yield event, "chain broken: previous hash does not match the row before it (row deleted or inserted)"
        digest = compute_hash(
            prev_hash=event.prev_hash, created_at=event.created_at, actor_id=event.actor_id,
            institution_id=event.institution_id, object_type=event.object_type, object_id=event.object_id,
            kind=event.kind, summary=event.summary, before=event.before, after=event.after,
        )
        if digest != event.hash:
            yield event, "content changed: the row's hash does not match its contents"
        expected_prev = event.hash
