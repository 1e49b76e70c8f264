-- Inbound mail: failed tries kept with the mail (across restarts and replicas), and what the
-- worker recorded when it set a mail aside (reason, sender, subject, whether the sender was told).
ALTER TABLE spool ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE spool ADD COLUMN next_at timestamptz;
ALTER TABLE spool ADD COLUMN reason text;
ALTER TABLE spool ADD COLUMN info jsonb NOT NULL DEFAULT '{}'::jsonb;
