"""The one audit trail: services call `record_event` inside their transaction; nothing else writes it.

Rows are chained per institution (events about no institution form one chain of their own), so two inspectors
working on different institutions never wait for each other. Each link is an HMAC-SHA256 keyed with
`settings.AUDIT_HMAC_KEY`, which lives in the environment and never in the database: whoever can edit the table
but does not hold the key cannot recompute a chain after editing a row. Daily checkpoints
(regulator.audit_checkpoints) record each chain's length and head so that rows deleted at a tail are noticed too,
and on PostgreSQL a trigger refuses UPDATE and DELETE on the table (regulator/migrations/0010). docs/audit.md
explains the whole arrangement.

Event kinds are `TextChoices` declared by each app in its `audit_kinds.py` and registered here from the app's
`AppConfig.ready()`; the registry gives each kind its Chinese label for the change history.
"""

import enum
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import F
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext_lazy

from . import hooks
from .models import AuditEvent

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Advisory-lock key space for audit chains (PostgreSQL only; SQLite serialises writers anyway).
_LOCK_BASE = 0x41554449 << 24
# The session variable that, set by a superuser inside a transaction, lets that transaction update or delete
# audit rows despite the trigger (regulator/migrations/0010): the maintenance escape hatch (docs/audit.md).
MAINTENANCE_SETTING = "regulator.audit_maintenance"

_KIND_STYLE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
_KINDS: dict[str, object] = {}  # value -> label
_FIELD_LABELS: dict[str, object] = {}  # before/after keys that are not model fields -> label


class UnregisteredAuditKind(ValueError):
    """A kind no app has registered (raised in DEBUG and tests, logged otherwise)."""


# ---- the registry of kinds -----------------------------------------------------------------------

def register_kinds(kinds: type[models.TextChoices], *, field_labels: dict | None = None) -> None:
    """Called from an app's `AppConfig.ready()` with its kinds, and labels of before/after keys that are no field."""
    max_length = AuditEvent._meta.get_field("kind").max_length
    for member in kinds:
        if not _KIND_STYLE.match(member.value) or len(member.value) > max_length:
            raise ImproperlyConfigured(f"audit kind {member.value!r} is not of the form 'object.what_happened'")
        if _KINDS.get(member.value, member.label) != member.label:
            raise ImproperlyConfigured(f"audit kind {member.value!r} is registered twice")
        _KINDS[member.value] = member.label
    _FIELD_LABELS.update(field_labels or {})


def registered_kinds() -> dict[str, object]:
    return dict(_KINDS)


def kind_label(kind: str) -> str:
    """The Chinese label of a kind; a kind no app declares (an old row) is shown as it is stored."""
    label = _KINDS.get(kind)
    return str(label) if label is not None else kind


def _check_kind(kind) -> str:
    value = kind.value if isinstance(kind, enum.Enum) else str(kind)
    if value in _KINDS and isinstance(kind, enum.Enum):
        return value
    message = (f"audit kind {value!r} must be a member of a registered TextChoices: declare it in the app's "
               f"audit_kinds.py and register it in AppConfig.ready()")
    if settings.AUDIT_REQUIRE_REGISTERED_KINDS:
        raise UnregisteredAuditKind(message)
    if value not in _KINDS:
        logger.warning(message)
    return value


# ---- hashing -------------------------------------------------------------------------------------

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


def hmac_key(key: str | None = None) -> bytes:
    key = settings.AUDIT_HMAC_KEY if key is None else key
    if not key:
        raise ImproperlyConfigured("AUDIT_HMAC_KEY is empty: the audit trail cannot be written or verified")
    return key.encode()


def key_fingerprint(key: str | None = None) -> str:
    """Names a key without revealing it, so a checkpoint file says which key signed it."""
    return hmac.new(hmac_key(key), b"regulator audit key fingerprint", hashlib.sha256).hexdigest()[:16]


def sign(data: dict, *, key: str | None = None) -> str:
    """HMAC-SHA256 of a canonical JSON document (checkpoints and their exports)."""
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(hmac_key(key), payload.encode(), hashlib.sha256).hexdigest()


def _payload(*, prev_hash: str, created_at: datetime, actor_id, institution_id, object_type: str, object_id: str,
             kind: str, summary: str, before, after, encoder=None) -> str:
    """The canonical JSON document a link is the HMAC of."""
    return json.dumps(
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
        cls=encoder,
    )


