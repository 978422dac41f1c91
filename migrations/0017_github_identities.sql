-- GitHub sign-in (issue 12): the GitHub account a local user signs in with, by
-- GitHub's numeric id (a login can be renamed, the id cannot). Such a user has no
-- password: its password_hash is not a PHC string, so password sign-in never matches.
CREATE TABLE github_identities (
    github_id       INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    -- The login at the last sign-in (shown; never used to find the user).
    login           TEXT NOT NULL,
    linked_at       TEXT NOT NULL,
    last_sign_in_at TEXT
);
