-- Up Migration

-- Chat interactions already accepted, shared by every replica: a signed request replayed to
-- another replica within the signature window is refused there too. Rows older than the
-- window are pruned by the scheduler.
CREATE TABLE seen_interactions (
  platform  text        NOT NULL,
  id        text        NOT NULL,
  seen_at   timestamptz NOT NULL,
  PRIMARY KEY (platform, id)
);
CREATE INDEX seen_interactions_seen_at ON seen_interactions (seen_at);

-- Down Migration
DROP TABLE seen_interactions;
