"""The SQL of ``PostgresJournal``: its four tables and every statement, built once per prefix."""

from __future__ import annotations

from psycopg import sql


class Statements:
    """Every statement the store runs, for the tables named ``<prefix>events`` and so on."""

    def __init__(self, prefix: str) -> None:
        events = sql.Identifier(f"{prefix}events")
        deletions = sql.Identifier(f"{prefix}event_deletions")
        snapshots = sql.Identifier(f"{prefix}snapshots")
        states = sql.Identifier(f"{prefix}states")
        self.lock_key = f"{prefix}schema"
        self.schema = [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " persistence_id text NOT NULL,"
                " sequence_number bigint NOT NULL CHECK (sequence_number > 0),"
                " payload bytea NOT NULL,"
                " PRIMARY KEY (persistence_id, sequence_number))"
            ).format(events),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " persistence_id text PRIMARY KEY,"
                " deleted_to bigint NOT NULL)"
            ).format(deletions),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " persistence_id text NOT NULL,"
                " sequence_number bigint NOT NULL,"
                " payload bytea NOT NULL,"
                " PRIMARY KEY (persistence_id, sequence_number))"
            ).format(snapshots),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " persistence_id text PRIMARY KEY,"
                " revision bigint NOT NULL CHECK (revision > 0),"
                " payload bytea NOT NULL)"
            ).format(states),
        ]
        # One statement appends a round of writes: it refuses each write whose
        # expected number is not the highest (its event is missing and not
        # deleted: a gap; or numbers past it were deleted: a stale writer),
        # inserts the rows of the others in key order (so two batches never
        # wait on each other in a cycle), and lets the primary key refuse any
        # number already taken. It returns the rows inserted ('i') and the
        # writes refused ('r').
        self.append = sql.SQL(
            "WITH input AS (SELECT * FROM unnest(%b::text[], %b::bigint[], %b::bytea[],"
            " %b::bigint[]) AS r (persistence_id, sequence_number, payload, expected)),"
            " writes AS (SELECT DISTINCT persistence_id, expected FROM input),"
            # LATERAL with LIMIT 1: one index probe per write, never a scan of the table.
            " refused AS (SELECT w.persistence_id, w.expected FROM writes w"
            " LEFT JOIN LATERAL (SELECT d.deleted_to FROM {1} d"
            " WHERE d.persistence_id = w.persistence_id LIMIT 1) d ON true"
            " LEFT JOIN LATERAL (SELECT true AS found FROM {0} e"
            " WHERE e.persistence_id = w.persistence_id AND e.sequence_number = w.expected"
            " LIMIT 1) e ON true"
            " WHERE d.deleted_to > w.expected OR (w.expected > 0"
            " AND coalesce(d.deleted_to, 0) < w.expected AND e.found IS NULL)),"
            " inserted AS (INSERT INTO {0} (persistence_id, sequence_number, payload)"
            " SELECT i.persistence_id, i.sequence_number, i.payload FROM input i"
            " WHERE NOT EXISTS (SELECT 1 FROM refused f"
            " WHERE f.persistence_id = i.persistence_id AND f.expected = i.expected)"
            " ORDER BY i.persistence_id, i.sequence_number"
            " ON CONFLICT DO NOTHING RETURNING persistence_id, sequence_number)"
            " SELECT 'i', persistence_id, sequence_number FROM inserted"
            " UNION ALL SELECT 'r', persistence_id, expected FROM refused"
        ).format(events, deletions)
        # A batch of appends that each continue a number this store knows to be
        # the highest (``_postgres_known.py``): insert every row in key order,
        # except those of the writes whose numbers were deleted past their
        # expected one; return only the ids of those. A number another writer
        # took fails the whole statement on the primary key.
        self.append_known = sql.SQL(
            "WITH input AS (SELECT * FROM unnest(%b::text[], %b::bigint[], %b::bytea[],"
            " %b::bigint[]) AS r (persistence_id, sequence_number, payload, expected)),"
            " refused AS (SELECT DISTINCT i.persistence_id FROM input i JOIN {1} d"
            " ON d.persistence_id = i.persistence_id AND d.deleted_to > i.expected),"
            " inserted AS (INSERT INTO {0} (persistence_id, sequence_number, payload)"
            " SELECT i.persistence_id, i.sequence_number, i.payload FROM input i"
            " WHERE NOT EXISTS (SELECT 1 FROM refused f WHERE f.persistence_id = i.persistence_id)"
            " ORDER BY i.persistence_id, i.sequence_number)"
            " SELECT persistence_id FROM refused"
        ).format(events, deletions)
        # The same rules for one write: a plain INSERT .. SELECT guarded by the
        # same checks, planned and run in about half the time of the general
        # statement. append_one (in a batch's transaction) returns the numbers
        # inserted, none if refused or taken; append_alone (a batch of one
        # append, autocommitted) lets the primary key fail the whole statement
        # instead, so it stores all or nothing by itself.
        guarded_insert = (
            "INSERT INTO {0} (persistence_id, sequence_number, payload)"
            " SELECT %(id)s, r.n, r.p FROM unnest(%(numbers)b::bigint[], %(payloads)b::bytea[])"
            " AS r (n, p)"
            " WHERE NOT EXISTS (SELECT 1 FROM {1} d"
            " WHERE d.persistence_id = %(id)s AND d.deleted_to > %(expected)s)"
            " AND (%(expected)s = 0 OR EXISTS (SELECT 1 FROM {0} e"
            " WHERE e.persistence_id = %(id)s AND e.sequence_number = %(expected)s)"
            " OR EXISTS (SELECT 1 FROM {1} d"
            " WHERE d.persistence_id = %(id)s AND d.deleted_to = %(expected)s))"
            " ORDER BY r.n"
        )
        self.append_one = sql.SQL(
            guarded_insert + " ON CONFLICT DO NOTHING RETURNING sequence_number"
        ).format(events, deletions)
        self.append_alone = sql.SQL(guarded_insert).format(events, deletions)
        self.delete_keys = sql.SQL(
            "DELETE FROM {} WHERE (persistence_id, sequence_number) IN"
            " (SELECT * FROM unnest(%b::text[], %b::bigint[]))"
        ).format(events)
        self.insert_first_state = sql.SQL(
            "INSERT INTO {} (persistence_id, revision, payload) VALUES (%s, 1, %s)"
            " ON CONFLICT DO NOTHING RETURNING 1"
        ).format(states)
        self.update_state = sql.SQL(
            "UPDATE {} SET revision = %s, payload = %s"
            " WHERE persistence_id = %s AND revision = %s RETURNING 1"
        ).format(states)
        self.save_snapshot = sql.SQL(
            "INSERT INTO {} (persistence_id, sequence_number, payload) VALUES (%s, %s, %s)"
            " ON CONFLICT (persistence_id, sequence_number)"
            " DO UPDATE SET payload = excluded.payload"
        ).format(snapshots)
        self.trim_snapshots = sql.SQL(
            "DELETE FROM {0} WHERE persistence_id = %s AND sequence_number < ("
            " SELECT min(sequence_number) FROM (SELECT sequence_number FROM {0}"
            " WHERE persistence_id = %s ORDER BY sequence_number DESC LIMIT %s) AS kept)"
        ).format(snapshots)
        self.replay_after = sql.SQL(
            "SELECT sequence_number, payload FROM {} WHERE persistence_id = %s"
            " AND sequence_number > %s ORDER BY sequence_number LIMIT %s"
        ).format(events)
        self.highest = sql.SQL(
            "SELECT greatest((SELECT max(sequence_number) FROM {} WHERE persistence_id = %s),"
            " (SELECT deleted_to FROM {} WHERE persistence_id = %s), 0)"
        ).format(events, deletions)
        self.delete_events = sql.SQL(
            "DELETE FROM {} WHERE persistence_id = %s AND sequence_number <= %s"
        ).format(events)
        self.record_deletion = sql.SQL(
            "INSERT INTO {0} (persistence_id, deleted_to) VALUES (%s, %s)"
            " ON CONFLICT (persistence_id) DO UPDATE"
            " SET deleted_to = greatest(excluded.deleted_to, {0}.deleted_to)"
        ).format(deletions)
        self.load_snapshot = sql.SQL(
            "SELECT sequence_number, payload FROM {} WHERE persistence_id = %s"
            " AND sequence_number <= %s ORDER BY sequence_number DESC LIMIT 1"
        ).format(snapshots)
        self.load_state = sql.SQL(
            "SELECT revision, payload FROM {} WHERE persistence_id = %s"
        ).format(states)
