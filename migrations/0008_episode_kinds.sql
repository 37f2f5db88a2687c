-- Up Migration

-- Format "Version 2" watches budget lines (`budget.<line>`) and tracks (`<track>.upgrade`,
-- `<track>.capacity`) as triggers of their own kinds; their episodes are stored like the others.
-- The constraint's name is PostgreSQL's default for the inline CHECK of migration 0003.
ALTER TABLE alert_episodes DROP CONSTRAINT alert_episodes_kind_check;
ALTER TABLE alert_episodes
  ADD CONSTRAINT alert_episodes_kind_check
  CHECK (kind IN ('upgrade', 'alert', 'budget', 'track'));

-- Down Migration
ALTER TABLE alert_episodes DROP CONSTRAINT alert_episodes_kind_check;
ALTER TABLE alert_episodes
  ADD CONSTRAINT alert_episodes_kind_check CHECK (kind IN ('upgrade', 'alert'));
