-- Up Migration

-- Bearer tokens of the push API. Only a SHA-256 of the token is kept: tokens are 256 random
-- bits, so a fast hash is enough (no dictionary to guard against), and the token is shown once.
CREATE TABLE api_tokens (
  id            bigserial   PRIMARY KEY,
  name          text        NOT NULL UNIQUE,
  token_hash    text        NOT NULL UNIQUE,
  prefix        text        NOT NULL,
  -- The roadmaps the token may write and read; '{*}' means all of them.
  roadmaps      text[]      NOT NULL,
  created_by    text        NOT NULL,
  created_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);

-- Per-token request counts per minute, shared by every replica.
CREATE TABLE api_rate_windows (
  token_id      bigint      NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
  window_start  timestamptz NOT NULL,
  count         integer     NOT NULL,
  PRIMARY KEY (token_id, window_start)
);

-- Collectors (SQL, Prometheus): when each runs next, and whether it is failing. A replica
-- runs a collector only after moving next_run_at forward in one guarded UPDATE.
CREATE TABLE collector_state (
  roadmap_id       text        NOT NULL,
  metric           text        NOT NULL,
  next_run_at      timestamptz NOT NULL,
  last_run_at      timestamptz,
  last_success_at  timestamptz,
  failing_since    timestamptz,
  last_error       text,
  PRIMARY KEY (roadmap_id, metric)
);

-- Down Migration
DROP TABLE collector_state;
DROP TABLE api_rate_windows;
DROP TABLE api_tokens;
