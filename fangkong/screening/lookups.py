"""`field__any_of=[…]`: membership in a list as ONE parameter on PostgreSQL
(`col = ANY(%s)`, the list sent as an array) instead of `IN (%s, %s, …)`.

Why: psycopg parses the SQL text of every query on the client to find its placeholders;
with a batch's 500-value IN lists that parsing cost ~20 ms a query here, more than the
query itself. Other databases get the ordinary IN list."""

from django.db.models import Field, Lookup


@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=False) for v in value]
        return "%s", [values]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(v, connection, prepared=False)
                  for v in self.rhs]
        if not values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def _register_on_relations():
    from django.db.models import ForeignObject

    ForeignObject.register_lookup(AnyOf)


_register_on_relations()
