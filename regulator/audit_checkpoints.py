"""Daily checkpoints of the audit trail: each chain's length and head, signed, so a shortened chain is noticed.

The HMAC of each row (regulator.audit) proves that no row was changed or forged without the key, but a chain
whose last rows were deleted is still a valid chain. A checkpoint remembers how long every chain was; the beat job
takes one every night (under an advisory lock), `manage.py audit_checkpoint --export FILE` writes the state to a
signed JSON file to keep outside the database, and `audit_verify` compares the chains with the latest checkpoint
or with such a file. docs/audit.md describes the procedure.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from .audit import (
    ChainHead,
    Problem,
    chain_sort_key,
    key_fingerprint,
    maintenance,
    relink_chains,
    sign,
    verify_chains,
)
from .locks import advisory_lock
from .models import AuditCheckpoint, AuditCheckpointChain, AuditEvent

FILE_FORMAT = "regulator-audit-checkpoint"
FILE_VERSION = 1
_BATCH = 2000


class CheckpointFileError(ValueError):
    """A checkpoint file that cannot be read or whose signature does not hold."""


def _entry_line(chain, length, head_id, head_hash) -> bytes:
    return f"{'-' if chain is None else chain}:{length}:{head_id}:{head_hash}\n".encode()


def entries_digest(heads: Iterable[ChainHead]) -> str:
    """SHA-256 over the chain heads in chain order: what a checkpoint's signature covers."""
    digest = hashlib.sha256()
    for head in heads:
        digest.update(_entry_line(head.chain, head.length, head.head_id, head.head_hash))
    return digest.hexdigest()


def _signed_fields(checkpoint: AuditCheckpoint) -> dict:
    return {
        "created_at": checkpoint.created_at.isoformat(),
        "through_id": checkpoint.through_id,
        "rows": checkpoint.rows,
        "chains": checkpoint.chains,
        "entries": checkpoint.entries_digest,
        "previous": checkpoint.previous_signature,
    }


def _entries_of(checkpoint_id: int) -> Iterator[ChainHead]:
    rows = (AuditCheckpointChain.objects.filter(checkpoint_id=checkpoint_id)
            .order_by(F("chain").asc(nulls_last=True))
            .values_list("chain", "length", "head_id", "head_hash").iterator(chunk_size=_BATCH))
    return (ChainHead(*row) for row in rows)


def checkpoint_heads(checkpoint: AuditCheckpoint | None = None) -> Iterator[ChainHead]:
    """The state at `checkpoint` (default: the latest): each chain's latest entry up to it, in chain order."""
    checkpoint = checkpoint or AuditCheckpoint.objects.order_by("-id").first()
    if checkpoint is None:
        return iter(())
    entries = (AuditCheckpointChain.objects.filter(checkpoint_id__lte=checkpoint.pk)
               .order_by(F("chain").asc(nulls_last=True), "-checkpoint_id"))
    if connection.vendor == "postgresql":
        rows = entries.distinct("chain").values_list("chain", "length", "head_id", "head_hash")
        return (ChainHead(*row) for row in rows.iterator(chunk_size=_BATCH))
    return _first_per_chain(entries.values_list("chain", "length", "head_id", "head_hash").iterator(_BATCH))


def _first_per_chain(rows) -> Iterator[ChainHead]:
    seen = object()
    for row in rows:
        if row[0] != seen:
            seen = row[0]
            yield ChainHead(*row)


def _current_chains() -> Iterator[tuple[int | None, int, int]]:
    """(chain, length, last id) of every chain now, in chain order: one index-only scan of the chain index."""
    rows = (AuditEvent.objects.values("institution_id").annotate(length=Count("*"), head_id=Max("id"))
            .order_by(F("institution_id").asc(nulls_last=True))
            .values_list("institution_id", "length", "head_id"))
    return rows.iterator(chunk_size=_BATCH)


def _merge(current, previous) -> Iterator[tuple[tuple | None, ChainHead | None]]:
    """Pairs (current chain, previous head) of two streams sorted by chain."""
    current, previous = iter(current), iter(previous)
    now_row, old = next(current, None), next(previous, None)
    while now_row is not None or old is not None:
        if old is None or (now_row is not None and chain_sort_key(now_row[0]) < chain_sort_key(old.chain)):
            yield now_row, None
            now_row = next(current, None)
        elif now_row is None or chain_sort_key(old.chain) < chain_sort_key(now_row[0]):
            yield None, old
            old = next(previous, None)
        else:
            yield now_row, old
            now_row, old = next(current, None), next(previous, None)


def _hashes(ids: list[int]) -> dict[int, str]:
    found = {}
    for start in range(0, len(ids), _BATCH):
        found.update(AuditEvent.objects.filter(id__in=ids[start:start + _BATCH]).values_list("id", "hash"))
    return found


