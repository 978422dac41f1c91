-- HSTS per domain (issue 13): sent once the hostname has a CA-issued certificate,
-- on unless the Domains tab turns it off.
ALTER TABLE domains ADD COLUMN hsts INTEGER NOT NULL DEFAULT 1;
