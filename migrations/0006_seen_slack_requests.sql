-- Up Migration

-- Slack requests already accepted, shared by every replica (as seen_interactions is for
-- Discord): a signed request replayed within the signature's 5-minute window, to this
-- replica or another, is refused. `request_key` is `sig:` + the sha256 of the signed base
-- string `v0:<timestamp>:<raw body>` (one signed request), or `event:` + an Events API
-- event_id (Slack may retry one event with a new signature). Rows older than the window are
-- pruned by the scheduler.
CREATE TABLE seen_slack_requests (
  request_key text        PRIMARY KEY,
  seen_at     timestamptz NOT NULL
);
CREATE INDEX seen_slack_requests_seen_at ON seen_slack_requests (seen_at);

-- Down Migration
DROP TABLE seen_slack_requests;