def checkpoint_take(*, now: datetime | None = None, key: str | None = None
                    ) -> tuple[AuditCheckpoint, list[Problem]]:
    """Record every chain that grew since the previous checkpoint; sign. Returns (checkpoint, problems).

    A chain that is now shorter than recorded, or whose recorded head row is gone or changed, is not recorded
    again (the checkpoint never vouches for a damaged chain): it is returned as a problem, and `audit_verify`
    keeps reporting it against the last good state.
    """
    now = now or timezone.now()
    with transaction.atomic():
        previous = AuditCheckpoint.objects.order_by("-id").first()
        problems, grown, kept, rows, chains = [], [], {}, 0, 0
        for current, old in _merge(_current_chains(), checkpoint_heads(previous) if previous else ()):
            if current is None:
                problems.append(Problem(old.chain, 1, None, f"all {old.length} row(s) recorded before are gone"))
                rows, chains = rows + old.length, chains + 1
                continue
            chain, length, head_id = current
            if old is not None and (length, head_id) == (old.length, old.head_id):
                rows, chains = rows + length, chains + 1
                continue
            if old is not None and (length < old.length or head_id < old.head_id):
                problems.append(Problem(chain, min(length, old.length) + 1, None,
                                        f"chain is shorter than recorded ({length} < {old.length} rows)"))
                rows, chains = rows + old.length, chains + 1
                continue
            grown.append((chain, length, head_id))
            if old is not None:
                kept[chain] = old
        old_heads = _hashes([old.head_id for old in kept.values()])
        new_heads = _hashes([head_id for _chain, _length, head_id in grown])
        entries = []
        for chain, length, head_id in grown:
            old = kept.get(chain)
            if old is not None and old_heads.get(old.head_id) != old.head_hash:
                problems.append(Problem(chain, old.length, old.head_id,
                                        "the row that ended this chain at the previous checkpoint is gone or changed"))
                rows, chains = rows + old.length, chains + 1
                continue
            entries.append(ChainHead(chain, length, head_id, new_heads[head_id]))
            rows, chains = rows + length, chains + 1
        checkpoint = AuditCheckpoint(
            created_at=now, through_id=AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0, rows=rows,
            chains=chains, entries_digest=entries_digest(entries),
            previous_signature=previous.signature if previous else "",
        )
        checkpoint.signature = sign(_signed_fields(checkpoint), key=key)
        checkpoint.save()
        AuditCheckpointChain.objects.bulk_create(
            (AuditCheckpointChain(checkpoint=checkpoint, chain=head.chain, length=head.length, head_id=head.head_id,
                                  head_hash=head.head_hash) for head in entries),
            batch_size=_BATCH,
        )
    return checkpoint, problems


def checkpoint_run(*, now: datetime | None = None) -> dict:
    """The nightly job: one checkpoint, under an advisory lock so a second beat does nothing."""
    with advisory_lock("regulator.audit_checkpoint") as acquired:
        if not acquired:
            return {"skipped": True}
        checkpoint, problems = checkpoint_take(now=now)
    return {"checkpoint": checkpoint.pk, "chains": checkpoint.chains, "rows": checkpoint.rows,
            "problems": [str(problem) for problem in problems]}


def verify_checkpoints(*, key: str | None = None) -> Iterator[Problem]:
    """Each checkpoint's signature over its entries and its link to the one before it."""
    previous_signature = ""
    for checkpoint in AuditCheckpoint.objects.order_by("id").iterator(chunk_size=_BATCH):
        if checkpoint.previous_signature != previous_signature:
            yield Problem(None, None, None, f"checkpoint #{checkpoint.pk} does not follow the checkpoint before it "
                                            f"(a checkpoint was deleted or inserted)")
        if entries_digest(_entries_of(checkpoint.pk)) != checkpoint.entries_digest or (
                sign(_signed_fields(checkpoint), key=key) != checkpoint.signature):
            yield Problem(None, None, None, f"checkpoint #{checkpoint.pk}: its signature does not hold "
                                            f"(changed, or signed with another key)")
        previous_signature = checkpoint.signature


# ---- files ---------------------------------------------------------------------------------------

_FILE_FIELDS = ("format", "version", "checkpoint", "created_at", "key", "rows", "chain_count", "digest")


def _file_fields(meta: dict) -> dict:
    return {name: meta[name] for name in _FILE_FIELDS}


