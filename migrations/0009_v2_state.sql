-- Up Migration

-- Format "Version 2" memory (docs: "Memory and replays"). Every row carries the instant it
-- happened, and reads take only rows at or before `now`, so `status --now` replays any past
-- moment exactly, as it does for stages and gates.

-- Track history (`move <track> <step>`). The current step is the newest row per track; no
-- row means the first step. Append-only.
CREATE TABLE track_moves (
  id          bigserial   PRIMARY KEY,
  roadmap_id  text        NOT NULL,
  track_id    text        NOT NULL,
  from_step   text        NOT NULL,
  to_step     text        NOT NULL,
  actor       text        NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX track_moves_current ON track_moves (roadmap_id, track_id, at DESC, id DESC);

-- To-do ticks by people (`check` / `uncheck`); the newest row per to-do and stage wins.
CREATE TABLE todo_checks (
  id          bigserial   PRIMARY KEY,
  roadmap_id  text        NOT NULL,
  stage_id    text        NOT NULL,
  todo_id     text        NOT NULL,
  done        boolean     NOT NULL,
  actor       text        NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX todo_checks_current ON todo_checks (roadmap_id, stage_id, todo_id, at DESC, id DESC);

-- The moment a to-do's `when` first held while its stage was current: `due` is latched from
-- then on, and announced once. One row per to-do and stage.
CREATE TABLE todo_due (
  roadmap_id  text        NOT NULL,
  stage_id    text        NOT NULL,
  todo_id     text        NOT NULL,
  due_at      timestamptz NOT NULL,
  PRIMARY KEY (roadmap_id, stage_id, todo_id)
);

-- Lapses of kept targets (`keep: true`): from the evaluation that found the condition false
-- after it was met, until the one that found it holding again (null while it is lapsed).
CREATE TABLE target_lapses (
  id             bigserial   PRIMARY KEY,
  roadmap_id     text        NOT NULL,
  target_id      text        NOT NULL,
  lapsed_at      timestamptz NOT NULL,
  held_again_at  timestamptz,
  CHECK (held_again_at IS NULL OR held_again_at >= lapsed_at)
);
-- At most one open lapse per target, whatever the number of replicas.
CREATE UNIQUE INDEX target_lapses_open ON target_lapses (roadmap_id, target_id)
  WHERE held_again_at IS NULL;
CREATE INDEX target_lapses_at ON target_lapses (roadmap_id, target_id, lapsed_at DESC);

-- Down Migration
DROP TABLE target_lapses;
DROP TABLE todo_due;
DROP TABLE todo_checks;
DROP TABLE track_moves;
