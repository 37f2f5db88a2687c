-- Up Migration

-- Ten-minute rollups of metric_points (#16), so that the first status after a restart reads no
-- raw history: a forecast's 28-day history is 29 rows per metric here instead of ~40,000 points.
-- One row per metric and UTC day; `v` holds the day's 144 ten-minute buckets (aligned to the
-- epoch, FORECAST_BUCKET_MS in src/app/evaluate.ts), NULL where a bucket has no point. A
-- bucket's value is avg() of its points as every read sees them (saturated at ±1e15, see
-- src/adapters/pg/value.ts) added in key order (at, source): the same aggregate over the same
-- rows in the same order as the read from the points (src/adapters/pg/history.ts), so a
-- history from rollups equals one from the points to the last bit.
CREATE TABLE metric_rollups (
  roadmap_id text               NOT NULL,
  metric     text               NOT NULL,
  day        timestamptz        NOT NULL,
  v          double precision[] NOT NULL CHECK (cardinality(v) = 144),
  PRIMARY KEY (roadmap_id, metric, day)
);

-- Buckets written since their rollup was computed. Every write of points (any writer: the
-- push API, imports, collectors, psql) marks the buckets it touched, in its own transaction;
-- reads take those buckets from the points instead, and the bot recomputes them in the
-- background (src/adapters/pg/history-rollups.ts), removing the marks it saw. Marks are only
-- appended, without a key, so concurrent writers never wait on each other and a write costs
-- one small insert per statement; a bucket may be marked several times.
CREATE TABLE metric_rollups_stale (
  roadmap_id text        NOT NULL,
  metric     text        NOT NULL,
  bucket     timestamptz NOT NULL
);
CREATE INDEX metric_rollups_stale_key ON metric_rollups_stale (roadmap_id, metric, bucket);

-- Transition tables are only allowed on triggers of one event, hence three triggers. An
-- update may move a point (a new `at`): both its old and its new bucket are marked.
CREATE FUNCTION roadmap_bot_rollups_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO metric_rollups_stale (roadmap_id, metric, bucket)
      SELECT DISTINCT roadmap_id, metric, date_bin('10 minutes', at, TIMESTAMPTZ 'epoch') FROM new_points;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO metric_rollups_stale (roadmap_id, metric, bucket)
      SELECT DISTINCT roadmap_id, metric, date_bin('10 minutes', at, TIMESTAMPTZ 'epoch') FROM old_points;
  ELSE
    INSERT INTO metric_rollups_stale (roadmap_id, metric, bucket)
      SELECT DISTINCT roadmap_id, metric, date_bin('10 minutes', at, TIMESTAMPTZ 'epoch')
        FROM (SELECT roadmap_id, metric, at FROM new_points
              UNION ALL SELECT roadmap_id, metric, at FROM old_points) moved;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER metric_points_rollups_inserted
  AFTER INSERT ON metric_points REFERENCING NEW TABLE AS new_points
  FOR EACH STATEMENT EXECUTE FUNCTION roadmap_bot_rollups_stale();
CREATE TRIGGER metric_points_rollups_updated
  AFTER UPDATE ON metric_points REFERENCING OLD TABLE AS old_points NEW TABLE AS new_points
  FOR EACH STATEMENT EXECUTE FUNCTION roadmap_bot_rollups_stale();
CREATE TRIGGER metric_points_rollups_deleted
  AFTER DELETE ON metric_points REFERENCING OLD TABLE AS old_points
  FOR EACH STATEMENT EXECUTE FUNCTION roadmap_bot_rollups_stale();

-- TRUNCATE fires no row or transition-table trigger: the rollups are emptied with the points.
-- DELETE, not TRUNCATE: a read or refresh waiting for metric_points may already hold a share
-- lock on these tables, which TRUNCATE's exclusive lock would wait for (a deadlock).
CREATE FUNCTION roadmap_bot_rollups_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM metric_rollups;
  DELETE FROM metric_rollups_stale;
  RETURN NULL;
END
$$;

CREATE TRIGGER metric_points_rollups_truncated
  AFTER TRUNCATE ON metric_points
  FOR EACH STATEMENT EXECUTE FUNCTION roadmap_bot_rollups_truncated();

-- `day` (144 buckets, NULL for none) with the buckets `slots` (1-144) set to `vals`.
CREATE FUNCTION roadmap_bot_rollup_day(day double precision[], slots integer[], vals double precision[])
  RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  day := coalesce(day, array_fill(NULL::double precision, ARRAY[144]));
  FOR k IN 1 .. coalesce(cardinality(slots), 0) LOOP
    day[slots[k]] := vals[k];
  END LOOP;
  RETURN day;
END
$$;

-- The points stored so far. Creating the triggers above locked metric_points against writes
-- until this migration commits, so this statement sees every point and no write is missed.
-- (About 15 s per 10 M points on a 2-core machine, once.)
INSERT INTO metric_rollups (roadmap_id, metric, day, v)
  SELECT roadmap_id, metric, day, roadmap_bot_rollup_day(NULL, array_agg(slot), array_agg(v))
    FROM (SELECT roadmap_id, metric, date_bin('1 day', at, TIMESTAMPTZ 'epoch') AS day,
                 extract(epoch FROM date_bin('10 minutes', at, TIMESTAMPTZ 'epoch')
                                    - date_bin('1 day', at, TIMESTAMPTZ 'epoch'))::integer / 600 + 1 AS slot,
                 avg(least(greatest(value, '-1e15'::float8), '1e15'::float8) ORDER BY at, source) AS v
            FROM metric_points
           GROUP BY 1, 2, 3, 4) buckets
   GROUP BY 1, 2, 3;

-- Down Migration
DROP FUNCTION roadmap_bot_rollup_day(double precision[], integer[], double precision[]);
DROP TRIGGER metric_points_rollups_truncated ON metric_points;
DROP FUNCTION roadmap_bot_rollups_truncated();
DROP TRIGGER metric_points_rollups_deleted ON metric_points;
DROP TRIGGER metric_points_rollups_updated ON metric_points;
DROP TRIGGER metric_points_rollups_inserted ON metric_points;
DROP FUNCTION roadmap_bot_rollups_stale();
DROP TABLE metric_rollups_stale;
DROP TABLE metric_rollups;
