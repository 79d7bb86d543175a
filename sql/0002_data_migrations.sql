-- Python data-migration steps (mud/store/data_migrations.py) that have finished on this database.
-- After the numbered SQL migrations, `mud migrate` and `mud serve` run every step not recorded
-- here and then record it. Steps are idempotent: one interrupted before it was recorded simply
-- runs again.
CREATE TABLE data_migrations (
    name         text PRIMARY KEY,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    rows_changed integer
);