def checkpoint_export(path: str | Path, *, checkpoint: AuditCheckpoint | None = None,
                      key: str | None = None) -> dict:
    """Write the state at `checkpoint` (default: the latest) as a signed JSON file. Returns its header."""
    checkpoint = checkpoint or AuditCheckpoint.objects.order_by("-id").first()
    if checkpoint is None:
        raise CheckpointFileError("there is no checkpoint to export: run `manage.py audit_checkpoint` first")
    digest, rows, chains = hashlib.sha256(), 0, 0
    path = Path(path)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"chains": [\n')
        for head in checkpoint_heads(checkpoint):
            digest.update(_entry_line(head.chain, head.length, head.head_id, head.head_hash))
            out.write(("" if chains == 0 else ",\n") + json.dumps([head.chain, head.length, head.head_id,
                                                                   head.head_hash]))
            rows, chains = rows + head.length, chains + 1
        meta = {
            "format": FILE_FORMAT, "version": FILE_VERSION, "checkpoint": checkpoint.pk,
            "created_at": checkpoint.created_at.isoformat(), "key": key_fingerprint(key), "rows": rows,
            "chain_count": chains, "digest": digest.hexdigest(),
        }
        meta["signature"] = sign(_file_fields(meta), key=key)
        out.write("\n],\n" + json.dumps(meta, indent=1)[1:-1].strip("\n") + "\n}\n")
    return meta


def checkpoint_file_heads(path: str | Path, *, key: str | None = None) -> tuple[dict, list[ChainHead]]:
    """Read and check a file written by checkpoint_export; CheckpointFileError if it does not hold."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        heads = sorted((ChainHead(chain, int(length), int(head_id), str(head_hash))
                        for chain, length, head_id, head_hash in data["chains"]),
                       key=lambda head: chain_sort_key(head.chain))
        meta = {name: data[name] for name in (*_FILE_FIELDS, "signature")}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointFileError(f"{path}: not a checkpoint file ({error})") from error
    if meta["format"] != FILE_FORMAT or meta["version"] != FILE_VERSION:
        raise CheckpointFileError(f"{path}: not a checkpoint file of version {FILE_VERSION}")
    if meta["key"] != key_fingerprint(key):
        raise CheckpointFileError(f"{path}: signed with another key (fingerprint {meta['key']}, "
                                  f"this installation's is {key_fingerprint(key)})")
    if entries_digest(heads) != meta["digest"] or sign(_file_fields(meta), key=key) != meta["signature"]:
        raise CheckpointFileError(f"{path}: its signature does not hold (the file was changed)")
    return meta, heads


# ---- key rotation --------------------------------------------------------------------------------

def rekey(*, old_key: str, new_key: str, batch_size: int = _BATCH) -> dict:
    """Recompute every link and checkpoint signature with a new key, after verifying all of them with the old.

    One transaction, with the table locked against writers (PostgreSQL) and the trigger's maintenance escape
    hatch open (it needs a superuser connection there). Refuses if anything does not verify with the old key, so
    a rotation never launders a tampered row.
    """
    problems = [*verify_checkpoints(key=old_key), *verify_chains(heads=checkpoint_heads(), key=old_key)]
    if problems:
        raise ValueError(f"{len(problems)} problem(s) with the old key; first: {problems[0]}")
    with maintenance():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {AuditEvent._meta.db_table}, {AuditCheckpoint._meta.db_table}, "
                               f"{AuditCheckpointChain._meta.db_table} IN EXCLUSIVE MODE")
        rows = relink_chains(key=new_key, batch_size=batch_size)
        previous_signature = ""
        for checkpoint in AuditCheckpoint.objects.order_by("id"):
            checkpoint.entries_digest = _rehash_entries(checkpoint.pk, batch_size)
            checkpoint.previous_signature = previous_signature
            checkpoint.signature = sign(_signed_fields(checkpoint), key=new_key)
            checkpoint.save(update_fields=["entries_digest", "previous_signature", "signature"])
            previous_signature = checkpoint.signature
    return {"rows": rows, "checkpoints": AuditCheckpoint.objects.count()}


def _rehash_entries(checkpoint_id: int, batch_size: int) -> str:
    """Point a checkpoint's entries at their head rows' new hashes, a batch at a time; returns the new digest."""
    digest = hashlib.sha256()
    rows = (AuditCheckpointChain.objects.filter(checkpoint_id=checkpoint_id).order_by(F("chain").asc(nulls_last=True))
            .values_list("id", "chain", "length", "head_id").iterator(chunk_size=batch_size))
    batch = []

    def flush():
        hashes = _hashes([head_id for _id, _chain, _length, head_id in batch])
        entries = []
        for entry_id, chain, length, head_id in batch:
            digest.update(_entry_line(chain, length, head_id, hashes[head_id]))
            entries.append(AuditCheckpointChain(id=entry_id, head_hash=hashes[head_id]))
        AuditCheckpointChain.objects.bulk_update(entries, ["head_hash"])
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return digest.hexdigest()
