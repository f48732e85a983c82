"""Bulk inserts for benchmark data: COPY on PostgreSQL (psycopg 3), bulk_create elsewhere.

Rows are model instances, so defaults, auto_now_add and each field's own conversion to the
database (JSON, Decimal, Money) are Django's; only the INSERT is replaced by one COPY per table.
Primary keys are taken from the table's own sequence in one step (setval), so later inserts by
the application's code continue after them."""

from django.db import connection
from django.db.models.expressions import DatabaseDefault


def insert(model, objs: list, batch_size: int = 5000) -> list:
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    qn = connection.ops.quote_name
    # A column the database fills itself (db_default) is left out, as Django's INSERT would.
    fields = [f for f in meta.concrete_fields if not isinstance(getattr(objs[0], f.attname), DatabaseDefault)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
            [meta.db_table, meta.pk.column, meta.db_table, meta.pk.column, len(objs)],
        )
        first = cursor.fetchone()[0] - len(objs) + 1
        for i, obj in enumerate(objs):
            obj.pk = first + i
        columns = ", ".join(qn(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
                obj._state.adding = False
                obj._state.db = "default"
    return objs
