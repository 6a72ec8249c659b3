"""Fewer indexes and one foreign key per row on FundTransaction (the statement import writes 50,000 rows at a time):
(account, sequence) replaces the indexes on account, statement and (account, booked_on); a partial index serves the
daily job's outflows; on PostgreSQL one composite foreign key (statement_id, account_id) -> the statement's
(id, account_id) replaces the two single ones (each checked per row at commit), and also keeps a row's account its
statement's. SQLite (the demo) keeps no foreign key on the two fields."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


FOREIGN_KEY = "fund_tx_statement_account_fk"


def add_foreign_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE funds_fundtransaction ADD CONSTRAINT {FOREIGN_KEY} FOREIGN KEY (statement_id, account_id) "
            f"REFERENCES funds_statementimport (id, account_id) DEFERRABLE INITIALLY DEFERRED")


def drop_foreign_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE funds_fundtransaction DROP CONSTRAINT {FOREIGN_KEY}")


class Migration(migrations.Migration):

    dependencies = [
        ('funds', '0003_parent_report_alerts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='fundtransaction',
            name='fund_tx_account_day',
        ),
        migrations.AlterField(
            model_name='fundtransaction',
            name='account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='transactions', to='funds.fundaccount', verbose_name='账户'),
        ),
        migrations.AlterField(
            model_name='fundtransaction',
            name='statement',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='transactions', to='funds.statementimport', verbose_name='导入批次'),
        ),
        migrations.AddIndex(
            model_name='fundtransaction',
            index=models.Index(fields=['account', 'sequence'], name='fund_tx_account_sequence'),
        ),
        migrations.AddIndex(
            model_name='fundtransaction',
            index=models.Index(condition=models.Q(('amount__lt', 0), ('is_release', False)), fields=['booked_on'], name='fund_tx_outflow_day'),
        ),
        migrations.AddConstraint(
            model_name='statementimport',
            constraint=models.UniqueConstraint(fields=('id', 'account'), name='statement_import_id_account_unique'),
        ),
        migrations.RunPython(add_foreign_key, drop_foreign_key),
    ]
