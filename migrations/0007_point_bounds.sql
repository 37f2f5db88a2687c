-- Up Migration

-- Every writer of points is held to the bound ingest enforces (VALUE_LIMIT in
-- src/core/units.ts): the push API, CSV imports and chat check it with a message naming the
-- point; this catches any other writer (a collector reading an absurd number). NaN fails it
-- too. NOT VALID: rows stored before it are not checked (nor is the table scanned while
-- locked); reads saturate them at the bound. After deleting or fixing them, an operator may run
-- ALTER TABLE metric_points VALIDATE CONSTRAINT metric_points_value_bounded.
ALTER TABLE metric_points
  ADD CONSTRAINT metric_points_value_bounded
  CHECK (value BETWEEN -1e15 AND 1e15) NOT VALID;

-- Down Migration
ALTER TABLE metric_points DROP CONSTRAINT metric_points_value_bounded;
