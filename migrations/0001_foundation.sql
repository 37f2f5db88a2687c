-- Up Migration

-- Metric points. One row per (roadmap, metric, time, source): re-sending the same point
-- is an upsert, so imports and pushes are idempotent. Flags are points too (1 = yes, 0 = no),
-- which gives them history for free (`status --now` replays them).
CREATE TABLE metric_points (
  roadmap_id  text             NOT NULL,
  metric      text             NOT NULL,
  at          timestamptz      NOT NULL,
  source      text             NOT NULL DEFAULT 'manual',
  value       double precision NOT NULL,
  recorded_at timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (roadmap_id, metric, at, source)
);

-- Stage history. The current stage is the newest row; no row means the first stage.
-- Append-only so `--now` can replay where the team stood on any day.
CREATE TABLE stage_transitions (
  id          bigserial   PRIMARY KEY,
  roadmap_id  text        NOT NULL,
  from_stage  text,
  to_stage    text        NOT NULL,
  at          timestamptz NOT NULL,
  actor       text        NOT NULL,
  forced      boolean     NOT NULL DEFAULT false
);
CREATE INDEX stage_transitions_current ON stage_transitions (roadmap_id, at DESC, id DESC);

-- Gate ticks by people (`check` / `uncheck`); the newest row per gate wins.
CREATE TABLE gate_checks (
  id          bigserial   PRIMARY KEY,
  roadmap_id  text        NOT NULL,
  stage_id    text        NOT NULL,
  gate_id     text        NOT NULL,
  passed      boolean     NOT NULL,
  actor       text        NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX gate_checks_current ON gate_checks (roadmap_id, stage_id, gate_id, at DESC, id DESC);

-- The first time a target's condition held: a target, once met, stays met.
CREATE TABLE target_met (
  roadmap_id  text        NOT NULL,
  target_id   text        NOT NULL,
  met_at      timestamptz NOT NULL,
  PRIMARY KEY (roadmap_id, target_id)
);

-- Every mutation, with who, where and when.
CREATE TABLE audit_log (
  id          bigserial   PRIMARY KEY,
  at          timestamptz NOT NULL,
  actor       text        NOT NULL,
  platform    text        NOT NULL,
  channel     text,
  roadmap_id  text,
  action      text        NOT NULL,
  details     jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_roadmap ON audit_log (roadmap_id, at DESC);

-- Down Migration
DROP TABLE audit_log;
DROP TABLE target_met;
DROP TABLE gate_checks;
DROP TABLE stage_transitions;
DROP TABLE metric_points;
