-- Up Migration

-- What is remembered of each trigger between evaluations (the evaluator's TriggerMemory),
-- so restarts and replicas neither lose nor repeat a transition.
CREATE TABLE trigger_states (
  roadmap_id    text        NOT NULL,
  trigger_id    text        NOT NULL,
  state         text        NOT NULL,
  since         timestamptz NOT NULL,
  active_since  timestamptz,
  firing_since  timestamptz,
  episode_id    bigint,
  evaluated_at  timestamptz NOT NULL,
  PRIMARY KEY (roadmap_id, trigger_id)
);

-- One row per firing episode: from firing to resolved, with who acknowledged or snoozed it.
CREATE TABLE alert_episodes (
  id               bigserial   PRIMARY KEY,
  roadmap_id       text        NOT NULL,
  trigger_id       text        NOT NULL,
  kind             text        NOT NULL CHECK (kind IN ('upgrade', 'alert')),
  severity         text        NOT NULL,
  condition        text        NOT NULL,
  message          text,
  pending_since    timestamptz,
  fired_at         timestamptz NOT NULL,
  resolved_at      timestamptz,
  acknowledged_by  text,
  acknowledged_at  timestamptz,
  snoozed_by       text,
  snoozed_until    timestamptz,
  details          jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX alert_episodes_trigger ON alert_episodes (roadmap_id, trigger_id, fired_at DESC);
-- At most one open episode per trigger, whatever the number of replicas.
CREATE UNIQUE INDEX alert_episodes_open ON alert_episodes (roadmap_id, trigger_id) WHERE resolved_at IS NULL;

-- A channel's subscriptions to a roadmap's alerts (with a minimum severity) and daily digest.
CREATE TABLE subscriptions (
  id            bigserial   PRIMARY KEY,
  platform      text        NOT NULL,
  channel_id    text        NOT NULL,
  roadmap_id    text        NOT NULL,
  kind          text        NOT NULL CHECK (kind IN ('alerts', 'digest')),
  min_severity  text        CHECK (min_severity IN ('info', 'warning', 'critical')),
  digest_time   text        CHECK (digest_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  timezone      text,
  created_by    text        NOT NULL,
  created_at    timestamptz NOT NULL,
  UNIQUE (platform, channel_id, roadmap_id, kind)
);

-- The outbox: every outgoing message is a row whose idempotency key makes it exist once.
-- Workers claim rows with FOR UPDATE SKIP LOCKED under a lease; a row whose worker died is
-- claimed again once its lease expires.
CREATE TABLE deliveries (
  id               bigserial   PRIMARY KEY,
  idempotency_key  text        NOT NULL UNIQUE,
  platform         text        NOT NULL,
  channel_id       text        NOT NULL,
  kind             text        NOT NULL,
  roadmap_id       text,
  episode_id       bigint      REFERENCES alert_episodes (id),
  message          jsonb       NOT NULL,
  -- An edit of the message another delivery posted (an alert resolved or acknowledged).
  update_of        bigint      REFERENCES deliveries (id),
  status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  lease_until      timestamptz,
  claimed_by       text,
  last_error       text,
  message_ref      text,
  created_at       timestamptz NOT NULL,
  sent_at          timestamptz
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status IN ('pending', 'sending');
CREATE INDEX deliveries_episode ON deliveries (episode_id) WHERE episode_id IS NOT NULL;

-- What each digest saw, so the next one can say what changed since.
CREATE TABLE digest_snapshots (
  subscription_id  bigint      NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  local_date       date        NOT NULL,
  taken_at         timestamptz NOT NULL,
  snapshot         jsonb       NOT NULL,
  PRIMARY KEY (subscription_id, local_date)
);

-- Down Migration
DROP TABLE digest_snapshots;
DROP TABLE deliveries;
DROP TABLE subscriptions;
DROP TABLE alert_episodes;
DROP TABLE trigger_states;
