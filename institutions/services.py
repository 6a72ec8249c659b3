"""Writes to the register. Each function is one transaction that validates, saves and records its audit event."""

from collections import Counter
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from regulator.audit import record_event, snapshot
from regulator.errors import ActionForbidden, ServiceError
from regulator.hooks import institution_moved
from regulator.models import Department

from . import permissions, rules, teachers
from .audit_kinds import InstitutionsAuditKind as Kind
from .models import (
    CHANGE_ONLY_FIELDS,
    REGISTRATION_KINDS,
    SCHOOL_LICENCE_KINDS,
    Institution,
    Licence,
    LicenceStanding,
    LicenceState,
    OperatingState,
    RegisterReview,
    RegisterReviewStatus,
    Site,
    Teacher,
)
from .validators import normalize_id_number


def today_local() -> date:
    return timezone.localdate()


def _apply(instance: models.Model, data: dict) -> None:
    for name, value in data.items():
        setattr(instance, name, value)


def _validate_and_save(instance: models.Model, actor, *, creating: bool) -> None:
    if creating:
        instance.created_by = actor
    instance.updated_by = actor
    try:
        instance.full_clean()
    except ValidationError as error:
        messages = "；".join(str(m) for msgs in error.message_dict.values() for m in msgs)
        raise ServiceError(messages, errors=error.message_dict) from error
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise ServiceError(_("数据与已有记录冲突（可能重复），未保存。")) from error


# ---- standing ------------------------------------------------------------------------------------

def _licence_counts_as_valid(licence: Licence, today: date) -> bool:
    return licence.state == LicenceState.VALID and (licence.valid_until is None or licence.valid_until >= today)


def compute_standing(licences, today: date) -> str:
    kinds = {licence.kind for licence in licences if _licence_counts_as_valid(licence, today)}
    has_school = bool(kinds & SCHOOL_LICENCE_KINDS)
    has_registration = bool(kinds & REGISTRATION_KINDS)
    if has_school and has_registration:
        return LicenceStanding.BOTH
    if has_registration:
        return LicenceStanding.BUSINESS_ONLY
    if has_school:
        return LicenceStanding.SCHOOL_ONLY
    return LicenceStanding.NONE


def mark_public_pages(institution_ids) -> int:
    """The institutions now have a public page (a list entry, a spot-check result or an annual-inspection result was
    published about them, inside the caller's transaction): Institution.has_public_page, never unset, since what
    was once published stays on the page (a removed entry shows as removed). Returns how many changed."""
    return Institution.objects.filter(pk__in=institution_ids, has_public_page=False).update(has_public_page=True)


def refresh_standing(*, institution: Institution, actor=None, today: date | None = None) -> bool:
    """Derive 证照情况 from the valid licences; record it when it changes. Inside the caller's transaction."""
    today = today or today_local()
    standing = compute_standing(Licence.objects.filter(institution=institution), today)
    if standing == institution.licence_standing:
        return False
    before = institution.licence_standing
    institution.licence_standing = standing
    institution.save(update_fields=["licence_standing", "updated_at"])
    record_event(
        actor=actor, kind=Kind.INSTITUTION_STANDING_CHANGED, obj=institution, institution_id=institution.pk,
        before={"licence_standing": before}, after={"licence_standing": standing},
        summary=_("证照情况变为：%(standing)s") % {"standing": institution.get_licence_standing_display()},
    )
    return True


# ---- institutions --------------------------------------------------------------------------------

def _check_region(actor, region_code: str) -> None:
    if not permissions.can_create_institution(actor, region_code):
        raise ActionForbidden(_("该区划不在您的管辖范围内。"))


@transaction.atomic
def institution_create(*, actor, data: dict) -> Institution:
    region = data.get("region")
    _check_region(actor, getattr(region, "code", None))
    institution = Institution()
    _apply(institution, data)
    _validate_and_save(institution, actor, creating=True)
    record_event(actor=actor, kind=Kind.INSTITUTION_CREATED, obj=institution, institution_id=institution.pk,
                 after=snapshot(institution), summary=_("登记机构：%(name)s") % {"name": institution.name})
    return institution