def compute_hash(*, prev_hash: str, created_at: datetime, actor_id, institution_id, object_type: str,
                 object_id: str, kind: str, summary: str, before, after, key: str | None = None) -> str:
    """The link of one row: HMAC-SHA256, keyed, over the previous link and every column of the row."""
    payload = _payload(prev_hash=prev_hash, created_at=created_at, actor_id=actor_id, institution_id=institution_id,
                       object_type=object_type, object_id=object_id, kind=kind, summary=summary, before=before,
                       after=after)
    return hmac.new(hmac_key(key), payload.encode(), hashlib.sha256).hexdigest()


def _lock_chain(institution_id: int | None) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_BASE + (institution_id or 0)])


def _chain(institution_id: int | None):
    if institution_id is None:
        return AuditEvent.objects.filter(institution_id__isnull=True)
    return AuditEvent.objects.filter(institution_id=institution_id)


# ---- writing -------------------------------------------------------------------------------------

def record_event(*, actor, kind: models.TextChoices, obj: models.Model | None = None, object_type: str = "",
                 object_id: str | int = "", institution_id: int | None = None, before=None, after=None,
                 summary: str = "", now: datetime | None = None) -> AuditEvent:
    """Append one event to its institution's chain. Call inside the transaction of the change."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change it records")
    kind = _check_kind(kind)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    now = now or timezone.now()
    actor_id = getattr(actor, "pk", None)
    before = json_safe(before) if before is not None else None
    after = json_safe(after) if after is not None else None
    summary = str(summary)[:200]
    _lock_chain(institution_id)
    prev_hash = _chain(institution_id).order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    digest = compute_hash(
        prev_hash=prev_hash, created_at=now, actor_id=actor_id, institution_id=institution_id,
        object_type=object_type, object_id=str(object_id), kind=kind, summary=summary, before=before, after=after,
    )
    hooks.work_changed()  # what the navigation counts cache may be stale after this change (regulator/hooks.py)
    return AuditEvent.objects.create(
        created_at=now, actor_id=actor_id, actor_name=str(actor)[:80] if actor else "",
        institution_id=institution_id, object_type=object_type, object_id=str(object_id), kind=kind,
        summary=summary, before=before, after=after, prev_hash=prev_hash, hash=digest,
    )


def record_creation_events(*, actor, kind: models.TextChoices,
                           created: Iterable[tuple[models.Model, dict, str]],
                           now: datetime | None = None) -> list[AuditEvent]:
    """The first event of each of many institutions created in this transaction, in one bulk insert.

    `created` holds (institution, after, summary). A new institution's chain is empty (ids are never reused), so
    its first link is the genesis hash and needs neither the chain lock nor a read (the ledger importer writes
    thousands of institutions at a time this way).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("record_creation_events must run inside the transaction that created the rows")
    kind = _check_kind(kind)
    now = now or timezone.now()
    actor_id = getattr(actor, "pk", None)
    actor_name = str(actor)[:80] if actor else ""
    events = []
    for institution, after, summary in created:
        after, summary = json_safe(after), str(summary)[:200]
        object_type, object_id = institution._meta.label_lower, str(institution.pk)
        digest = compute_hash(
            prev_hash=GENESIS_HASH, created_at=now, actor_id=actor_id, institution_id=institution.pk,
            object_type=object_type, object_id=object_id, kind=kind, summary=summary, before=None, after=after)
        events.append(AuditEvent(
            created_at=now, actor_id=actor_id, actor_name=actor_name, institution_id=institution.pk,
            object_type=object_type, object_id=object_id, kind=kind, summary=summary, before=None,
            after=after, prev_hash=GENESIS_HASH, hash=digest))
    return AuditEvent.objects.bulk_create(events)


@dataclass(frozen=True)
class PendingEvent:
    """One event of a bulk append (record_events): what record_event takes, but for one row among many."""

    kind: models.TextChoices
    institution_id: int | None
    object_type: str
    object_id: str | int
    before: dict | None = None
    after: dict | None = None
    summary: str = ""


