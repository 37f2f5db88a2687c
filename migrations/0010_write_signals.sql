-- Up Migration

-- Evaluation on write (#16): every write of points, whoever makes it (push API, record, set,
-- CSV import, collectors, psql), tells the bot's replicas which roadmaps changed, so they
-- evaluate those at once instead of at the next minute tick. One notification per statement
-- (a 1,000-point batch is one), sent by PostgreSQL only when the transaction commits; identical
-- notifications of one transaction are delivered once. The payload is the roadmap ids, comma-
-- separated (ids are slugs, so no comma is ambiguous), or '*' (every roadmap) past NOTIFY's
-- 8,000-byte limit. Transition tables are only allowed on triggers of one event, hence two.
CREATE FUNCTION roadmap_bot_points_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids text;
BEGIN
  SELECT string_agg(roadmap_id, ',') INTO ids FROM (SELECT DISTINCT roadmap_id FROM written) w;
  IF ids IS NOT NULL THEN
    PERFORM pg_notify('roadmap_bot_points', CASE WHEN octet_length(ids) > 7900 THEN '*' ELSE ids END);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER metric_points_inserted
  AFTER INSERT ON metric_points REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION roadmap_bot_points_written();
CREATE TRIGGER metric_points_updated
  AFTER UPDATE ON metric_points REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION roadmap_bot_points_written();
CREATE TRIGGER metric_points_deleted
  AFTER DELETE ON metric_points REFERENCING OLD TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION roadmap_bot_points_written();

-- A message queued in the outbox wakes the replicas' outbox workers at once (on commit)
-- instead of at their next 5-second drain. Only inserts, and only when a row was inserted (an
-- enqueue of a key already queued inserts none): the workers' own updates (sent, retry later)
-- must not wake them again.
CREATE FUNCTION roadmap_bot_outbox_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM queued) THEN
    PERFORM pg_notify('roadmap_bot_outbox', '');
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER deliveries_queued
  AFTER INSERT ON deliveries REFERENCING NEW TABLE AS queued
  FOR EACH STATEMENT EXECUTE FUNCTION roadmap_bot_outbox_queued();

-- Down Migration
DROP TRIGGER deliveries_queued ON deliveries;
DROP FUNCTION roadmap_bot_outbox_queued();
DROP TRIGGER metric_points_deleted ON metric_points;
DROP TRIGGER metric_points_updated ON metric_points;
DROP TRIGGER metric_points_inserted ON metric_points;
DROP FUNCTION roadmap_bot_points_written();
