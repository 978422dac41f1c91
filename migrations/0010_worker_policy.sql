-- What each worker lets its projects' compose files do to the node (issue 13): the
-- allowances an admin granted, as the shared crate's JSON ({"allowed": [...]}).
-- NULL is the default policy, which refuses every one of them.
ALTER TABLE workers ADD COLUMN policy TEXT;
