"""The visit page's outbox, applied on the server exactly once (issue 18).

The phone queues every change to a visit (start with position, an answer, a photo, the signature or refusal,
the submit) in IndexedDB with a client-generated id and sends them one at a time, in order. `mutation_apply`
locks the visit, looks the id up in SyncedMutation and, if it was seen, answers the stored verdict again
(a replay is accepted and ignored); otherwise it calls the ordinary service (services.py) and stores the
verdict in the same transaction, so the change and the record of it are written together or not at all.

Verdicts: ``accepted``; ``refused`` with a Chinese reason (the visit was cancelled, reassigned or submitted by
someone else, the photo failed the content check, the clock of the phone is wrong …); ``conflict`` when another
inspector changed the same item since the phone last saw it: both versions are returned and the phone asks
which one stands. ``retry`` tells the phone the refusal was not stored and the same mutation may pass later.

Photos arrive in chunks (`chunk_store`) before their mutation; the mutation assembles them.
"""

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from regulator.errors import ServiceError
from regulator.params import MAX_ID, parse_id

from . import conf, permissions, services
from .models import (
    ChecklistAnswer,
    Evidence,
    SyncedMutation,
    SyncKind,
    SyncVerdict,
    UploadChunk,
    Visit,
    VisitStatus,
)
from .selectors import answer_version, evidence_url

ACCEPTED = SyncVerdict.ACCEPTED.value
REFUSED = SyncVerdict.REFUSED.value
CONFLICT = "conflict"
_MAX_CHUNKS = 200
_CHUNK_DAYS = 7


@dataclass
class Verdict:
    verdict: str
    reason: str = ""
    replay: bool = False
    retry: bool = False
    data: dict = field(default_factory=dict)

    def as_json(self, client_id) -> dict:
        return {"id": str(client_id), "verdict": self.verdict, "reason": self.reason, "replay": self.replay,
                "retry": self.retry, **self.data}


class MutationInvalid(ServiceError):
    """The request is not a mutation at all (a missing id, an unknown kind): answered 400."""


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as error:
        raise MutationInvalid(_("同步记录缺少有效的编号。")) from error


def _id(value) -> int | None:
    """A database id from JSON (a number or a string of digits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    return parse_id(value) if isinstance(value, str) else None


def _text(value, limit: int = 4000) -> str:
    """A string field of a payload: PostgreSQL refuses NUL in text, so it goes; so does what is not a string."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return str(value).replace("\x00", "")[:limit]