def _last_hashes(chains: list[int | None]) -> dict[int | None, str]:
    """The head of each chain (its last row's hash), read after the chains are locked: one query on PostgreSQL
    (a backward index scan of audit_institution_chain per chain), one per chain elsewhere."""
    heads: dict[int | None, str] = {}
    ids = [chain for chain in chains if chain is not None]
    if ids and connection.vendor == "postgresql":
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT chain, (SELECT hash FROM {table} WHERE institution_id = chain "  # noqa: S608 - constant
                "ORDER BY id DESC LIMIT 1) FROM unnest(%s::bigint[]) AS chain",
                [ids],
            )
            heads.update((chain, digest) for chain, digest in cursor.fetchall() if digest)
    else:
        for chain in ids:
            digest = _chain(chain).order_by("-id").values_list("hash", flat=True).first()
            if digest:
                heads[chain] = digest
    if None in chains:
        digest = _chain(None).order_by("-id").values_list("hash", flat=True).first()
        if digest:
            heads[None] = digest
    return heads


def record_events(*, actor, events: Iterable[PendingEvent], now: datetime | None = None) -> list[int]:
    """Append many events at once (a batch of the deadline chaser): the same rows, links and HMACs as calling
    record_event for each in turn, in three queries whatever the batch holds — the chains' locks taken in one
    statement (in ascending order, as every bulk writer takes them), their heads read in one, the rows written
    in one INSERT. Events of one chain are linked in the order given. Returns the new rows' ids, in that order.
    Call inside the transaction of the change."""
    if not connection.in_atomic_block:
        raise RuntimeError("record_events must run inside the transaction of the change it records")
    events = list(events)
    if not events:
        return []
    now = now or timezone.now()
    actor_id = getattr(actor, "pk", None)
    actor_name = str(actor)[:80] if actor else ""
    chains = sorted({event.institution_id for event in events}, key=chain_sort_key)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # unnest keeps the array's order, so the locks are taken in ascending order: no deadlock between two
            # bulk writers, and a single-event writer holds one chain lock only.
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(%s + COALESCE(chain, 0))) FROM unnest(%s::bigint[]) AS chain",
                [_LOCK_BASE, chains],
            )
    heads = _last_hashes(chains)
    key, use_payload = hmac_key(), connection.vendor == "postgresql"
    rows = []
    for event in events:
        kind = _check_kind(event.kind)
        summary, object_id = str(event.summary)[:200], str(event.object_id)
        prev_hash = heads.get(event.institution_id, GENESIS_HASH)
        # One JSON encoding a row: DjangoJSONEncoder writes dates, times and decimals as json_safe would, so the
        # document is the one record_event hashes; PostgreSQL takes before and after out of it.
        payload = _payload(prev_hash=prev_hash, created_at=now, actor_id=actor_id, institution_id=event.institution_id,
                           object_type=event.object_type, object_id=object_id, kind=kind, summary=summary,
                           before=event.before, after=event.after, encoder=DjangoJSONEncoder)
        digest = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
        heads[event.institution_id] = digest
        rows.append((event, kind, summary, object_id, prev_hash, digest, payload if use_payload else None))
    hooks.work_changed()
    if not use_payload:
        created = AuditEvent.objects.bulk_create([
            AuditEvent(created_at=now, actor_id=actor_id, actor_name=actor_name, institution_id=event.institution_id,
                       object_type=event.object_type, object_id=object_id, kind=kind, summary=summary,
                       before=json_safe(event.before) if event.before is not None else None,
                       after=json_safe(event.after) if event.after is not None else None,
                       prev_hash=prev_hash, hash=digest)
            for event, kind, summary, object_id, prev_hash, digest, _payload_text in rows])
        return [event.pk for event in created]
    # PostgreSQL: one INSERT … SELECT FROM unnest(arrays), without building a model per row; before and after
    # are the hashed document's own (jsonb -> 'before'), so what is stored is what was hashed.
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (created_at, actor_id, actor_name, institution_id, object_type, object_id, kind, "  # noqa: S608
            "summary, before, after, prev_hash, hash) "
            "SELECT %s, %s, %s, (doc ->> 'institution')::bigint, doc ->> 'type', doc ->> 'id', doc ->> 'kind', "
            "doc ->> 'summary', NULLIF(doc -> 'before', 'null'::jsonb), NULLIF(doc -> 'after', 'null'::jsonb), "
            "doc ->> 'prev', digest "
            "FROM unnest(%s::jsonb[], %s::varchar[]) WITH ORDINALITY AS batch(doc, digest, position) "
            "ORDER BY position RETURNING id",
            [now, actor_id, actor_name, [row[6] for row in rows], [row[5] for row in rows]],
        )
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def maintenance():
    """A transaction in which audit rows may be updated or deleted (PostgreSQL: honoured only for a superuser).

    The escape hatch of the append-only trigger, for `audit_rekey` and for removing benchmark data; the session
    variable is set for this transaction only and reset when the block ends. On SQLite there is no trigger.
    """
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [MAINTENANCE_SETTING])
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [MAINTENANCE_SETTING])


