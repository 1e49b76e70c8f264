-- webnaccs-bot schema 1: every piece of state a replica needs, in one database.

CREATE TABLE applications (
    id                text PRIMARY KEY,
    rev               bigint NOT NULL,
    record            jsonb NOT NULL,
    acceptance_number text UNIQUE,
    wakeup            text,               -- ISO day (JST) on which a reminder may be due
    created_seq       bigserial NOT NULL  -- the order in which applications were first stored
);
CREATE INDEX applications_wakeup ON applications (wakeup) WHERE wakeup IS NOT NULL;

CREATE TABLE people (
    person_key text NOT NULL,
    app_id     text NOT NULL REFERENCES applications (id),
    seq        bigserial NOT NULL,
    PRIMARY KEY (person_key, app_id)
);

CREATE TABLE audit (
    seq    bigserial PRIMARY KEY,
    app_id text NOT NULL REFERENCES applications (id),
    entry  jsonb NOT NULL
);
CREATE INDEX audit_app ON audit (app_id, seq);

CREATE TABLE outbox (
    app_id      text NOT NULL REFERENCES applications (id),
    id          text NOT NULL,
    seq         bigserial NOT NULL,
    message     jsonb NOT NULL,
    status      text NOT NULL,
    channel     text,
    recipient   text,
    created_at  timestamptz,
    lease_until timestamptz,             -- a dispatcher has it until then
    lease_owner text,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX outbox_pending ON outbox (channel, created_at, seq) WHERE status = 'pending';

CREATE TABLE serials (
    year integer PRIMARY KEY,
    last integer NOT NULL
);

CREATE TABLE seen (
    namespace text NOT NULL,
    key       text NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE INDEX seen_at ON seen (at);

CREATE TABLE spool (
    name          text PRIMARY KEY,
    envelope      jsonb NOT NULL,
    raw           bytea NOT NULL,
    received_seq  bigserial NOT NULL,
    status        text NOT NULL DEFAULT 'waiting',  -- waiting | failed
    claimed_until timestamptz,
    claimed_by    text
);
CREATE INDEX spool_waiting ON spool (received_seq) WHERE status = 'waiting';

CREATE TABLE settings (
    name  text PRIMARY KEY,
    value text NOT NULL
);