def _number(value) -> float | None:
    """A finite coordinate or accuracy, or None (a NaN or an infinity from a broken phone would not compare)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and abs(number) < 1e7 else None


def _time(value) -> datetime:
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise MutationInvalid(_("同步记录缺少有效的时间。"))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


def _clock_refusal(sent_at: datetime, device_time: datetime, now: datetime) -> Verdict | None:
    limit = conf.get("INSPECTIONS_SYNC_MAX_CLOCK_SKEW_SECONDS")
    skew = (sent_at - now).total_seconds()
    if abs(skew) > limit:
        return Verdict(
            REFUSED,
            _("手机时间与服务器时间相差约 %(minutes)s 分钟，请校准手机时间后重新同步。")
            % {"minutes": round(abs(skew) / 60)},
            retry=True,
        )
    if device_time > sent_at + timedelta(seconds=limit):
        return Verdict(REFUSED, _("记录时间晚于发送时间，手机时间曾被调整，该记录未被采用，请重新填写。"))
    return None


def mutation_apply(*, actor, envelope: dict, now: datetime | None = None) -> tuple[uuid.UUID, Verdict]:
    """Apply one outbox mutation exactly once and return its verdict (see the module's docstring)."""
    now = now or timezone.now()
    client_id = _uuid(envelope.get("id"))
    kind = envelope.get("kind")
    if kind not in SyncKind.values:
        raise MutationInvalid(_("同步记录的类别无效。"))
    visit_id = _id(envelope.get("visit"))
    if visit_id is None:
        raise MutationInvalid(_("同步记录缺少检查编号。"))
    device_time = _time(envelope.get("device_time"))
    sent_at = _time(envelope.get("sent_at") or envelope.get("device_time"))
    payload = envelope.get("payload") or {}
    if not isinstance(payload, dict):
        raise MutationInvalid(_("同步记录的内容无效。"))

    with transaction.atomic():
        visit = Visit.objects.select_for_update().filter(pk=visit_id).first()
        seen = SyncedMutation.objects.filter(client_id=client_id).first()
        if seen is not None:
            if seen.user_id != actor.pk or seen.visit_id != visit_id:
                return client_id, Verdict(REFUSED, _("该同步记录编号已被使用。"), replay=True)
            return client_id, Verdict(seen.verdict, seen.reason, replay=True, data=seen.result)
        # Refusals that may pass later: answered, not stored.
        if str(envelope.get("user")) != str(actor.pk):
            return client_id, Verdict(
                REFUSED, _("该离线记录由其他账号填写，请用填写时的账号登录后同步。"), retry=True
            )
        refusal = _clock_refusal(sent_at, device_time, now)
        if refusal is not None and refusal.retry:
            return client_id, refusal
        item_id = _id(payload.get("item")) if kind in (SyncKind.ANSWER, SyncKind.PHOTO) else None
        if refusal is None:
            refusal = _visit_refusal(actor, visit, kind)
        if refusal is None:
            verdict = _apply(actor, visit, kind, payload, item_id, device_time, now)
        else:
            verdict = refusal
        if verdict.retry or verdict.verdict == CONFLICT:
            return client_id, verdict
        try:
            with transaction.atomic():
                SyncedMutation.objects.create(
                    client_id=client_id, user=actor, visit_id=visit_id, kind=kind, item_id=item_id,
                    verdict=verdict.verdict, reason=verdict.reason, device_time=device_time, received_at=now,
                    result=verdict.data,
                )
        except IntegrityError:
            # Only when the visit was gone (no row to lock) and two copies raced: the other one's verdict stands.
            seen = SyncedMutation.objects.get(client_id=client_id)
            return client_id, Verdict(seen.verdict, seen.reason, replay=True, data=seen.result)
    return client_id, verdict


def _visit_refusal(actor, visit: Visit | None, kind: str) -> Verdict | None:
    """The visit changed while the phone was offline: cancelled, reassigned, or submitted by someone else."""
    if visit is None:
        return Verdict(REFUSED, _("该检查已取消，离线填写的内容未被采用。"))
    if not permissions.is_assigned(actor, visit):
        return Verdict(REFUSED, _("该检查已改派给其他检查人员，离线填写的内容未被采用。"))
    if visit.status == VisitStatus.SUBMITTED:
        if kind == SyncKind.SUBMIT and visit.submitted_by_id == actor.pk:
            return None  # the ordinary submit answers a repeat with the same visit
        return Verdict(
            REFUSED,
            _("该检查已由 %(name)s 提交，离线填写的内容未被采用；如需更正请在检查页提交更正说明。")
            % {"name": visit.submitted_by or ""},
        )
    return None


def _apply(actor, visit: Visit, kind: str, payload: dict, item_id, device_time, now) -> Verdict:
    offline = {"device_time": device_time, "received_at": now}
    try:
        with transaction.atomic():
            if kind == SyncKind.START:
                services.visit_start(
                    actor=actor, visit_id=visit.pk, latitude=_number(payload.get("latitude")),
                    longitude=_number(payload.get("longitude")), accuracy=_number(payload.get("accuracy")), now=now,
                    offline=offline,
                )
                return Verdict(ACCEPTED)
            if kind == SyncKind.ANSWER:
                return _apply_answer(actor, visit, payload, item_id, device_time, now, offline)
            if kind == SyncKind.PHOTO:
                return _apply_photo(actor, visit, payload, item_id, now, offline)
            if kind == SyncKind.SIGNATURE:
                services.signature_save(
                    actor=actor, visit_id=visit.pk, signer_name=_text(payload.get("signer_name"), 40),
                    signer_role=_text(payload.get("signer_role"), 40),
                    data_url=_text(payload.get("data_url"), 4 * 1024 * 1024),
                    refused=payload.get("refused") is True, refusal_reason=_text(payload.get("refusal_reason")),
                    now=now, offline=offline,
                )
                return Verdict(ACCEPTED)
            services.visit_submit(
                actor=actor, visit_id=visit.pk, summary=_text(payload.get("summary")), now=now, offline=offline
            )
            return Verdict(ACCEPTED)
    except ServiceError as error:
        # A submit refused for what the visit lacks (an item, the signature) may pass once those are in.
        return Verdict(REFUSED, error.message, retry=(kind == SyncKind.SUBMIT))


def _apply_answer(actor, visit, payload, item_id, device_time, now, offline) -> Verdict:
    if item_id is None:
        return Verdict(REFUSED, _("检查项无效。"))
    later = SyncedMutation.objects.filter(
        visit_id=visit.pk, kind=SyncKind.ANSWER, item_id=item_id, verdict=SyncVerdict.ACCEPTED,
        device_time__gt=device_time,
    ).exists()
    if later:
        # Arrived out of order: a later change of the same item is already in, this one is superseded.
        return Verdict(ACCEPTED, _("该检查项已有更新的填写，本条未覆盖。"), data={"superseded": True})
    result = _text(payload.get("result"), 10)
    remark = _text(payload.get("remark"))
    current = ChecklistAnswer.objects.filter(visit=visit, item_id=item_id).select_related("answered_by").first()
    if current is not None and not payload.get("force"):
        base = _text(payload.get("base"), 100)
        changed_by_other = current.answered_by_id not in (None, actor.pk)
        differs = (current.result, current.remark) != (result, remark)
        if changed_by_other and differs and answer_version(current) != base:
            return Verdict(
                CONFLICT,
                _("%(name)s 在您离线期间修改了该检查项，请选择保留哪一个版本。") % {"name": current.answered_by},
                data={
                    "item": item_id,
                    "theirs": {"result": current.result, "remark": current.remark,
                               "by": str(current.answered_by), "at": current.answered_at.isoformat(),
                               "version": answer_version(current)},
                    "mine": {"result": result, "remark": remark},
                },
            )
    answer = services.answer_save(
        actor=actor, visit_id=visit.pk, item_id=item_id, result=result, remark=remark, now=now, offline=offline
    )
    return Verdict(ACCEPTED, data={"item": item_id, "version": answer_version(answer)})


def _apply_photo(actor, visit, payload, item_id, now, offline) -> Verdict:
    try:
        upload_id = uuid.UUID(_text(payload.get("upload"), 40))
    except ValueError:
        return Verdict(REFUSED, _("照片记录无效。"))
    chunks = _id(payload.get("chunks"))
    if chunks is None or chunks > _MAX_CHUNKS:
        return Verdict(REFUSED, _("照片记录无效。"))
    rows = list(
        UploadChunk.objects.filter(upload_id=upload_id, user=actor, visit_id=visit.pk).order_by("index")
    )
    if [row.index for row in rows] != list(range(chunks)):
        return Verdict(REFUSED, _("照片尚未完整上传，将继续上传。"), retry=True, data={"missing_chunks": True})
    content = b"".join(bytes(row.data) for row in rows)
    name = _text(payload.get("name"), 200) or "photo.jpg"
    upload = SimpleUploadedFile(name, content, content_type=_text(payload.get("content_type"), 60) or "image/jpeg")
    evidence = services.evidence_upload(
        actor=actor, visit_id=visit.pk, upload=upload, client_id=str(upload_id), item_id=item_id, now=now,
        offline=offline,
    )
    UploadChunk.objects.filter(upload_id=upload_id).delete()
    return Verdict(ACCEPTED, data={"evidence": evidence.pk, "url": evidence_url(evidence), "kind": evidence.kind})


def chunk_store(*, actor, visit_id: int, upload_id, index: int, total: int, data: bytes, now=None) -> list[int]:
    """Keep one chunk of a photo (the same chunk again replaces nothing); return the indexes received so far."""
    now = now or timezone.now()
    upload_id = _uuid(upload_id)
    visit = Visit.objects.filter(pk=visit_id).first()
    if visit is None:
        raise ServiceError(_("该检查已取消，离线填写的内容未被采用。"))
    if not permissions.is_assigned(actor, visit):
        raise ServiceError(_("该检查已改派给其他检查人员，离线填写的内容未被采用。"))
    if not (0 <= index < total <= _MAX_CHUNKS):
        raise ServiceError(_("照片分块无效。"))
    if not data or len(data) > conf.get("INSPECTIONS_SYNC_CHUNK_BYTES"):
        raise ServiceError(_("照片分块大小无效。"))
    # Chunks of photos abandoned for a week go; a phone holding very many unsent chunks is told to sync first.
    UploadChunk.objects.filter(user=actor, received_at__lt=now - timedelta(days=_CHUNK_DAYS)).delete()
    if UploadChunk.objects.filter(user=actor).count() >= conf.get("INSPECTIONS_SYNC_MAX_CHUNKS_PER_USER"):
        raise ServiceError(_("待完成的照片上传过多，请稍后再试。"))
    if _photo_done(visit.pk, upload_id):
        # A replayed photo whose mutation was applied already: its chunks are not kept again (nothing would
        # ever assemble them); the phone is told they are all in.
        return list(range(total))
    owner = UploadChunk.objects.filter(upload_id=upload_id).values_list("user_id", "visit_id").first()
    if owner is not None and owner != (actor.pk, visit.pk):
        raise ServiceError(_("该上传编号已被使用。"))
    try:
        with transaction.atomic():
            UploadChunk.objects.create(
                upload_id=upload_id, index=index, user=actor, visit_id=visit.pk, data=data, received_at=now
            )
    except IntegrityError:
        pass  # a resent chunk: the first copy stands
    return chunks_received(actor=actor, upload_id=upload_id)


def _photo_done(visit_id: int, upload_id: uuid.UUID) -> bool:
    """The photo of this upload id is on the visit already (its mutation was applied): see _apply_photo."""
    return Evidence.objects.filter(visit_id=visit_id, client_id=str(upload_id)).exists()


def upload_status(*, actor, upload_id) -> dict:
    """What the phone asks before sending a photo's chunks: the indexes received, and whether the photo is on
    its visit already (a replay of an applied photo: nothing needs sending)."""
    upload_id = _uuid(upload_id)
    done = Evidence.objects.filter(client_id=str(upload_id), uploaded_by=actor).exists()
    return {"received": chunks_received(actor=actor, upload_id=upload_id), "done": done}


def chunks_received(*, actor, upload_id) -> list[int]:
    upload_id = _uuid(upload_id)
    return list(
        UploadChunk.objects.filter(upload_id=upload_id, user=actor).order_by("index").values_list("index", flat=True)
    )
