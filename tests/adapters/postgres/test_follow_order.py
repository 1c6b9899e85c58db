"""A log subscription follows commit order by transaction id as a number, not as text:
where transaction ids change their digit count (999 to 1002), a page sorted as text
would end below events it holds, and the next page would deliver them again, or skip
some. Found by the failover test on a fresh cluster, whose transaction ids are small."""

from __future__ import annotations

from collections import Counter

from psycopg import sql

import tidings
from postgres_server import SchemaFactory


def test_transaction_ids_of_different_lengths_are_followed_in_numeric_order(
    schemas: SchemaFactory,
) -> None:
    schema = schemas.name()
    with tidings.connect(schemas.url(schema)) as store:
        store.log().read()  # creates the schema
        with schemas.connect() as conn:
            for number, transaction in enumerate([998, 1002, 999, 10001, 9999, 1000]):
                conn.execute(
                    sql.SQL(
                        "INSERT INTO {}.events (id, name, category, stream, position, payload,"
                        " metadata, occurred_at, observed_at, transaction_id) VALUES (%s, 'e',"
                        " 'c', %s, 0, '{{}}', '{{}}', now(), now(), %s::text::xid8)"
                    ).format(sql.Identifier(schema)),
                    [f"tx-{transaction}", f"s{number}", str(transaction)],
                )
        for batch_size in (1, 2, 4, 100):
            delivered = list(store.log().subscribe(batch_size=batch_size, until_caught_up=True))
            assert [event.id for event in delivered] == [
                f"tx-{transaction}" for transaction in (998, 999, 1000, 1002, 9999, 10001)
            ], batch_size
            assert Counter(event.id for event in delivered).most_common(1)[0][1] == 1
