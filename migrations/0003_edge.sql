-- The edge: the status of each hostname's certificate, for the Domains tab and the
-- renewal task. Keyed by hostname (certificate files are named after it), so a
-- domain removed and added again finds its certificate.
CREATE TABLE certificates (
    hostname     TEXT PRIMARY KEY,
    -- 1 while only NSM's self-signed placeholder exists.
    self_signed  INTEGER NOT NULL DEFAULT 1,
    issuer       TEXT,
    not_after    TEXT,
    -- Why the last attempt to obtain or renew failed; NULL once one succeeds.
    last_error   TEXT,
    last_attempt TEXT,
    updated_at   TEXT NOT NULL
);
