"""SQL for the few reads and writes made on almost every request: the logged-in user, the session,
an organisation's memberships, an autosaved draft.

Building a query with the ORM costs several times more Python than running it (on the 2-core
benchmark machine about 0.4 ms to compile a `get()` against 0.05 ms to send the same SQL), and
an autosave made five of them. Here the SQL is written out once per model and the rows are
converted exactly as the ORM converts them (the backend's converters, then the field's), so a
model instance read here is the one `Model.objects.get()` would return. Everything else uses the
ORM; `bench/deadline_rush.py` measures what this buys.
"""
from functools import lru_cache
from weakref import WeakKeyDictionary

from django.db import connections, router


def _quoted(connection, name: str) -> str:
    return connection.ops.quote_name(name)


# Converters are bound to a connection (each thread has its own), so they are kept per connection.
_CONVERTERS: WeakKeyDictionary = WeakKeyDictionary()


def _converters(connection, fields: tuple) -> tuple:
    known = _CONVERTERS.setdefault(connection, {})
    if fields not in known:
        out = []
        for field in fields:
            column = field.get_col(field.model._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            out.append((tuple(found), column))
        known[fields] = tuple(out)
    return known[fields]


def row_convert(alias: str, fields: tuple, row) -> list:
    """The values of `row` (one per field of `fields`, in order) as the ORM would return them."""
    connection = connections[alias]
    values = list(row)
    for i, (found, column) in enumerate(_converters(connection, fields)):
        for converter in found:
            values[i] = converter(values[i], column, connection)
    return values


def columns_sql(connection, fields, table_alias: str) -> str:
    return ", ".join(f"{table_alias}.{_quoted(connection, f.column)}" for f in fields)


@lru_cache(maxsize=None)
def _fields(model, names: tuple | None) -> tuple:
    if names is None:
        return tuple(model._meta.concrete_fields)
    picked = {model._meta.get_field(name) for name in names} | {model._meta.pk}
    return tuple(f for f in model._meta.concrete_fields if f in picked)  # in the order from_db expects


def model_fields(model, names=None) -> tuple:
    """The concrete fields `only(*names)` would load (all by default), in the order `from_db` expects."""
    return _fields(model, tuple(names) if names is not None else None)


@lru_cache(maxsize=None)
def _joined_fields(model, joined: tuple) -> tuple:
    return tuple((name, tuple(model._meta.get_field(name).related_model._meta.get_field(n) for n in names))
                 for name, names in joined)


@lru_cache(maxsize=None)
def _select_sql(alias: str, vendor: str, model, fields: tuple, joined: tuple) -> str:
    connection = connections[alias]
    columns, joins = [columns_sql(connection, fields, "t")], []
    for n, (fk_name, joined_fields) in enumerate(joined):
        fk = model._meta.get_field(fk_name)
        target = fk.related_model._meta
        columns.append(columns_sql(connection, joined_fields, f"r{n}"))
        joins.append(f"INNER JOIN {_quoted(connection, target.db_table)} r{n} "
                     f"ON r{n}.{_quoted(connection, target.pk.column)} = t.{_quoted(connection, fk.column)}")
    return (f"SELECT {', '.join(columns)} FROM {_quoted(connection, model._meta.db_table)} t {' '.join(joins)} "
            f"WHERE t.{_quoted(connection, model._meta.pk.column)} = %s")


def instance_get(model, pk, *, fields=None):
    """`model.objects.only(*fields).get(pk=pk)` (all fields by default; the others load on first
    use, as with `only()`), or None when there is no such row."""
    instance, _joined = instance_get_joined(model, pk, fields=fields)
    return instance


def instance_get_joined(model, pk, *, fields=None, joined=None) -> tuple:
    """`instance_get` plus values of the objects its (non-null) foreign keys point to, without
    building those objects: `joined={"call": ["deadline"]}` gives `(instance, {"call__deadline":
    ...})`; `(None, None)` when there is no such row."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    own = _fields(model, tuple(fields) if fields is not None else None)
    other = _joined_fields(model, tuple((name, tuple(names)) for name, names in (joined or {}).items()))
    pk = model._meta.pk.get_db_prep_value(pk, connection)  # "abc" -> ValueError, as with the ORM
    with connection.cursor() as cursor:
        cursor.execute(_select_sql(alias, connection.vendor, model, own, other), [pk])
        row = cursor.fetchone()
    if row is None:
        return None, None
    values = row_convert(alias, own + tuple(f for _name, fs in other for f in fs), row)
    instance = model.from_db(alias, [f.attname for f in own], values[:len(own)])
    extra, offset = {}, len(own)
    for name, joined_fields in other:
        for field in joined_fields:
            extra[f"{name}__{field.name}"] = values[offset]
            offset += 1
    return instance, extra


def values_list(model, names, **where) -> list[tuple]:
    """`model.objects.filter(**where).values_list(*names)`: equality on plain columns, any order."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in names)
    conditions = [f"{_quoted(connection, meta.get_field(name).column)} = %s" for name in where]
    params = [meta.get_field(name).get_db_prep_value(value, connection) for name, value in where.items()]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns_sql(connection, fields, 't')} FROM {_quoted(connection, meta.db_table)} t "
                       f"WHERE {' AND '.join(conditions)}", params)
        return [tuple(row_convert(alias, fields, row)) for row in cursor.fetchall()]


def row_update(model, pk, *, where: dict, values: dict) -> int:
    """`model.objects.filter(pk=pk, **where).update(**values)` for plain columns (no expressions),
    with each value prepared by its field as the ORM prepares it; returns the rows written."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    assignments, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        assignments.append(f"{_quoted(connection, field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    conditions = [f"{_quoted(connection, meta.pk.column)} = %s"]
    params.append(meta.pk.get_db_prep_value(pk, connection))
    for name, value in where.items():
        field = meta.get_field(name)
        conditions.append(f"{_quoted(connection, field.column)} = %s")
        params.append(field.get_db_prep_value(value, connection))
    sql = (f"UPDATE {_quoted(connection, meta.db_table)} SET {', '.join(assignments)} "
           f"WHERE {' AND '.join(conditions)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
