"""The learning-event store becomes append-only and, on PostgreSQL, partitioned by month.

PostgreSQL: `learning_statement` is rebuilt as a table RANGE-partitioned on `stored`, one
partition per month (months in TIME_ZONE) plus a DEFAULT partition so an insert never fails.
The primary key is (id, stored), since a partitioned table's unique keys must contain the
partition key; `id` still comes from one sequence, so it stays unique. Existing rows are copied
into partitions made for their months. Identity columns are not allowed on partitioned tables
before PostgreSQL 17, hence a sequence owned by the column (what `bigserial` makes).

Both databases refuse UPDATE through a row trigger; PostgreSQL also refuses DELETE. Row triggers
do not stop DROP TABLE, DETACH PARTITION or TRUNCATE, so an operator can still archive whole old
months (docs/operations.md). SQLite allows DELETE because Django empties tables with DELETE
between transactional tests, and every test sign-in records a statement (AuditEvent does the same).

Django's state does not know about the partitions: a later migration that changes `Statement` on
PostgreSQL must be written by hand against the partitioned table, and one that makes SQLite
rebuild the table must create the trigger again.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "learning_statement"
MONTHS_AHEAD = 12

PG_CREATE = """
CREATE TABLE learning_statement_partitioned (
    id bigint NOT NULL,
    uuid uuid NOT NULL,
    verb varchar(32) NOT NULL,
    object_type varchar(32) NOT NULL,
    object_id bigint NOT NULL,
    result jsonb NULL,
    context jsonb NULL,
    "timestamp" timestamp with time zone NOT NULL,
    stored timestamp with time zone NOT NULL,
    actor_id bigint NOT NULL
) PARTITION BY RANGE (stored);
CREATE TABLE learning_statement_default PARTITION OF learning_statement_partitioned DEFAULT;
"""
PG_COPY = """
INSERT INTO learning_statement_partitioned
    (id, uuid, verb, object_type, object_id, result, context, "timestamp", stored, actor_id)
SELECT id, uuid, verb, object_type, object_id, result, context, "timestamp", stored, actor_id
FROM learning_statement;
"""
PG_COPY_BACK = """
INSERT INTO learning_statement
    (id, uuid, verb, object_type, object_id, result, context, "timestamp", stored, actor_id)
SELECT id, uuid, verb, object_type, object_id, result, context, "timestamp", stored, actor_id
FROM learning_statement_partitioned;
"""
PG_FINISH = """
DROP TABLE learning_statement;
ALTER TABLE learning_statement_partitioned RENAME TO learning_statement;
CREATE SEQUENCE learning_statement_id_seq AS bigint OWNED BY learning_statement.id;
ALTER TABLE learning_statement ALTER COLUMN id SET DEFAULT nextval('learning_statement_id_seq');
SELECT setval('learning_statement_id_seq', COALESCE((SELECT max(id) FROM learning_statement), 0) + 1, false);
ALTER TABLE learning_statement ADD CONSTRAINT learning_statement_pkey PRIMARY KEY (id, stored);
CREATE INDEX statement_actor_stored_idx ON learning_statement (actor_id, stored);
-- Rows arrive in `stored` order, so a BRIN index answers time ranges inside a month for a few pages.
CREATE INDEX learning_statement_stored_brin ON learning_statement USING brin (stored);
"""
PG_TRIGGER = """
CREATE OR REPLACE FUNCTION learning_statement_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'learning_statement is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER learning_statement_no_update_delete
    BEFORE UPDATE OR DELETE ON learning_statement
    FOR EACH ROW EXECUTE FUNCTION learning_statement_append_only();
"""
PG_UNDO_TRIGGER = """
DROP TRIGGER IF EXISTS learning_statement_no_update_delete ON learning_statement;
DROP FUNCTION IF EXISTS learning_statement_append_only();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER learning_statement_no_update BEFORE UPDATE ON learning_statement
BEGIN SELECT RAISE(ABORT, 'learning_statement is append-only'); END;
"""


def _month_start(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, 1, tzinfo=tz)


def _next_month(start: dt.datetime) -> dt.datetime:
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def _create_month_partitions(schema_editor, parent: str, first: dt.datetime, last: dt.datetime) -> None:
    # The same names and bounds as yanxiu.learning.statements.statement_partitions_ensure, which
    # the migration does not import so that it keeps meaning what it meant when it was written.
    start = first
    while start <= last:
        end = _next_month(start)
        schema_editor.execute(
            f"CREATE TABLE learning_statement_y{start.year:04d}m{start.month:02d} PARTITION OF {parent} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
        start = end


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)
        return
    if vendor != "postgresql":
        return
    tz = ZoneInfo(settings.TIME_ZONE)
    now = dt.datetime.now(tz)
    first = last = _month_start(now.date(), tz)
    for _ in range(MONTHS_AHEAD):
        last = _next_month(last)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT min(stored) FROM {TABLE}")  # noqa: S608 - constant
        oldest = cursor.fetchone()[0]
    if oldest is not None:
        first = min(first, _month_start(oldest.astimezone(tz).date(), tz))
    schema_editor.execute(PG_CREATE)
    _create_month_partitions(schema_editor, "learning_statement_partitioned", first, last)
    schema_editor.execute(PG_COPY)
    schema_editor.execute(PG_FINISH)
    schema_editor.execute(PG_TRIGGER)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS learning_statement_no_update")
        return
    if vendor != "postgresql":
        return
    # Back to the plain table Django would make, with the rows of every partition.
    schema_editor.execute(PG_UNDO_TRIGGER)
    schema_editor.execute(
        """
        ALTER TABLE learning_statement RENAME TO learning_statement_partitioned;
        DROP INDEX statement_actor_stored_idx;
        DROP INDEX learning_statement_stored_brin;
        ALTER TABLE learning_statement_partitioned DROP CONSTRAINT learning_statement_pkey;
        ALTER TABLE learning_statement_partitioned ALTER COLUMN id DROP DEFAULT;
        DROP SEQUENCE learning_statement_id_seq;
        """
    )
    schema_editor.create_model(apps.get_model("learning", "Statement"))
    schema_editor.execute(PG_COPY_BACK)
    schema_editor.execute(
        """
        SELECT setval(pg_get_serial_sequence('learning_statement', 'id'),
                      COALESCE((SELECT max(id) FROM learning_statement), 0) + 1, false);
        DROP TABLE learning_statement_partitioned;
        """
    )


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0001_progress_playback_statements"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # (actor, stored) serves every lookup by actor; a second index would only slow the writes.
        migrations.AlterField(
            model_name="statement",
            name="actor",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