# ---- verifying -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainHead:
    """A chain as a checkpoint saw it: its length and its last row."""

    chain: int | None
    length: int
    head_id: int
    head_hash: str


@dataclass(frozen=True)
class Problem:
    """The first row (or checkpoint) of a chain that does not hold, named by chain, position and id."""

    chain: int | None
    position: int | None
    event_id: int | None
    message: str

    def __str__(self):
        where = "checkpoints" if self.position is None else (
            f"chain {'-' if self.chain is None else self.chain}, position {self.position}, "
            f"id {'?' if self.event_id is None else self.event_id}")
        return f"{where}: {self.message}"


def chain_sort_key(chain: int | None) -> tuple[bool, int]:
    """The order chains are walked in everywhere: by institution id, the chain of no institution last."""
    return (chain is None, chain or 0)


_ROW_FIELDS = ("id", "created_at", "actor_id", "institution_id", "object_type", "object_id", "kind", "summary",
               "before", "after", "prev_hash", "hash")


def iter_rows(batch_size: int = 5000):
    """Every audit row as a tuple of _ROW_FIELDS, chain by chain, in order. Constant memory."""
    return (AuditEvent.objects.order_by(F("institution_id").asc(nulls_last=True), "id")
            .values_list(*_ROW_FIELDS).iterator(chunk_size=batch_size))


def row_hash(row: tuple, *, prev_hash: str | None = None, key: str | None = None) -> str:
    (_id, created_at, actor_id, institution_id, object_type, object_id, kind, summary, before, after,
     stored_prev, _hash) = row
    return compute_hash(
        prev_hash=stored_prev if prev_hash is None else prev_hash, created_at=created_at, actor_id=actor_id,
        institution_id=institution_id, object_type=object_type, object_id=object_id, kind=kind, summary=summary,
        before=before, after=after, key=key)


def verify_chains(*, heads: Iterable[ChainHead] | None = None, key: str | None = None,
                  batch_size: int = 5000) -> Iterator[Problem]:
    """Yield a Problem for every row whose link or HMAC does not hold and, given the chain heads of a checkpoint
    (sorted by chain_sort_key), for every chain that is shorter than the checkpoint recorded or whose row at the
    recorded length is another one. Constant memory: rows and heads are merged as two sorted streams."""
    heads = iter(heads or ())
    pending_head = next(heads, None)
    chain, position, expected_prev, last_id, head, at_head = object(), 0, GENESIS_HASH, None, None, None

    def finish():
        if head is None:
            return
        if position < head.length:
            missing = head.length - position
            yield Problem(head.chain, position + 1, head.head_id if missing == 1 else None,
                          f"{missing} row(s) deleted at the tail: the checkpoint recorded {head.length} rows ending "
                          f"with id {head.head_id}; the last row left is id {last_id}")
        elif at_head != (head.head_id, head.head_hash):
            yield Problem(head.chain, head.length, at_head[0],
                          f"the row at the checkpoint's length is not the one it recorded (id {head.head_id}): "
                          f"rows were deleted or inserted before it")

    for row in iter_rows(batch_size):
        event_id, row_chain, prev_hash, stored_hash = row[0], row[3], row[10], row[11]
        if row_chain != chain:
            yield from finish()
            chain, position, expected_prev, head, at_head = row_chain, 0, GENESIS_HASH, None, None
            while pending_head is not None and chain_sort_key(pending_head.chain) < chain_sort_key(chain):
                yield Problem(pending_head.chain, 1, None,
                              f"all {pending_head.length} row(s) of this chain recorded by the checkpoint are gone")
                pending_head = next(heads, None)
            if pending_head is not None and pending_head.chain == chain:
                head, pending_head = pending_head, next(heads, None)
        position += 1
        if prev_hash != expected_prev:
            yield Problem(chain, position, event_id,
                          "link broken: its previous hash is not the hash of the row before it "
                          "(a row was deleted or inserted before it)")
        if row_hash(row, key=key) != stored_hash:
            yield Problem(chain, position, event_id,
                          "content changed: its HMAC does not match its contents (changed, or written without "
                          "the key)")
        expected_prev, last_id = stored_hash, event_id
        if head is not None and position == head.length:
            at_head = (event_id, stored_hash)
    yield from finish()
    while pending_head is not None:
        yield Problem(pending_head.chain, 1, None,
                      f"all {pending_head.length} row(s) of this chain recorded by the checkpoint are gone")
        pending_head = next(heads, None)