@transaction.atomic
def institution_update(*, actor, institution_id: int, data: dict) -> Institution:
    institution = Institution.objects.select_for_update().get(pk=institution_id)
    if not permissions.can_change_institution(actor, institution):
        raise ActionForbidden(_("您无权修改该机构。"))
    if "region" in data:
        _check_region(actor, data["region"].code)
    before = snapshot(institution)
    old_region = institution.region_id
    if "address" in data and data["address"] != institution.address:
        rules.refuse_subject_class_address_change(institution)
    edited = [name for name in CHANGE_ONLY_FIELDS if name in data and data[name] != getattr(institution, name)]
    if edited:
        raise ServiceError(_("%(fields)s只能通过登记变更（附批准文件）修改。") % {
            "fields": "、".join(str(Institution._meta.get_field(name).verbose_name) for name in edited)})
    _apply(institution, data)
    _validate_and_save(institution, actor, creating=False)
    moved = institution.region_id != old_region
    if moved:
        institution_moved(institution.pk, old_region, institution.region_id)  # its past figures move along
    after = snapshot(institution)
    if before != after:
        record_event(actor=actor, kind=Kind.INSTITUTION_MOVED if moved else Kind.INSTITUTION_UPDATED,
                     obj=institution, institution_id=institution.pk, before=before, after=after,
                     summary=_("变更所属区划") if moved else _("修改机构信息"))
    return institution


