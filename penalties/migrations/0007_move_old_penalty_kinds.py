"""Issue 12: 约谈, 取缔, 联合信用惩戒 and 责令退还 are no longer penalty kinds (行政处罚法 Art 9, Order No. 53).

- 责令退还违规收费 becomes the order that accompanies the decision (Decision.refund_ordered / refund_amount);
- 联合信用惩戒 becomes a consequence recorded after the decision (Decision.credit_sanction_at / _note);
- 约谈 becomes an Interview record of the case, dated at the decision;
- 取缔 becomes 责令停止举办 (stop_running), the penalty Order 53 Art 17 gives for running without approval.
The rows of the first three are removed from the penalties; positions keep their gaps."""

from django.db import migrations

MIGRATED_NOTE = "（由原处罚种类“约谈”迁移，约谈内容未记录）"


def forward(apps, schema_editor):
    Penalty = apps.get_model("penalties", "Penalty")
    Decision = apps.get_model("penalties", "Decision")
    Interview = apps.get_model("penalties", "Interview")
    Penalty.objects.filter(kind="ban").update(kind="stop_running")
    for penalty in Penalty.objects.filter(kind__in=["refund_order", "credit_sanction", "talk"]).select_related(
        "decision__case"
    ):
        decision = penalty.decision
        if penalty.kind == "refund_order":
            decision.refund_ordered = True
            decision.refund_amount = (decision.refund_amount or 0) + (penalty.amount or 0)
            decision.save(update_fields=["refund_ordered", "refund_amount"])
        elif penalty.kind == "credit_sanction":
            decision.credit_sanction_at = decision.credit_sanction_at or decision.decided_at
            decision.credit_sanction_note = "\n".join(
                filter(None, [decision.credit_sanction_note, penalty.note or penalty.legal_basis])
            )
            decision.save(update_fields=["credit_sanction_at", "credit_sanction_note"])
        else:
            case = decision.case
            Interview.objects.create(
                department_id=case.department_id,
                institution_id=case.institution_id,
                case_id=case.pk,
                held_at=decision.decided_at,
                place="",
                staff="",
                interviewees="",
                said=penalty.note or MIGRATED_NOTE,
                created_by_id=decision.decided_by_id,
                updated_by_id=decision.decided_by_id,
            )
        penalty.delete()


class Migration(migrations.Migration):
    dependencies = [("penalties", "0006_case_procedure")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