def relink_chains(*, key: str, batch_size: int = 5000) -> int:
    """Recompute every row's links with `key` (the key rotation of regulator.audit_checkpoints.rekey, which has
    verified them with the old key and holds the tables and the maintenance hatch). Returns the rows re-linked."""
    chain, prev_hash, changed, rows = object(), GENESIS_HASH, [], 0
    for row in iter_rows(batch_size):
        if row[3] != chain:
            chain, prev_hash = row[3], GENESIS_HASH
        digest = row_hash(row, prev_hash=prev_hash, key=key)
        changed.append(AuditEvent(id=row[0], prev_hash=prev_hash, hash=digest))
        prev_hash, rows = digest, rows + 1
        if len(changed) >= batch_size:
            AuditEvent.objects.bulk_update(changed, ["prev_hash", "hash"])
            changed = []
    AuditEvent.objects.bulk_update(changed, ["prev_hash", "hash"])
    return rows


# ---- showing -------------------------------------------------------------------------------------

_YES_NO = {True: gettext_lazy("是"), False: gettext_lazy("否")}


class EventView:
    """An AuditEvent as the change history shows it: the kind's label and each change under its field's name."""

    def __init__(self, event: AuditEvent):
        self.event = event
        self.label = kind_label(event.kind)
        self.changes = _labelled_changes(event)

    def __getattr__(self, name):
        return getattr(self.event, name)


def _model_for(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


_CHOICES_BY_NAME: dict[str, dict[str, object]] | None = None


def _choice_label(key: str, value):
    """The label of a stored code under a key that is not a field of the event's model (a nested record, a
    campaign item): the choices of any installed model's field of that name. None when no field knows it."""
    global _CHOICES_BY_NAME
    if _CHOICES_BY_NAME is None:
        found: dict[str, dict[str, object]] = {}
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if field.choices:
                    found.setdefault(field.name, {}).update({str(code): label for code, label in field.flatchoices})
        _CHOICES_BY_NAME = found
    if isinstance(value, bool | dict | list) or value is None:
        return None
    label = _CHOICES_BY_NAME.get(key, {}).get(str(value))
    return None if label is None else str(label)


def _nested(value, key: str = "") -> str:
    """A value inside a stored dict or list: dicts show only their labelled keys (ids and internal codes stay in
    the stored row and the export), codes their choice's label, lists are joined, booleans read 是/否."""
    if isinstance(value, dict):
        return "；".join(f"{_FIELD_LABELS[k]}：{_nested(v, k)}" for k, v in value.items()
                        if k in _FIELD_LABELS and v not in (None, "", [], {}))
    if isinstance(value, list):
        separator = " ｜ " if any(isinstance(item, dict) for item in value) else "、"
        return separator.join(text for text in (_nested(item, key) for item in value) if text)
    if isinstance(value, bool):
        return str(_YES_NO[value])
    return _choice_label(key, value) or str(value)


def _display(field, value, key: str = ""):
    if value is None or value == "":
        return None
    if isinstance(value, list | dict):
        return _nested(value, key) or None
    if field is None and (label := _choice_label(key, value)) is not None:
        return label
    if field is not None and field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField) or isinstance(value, bool):
        return str(_YES_NO.get(value, value))
    return value


def _labelled_changes(event: AuditEvent) -> list[tuple[str, object, object]]:
    model = _model_for(event.object_type)
    rows = []
    for key, old, new in event.changes:
        field = None
        if model is not None:
            try:
                field = model._meta.get_field(key)
            except FieldDoesNotExist:
                field = None
        label = field.verbose_name if field is not None and hasattr(field, "verbose_name") else None
        label = label or _FIELD_LABELS.get(key, key)
        concrete = field if field is not None and getattr(field, "concrete", False) else None
        rows.append((str(label), _display(concrete, old, key), _display(concrete, new, key)))
    return rows


def describe_events(events: Iterable[AuditEvent]) -> list[EventView]:
    """For templates: the history rows with labels instead of stored names. No query."""
    return [EventView(event) for event in events]