@transaction.atomic
def register_review_check(*, actor, review_id: int, now=None) -> RegisterReview:
    """待核对 done: someone who may edit the institution has looked (and corrected the entry if it needed it).
    Idempotent."""
    review = RegisterReview.objects.select_for_update().select_related("institution").get(pk=review_id)
    if not permissions.can_change_institution(actor, review.institution):
        raise ActionForbidden(_("您无权修改该机构。"))
    if review.status == RegisterReviewStatus.CHECKED:
        return review
    review.status, review.checked_at, review.checked_by = RegisterReviewStatus.CHECKED, now or timezone.now(), actor
    review.updated_by = actor
    review.save(update_fields=["status", "checked_at", "checked_by", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.REGISTER_REVIEW_CHECKED, obj=review, institution_id=review.institution_id,
                 before={"status": RegisterReviewStatus.PENDING}, after={"status": review.status},
                 summary=_("核对无误：%(reason)s") % {"reason": review.reason})
    return review


def referencing_records(instance: models.Model) -> dict[str, int]:
    """What still refers to `instance` through a protected (or restricted) foreign key, as {"检查记录": 2, …}
    (verbose names, counted); empty when it can be deleted. Asks the same collector that delete() uses."""
    collector = Collector(using=router.db_for_write(type(instance)), origin=instance)
    try:
        collector.collect([instance])
    except (ProtectedError, RestrictedError) as error:
        blocking = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
        counts: Counter = Counter(str(obj._meta.verbose_name) for obj in blocking)
        return dict(sorted(counts.items()))
    return {}


def _refuse_if_referenced(instance: models.Model, what: str) -> None:
    records = referencing_records(instance)
    if records:
        listed = _("、").join(
            _("%(name)s %(count)d 条") % {"name": name, "count": count} for name, count in records.items())
        raise ServiceError(
            _("%(what)s仍被以下记录引用，不能删除：%(records)s。这些记录须完整保留；如机构已停止办学，请在“修改”中将"
              "经营状态改为“已关停”（注销）或“停办整改”。") % {"what": what, "records": listed}
        )


@transaction.atomic
def institution_delete(*, actor, institution_id: int) -> None:
    """Deletes an institution entered by mistake. One that visits, orders, cases or list entries refer to is refused
    with a ServiceError naming them: such an institution is closed (注销: operating state 已关停), not deleted."""
    institution = Institution.objects.select_for_update().get(pk=institution_id)
    if not permissions.can_delete_institution(actor, institution):
        raise ActionForbidden(_("您无权删除该机构。"))
    _refuse_if_referenced(institution, _("该机构"))
    before = snapshot(institution)
    pk = institution.pk
    institution.delete()
    record_event(actor=actor, kind=Kind.INSTITUTION_DELETED, object_type="institutions.institution", object_id=pk,
                 institution_id=pk, before=before, summary=_("删除机构：%(name)s") % {"name": before["name"]})


@transaction.atomic
def institution_share(*, actor, institution: Institution, department: Department) -> None:
    """Share an institution's file with a department outside its region (referral, joint case)."""
    if not permissions.can_share_institution(actor, institution):
        raise ActionForbidden(_("您无权共享该机构档案。"))
    assign_perm(permissions.VIEW_INSTITUTION, department.group, institution)
    record_event(actor=actor, kind=Kind.INSTITUTION_SHARED, obj=institution, institution_id=institution.pk,
                 after={"department": department.pk}, summary=_("共享给：%(dept)s") % {"dept": department.name})


# ---- children of an institution: sites, teachers, licences --------------------------------------

# (created, updated, deleted) of each kind of child row.
_CHILD_KINDS = {
    Site: (Kind.SITE_CREATED, Kind.SITE_UPDATED, Kind.SITE_DELETED),
    Teacher: (Kind.TEACHER_CREATED, Kind.TEACHER_UPDATED, Kind.TEACHER_DELETED),
    Licence: (Kind.LICENCE_CREATED, Kind.LICENCE_UPDATED, Kind.LICENCE_DELETED),
}


def _save_child(*, actor, institution: Institution, instance: models.Model, data: dict, label: str):
    creating = instance.pk is None
    before = None if creating else snapshot(instance)
    instance.institution = institution
    _apply(instance, data)
    _validate_and_save(instance, actor, creating=creating)
    after = snapshot(instance)
    if creating or before != after:
        record_event(
            actor=actor, kind=_CHILD_KINDS[type(instance)][0 if creating else 1], obj=instance,
            institution_id=institution.pk,
            before=before, after=after,
            summary=(_("新增%(what)s：%(name)s") if creating else _("修改%(what)s：%(name)s"))
            % {"what": label, "name": str(instance)},
        )
    return instance


def _delete_child(*, actor, institution: Institution, instance: models.Model, label: str) -> None:
    _refuse_if_referenced(instance, label)
    before = snapshot(instance)
    pk = instance.pk
    instance.delete()
    record_event(actor=actor, kind=_CHILD_KINDS[type(instance)][2], object_type=instance._meta.label_lower,
                 object_id=pk, institution_id=institution.pk, before=before,
                 summary=_("删除%(what)s：%(name)s") % {"what": label, "name": str(instance)})


def _locked_institution(institution_id: int) -> Institution:
    return Institution.objects.select_for_update().get(pk=institution_id)


@transaction.atomic
def site_save(*, actor, institution_id: int, data: dict, site_id: int | None = None) -> Site:
    institution = _locked_institution(institution_id)
    if not permissions.can_change_sites_and_teachers(actor, institution):
        raise ActionForbidden(_("您无权修改该机构的办学点。"))
    if "region" in data and not data["region"].code.startswith(institution.region_id[:6]):
        raise ServiceError(_("办学点应位于机构所在县（区）内。"), field="region")
    if not site_id:
        rules.refuse_subject_class_branch(institution)
    site = Site.objects.get(pk=site_id, institution=institution) if site_id else Site()
    return _save_child(actor=actor, institution=institution, instance=site, data=data, label=_("办学点"))


@transaction.atomic
def site_delete(*, actor, institution_id: int, site_id: int) -> None:
    institution = _locked_institution(institution_id)
    if not permissions.can_change_sites_and_teachers(actor, institution):
        raise ActionForbidden(_("您无权修改该机构的办学点。"))
    site = Site.objects.get(pk=site_id, institution=institution)
    _delete_child(actor=actor, institution=institution, instance=site, label=_("办学点"))


@transaction.atomic
def teacher_save(*, actor, institution_id: int, data: dict, teacher_id: int | None = None) -> Teacher:
    """Record or correct an employment record. The person is known by the identity number: the record joins
    their identity (created on first sight), whose ban in force refuses it and whose roster entry flags it."""
    institution = _locked_institution(institution_id)
    if not permissions.can_change_sites_and_teachers(actor, institution):
        raise ActionForbidden(_("您无权修改该机构的培训人员。"))
    teacher = Teacher.objects.get(pk=teacher_id, institution=institution) if teacher_id else Teacher()
    if teacher.pk and teacher.ended_on is not None:
        raise ServiceError(_("该人员已于%(date)s离职，任职记录不能再修改。") % {"date": teacher.ended_on.isoformat()})
    if "id_number" in data:
        data = {**data, "id_number": normalize_id_number(data["id_number"])}
        teachers.refuse_if_banned(data["id_number"])
    if data.get("id_number"):
        validate = Teacher._meta.get_field("id_number").run_validators
        try:
            validate(data["id_number"])
        except ValidationError as error:
            raise ServiceError("；".join(error.messages), field="id_number") from error
        data = {**data, "identity": teachers.identity_for(id_number=data["id_number"],
                                                          name=data.get("name") or teacher.name)}
        roster_id = teachers.in_service_roster_naming(data["id_number"])
        data["in_service_roster_id"] = roster_id
        data["in_service_flagged_at"] = (teacher.in_service_flagged_at or timezone.now()) if roster_id else None
    elif "id_number" in data:
        data = {**data, "identity": None, "in_service_flagged_at": None, "in_service_roster_id": None}
    return _save_child(actor=actor, institution=institution, instance=teacher, data=data, label=_("培训人员"))


@transaction.atomic
def teacher_delete(*, actor, institution_id: int, teacher_id: int) -> None:
    institution = _locked_institution(institution_id)
    if not permissions.can_change_sites_and_teachers(actor, institution):
        raise ActionForbidden(_("您无权修改该机构的培训人员。"))
    teacher = Teacher.objects.get(pk=teacher_id, institution=institution)
    _delete_child(actor=actor, institution=institution, instance=teacher, label=_("培训人员"))


@transaction.atomic
def licence_save(*, actor, institution_id: int, data: dict, licence_id: int | None = None,
                 today: date | None = None) -> Licence:
    institution = _locked_institution(institution_id)
    licence = Licence.objects.get(pk=licence_id, institution=institution) if licence_id else Licence()
    for kind in {licence.kind, data.get("kind")} - {None, ""}:
        if not permissions.can_change_licence(actor, institution, kind, licence.issuer_id):
            raise ActionForbidden(_("该证照不在您部门的职责范围内。"))
    licence = _save_child(actor=actor, institution=institution, instance=licence, data=data, label=_("证照"))
    refresh_standing(institution=institution, actor=actor, today=today)
    return licence


@transaction.atomic
def licence_delete(*, actor, institution_id: int, licence_id: int, today: date | None = None) -> None:
    institution = _locked_institution(institution_id)
    licence = Licence.objects.get(pk=licence_id, institution=institution)
    if not permissions.can_change_licence(actor, institution, licence.kind, licence.issuer_id):
        raise ActionForbidden(_("该证照不在您部门的职责范围内。"))
    _delete_child(actor=actor, institution=institution, instance=licence, label=_("证照"))
    refresh_standing(institution=institution, actor=actor, today=today)


def expire_licences(*, today: date | None = None, batch_size: int = 500) -> int:
    """Mark licences past their validity as expired and re-derive standings. Idempotent; batched."""
    today = today or today_local()
    expired = 0
    while True:
        with transaction.atomic():
            batch = list(
                Licence.objects.select_for_update(skip_locked=True)
                .filter(state=LicenceState.VALID, valid_until__lt=today)
                .order_by("id")[:batch_size]
            )
            if not batch:
                return expired
            for licence in batch:
                institution = Institution.objects.select_for_update().get(pk=licence.institution_id)
                licence.state = LicenceState.EXPIRED
                licence.save(update_fields=["state", "updated_at"])
                record_event(actor=None, kind=Kind.LICENCE_EXPIRED, obj=licence, institution_id=institution.pk,
                             before={"state": LicenceState.VALID}, after={"state": LicenceState.EXPIRED},
                             summary=_("证照到期：%(licence)s") % {"licence": str(licence)})
                refresh_standing(institution=institution, today=today)
            expired += len(batch)


# ---- changes ordered by other apps' decisions (the caller has checked its own permission) ---------

@transaction.atomic
def licence_revoke(*, actor, licence_id: int, reason: str, today: date | None = None) -> Licence:
    """吊销: a penalty decision revokes a licence; the standing is re-derived. Idempotent."""
    licence = Licence.objects.select_for_update().get(pk=licence_id)
    institution = _locked_institution(licence.institution_id)
    if licence.state == LicenceState.REVOKED:
        return licence
    before = {"state": licence.state}
    licence.state, licence.updated_by = LicenceState.REVOKED, actor
    licence.save(update_fields=["state", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.LICENCE_REVOKED, obj=licence, institution_id=institution.pk, before=before,
                 after={"state": LicenceState.REVOKED, "reason": reason},
                 summary=_("吊销%(licence)s：%(reason)s") % {"licence": str(licence), "reason": reason})
    refresh_standing(institution=institution, actor=actor, today=today)
    return licence


@transaction.atomic
def institution_set_operating_state(*, actor, institution_id: int, state: str, reason: str) -> Institution:
    """停办整改 / 取缔 / back to operating, as ordered by a notice or decision. Idempotent."""

    if state not in OperatingState.values:
        raise ServiceError(_("经营状态无效。"))
    institution = _locked_institution(institution_id)
    if institution.operating_state == state:
        return institution
    before = {"operating_state": institution.operating_state}
    institution.operating_state, institution.updated_by = state, actor
    institution.save(update_fields=["operating_state", "updated_by", "updated_at"])
    record_event(actor=actor, kind=Kind.INSTITUTION_OPERATING_STATE_CHANGED, obj=institution,
                 institution_id=institution.pk, before=before, after={"operating_state": state, "reason": reason},
                 summary=_("经营状态变为：%(state)s（%(reason)s）") % {
                     "state": institution.get_operating_state_display(), "reason": reason})
    return institution
