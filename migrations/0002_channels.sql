-- Up Migration

-- A chat channel bound to a roadmap (`/roadmap use <roadmap>`): commands there need no
-- --roadmap, and subscriptions there are about that roadmap.
CREATE TABLE channel_bindings (
  platform    text        NOT NULL,
  channel_id  text        NOT NULL,
  roadmap_id  text        NOT NULL,
  bound_by    text        NOT NULL,
  bound_at    timestamptz NOT NULL,
  PRIMARY KEY (platform, channel_id)
);

-- Down Migration
DROP TABLE channel_bindings;
