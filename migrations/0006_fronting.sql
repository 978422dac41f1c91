-- Nodes without a public address are reached through another node's edge: the
-- fronting node passes their TLS through by SNI. NULL: the node is public.
ALTER TABLE workers ADD COLUMN fronted_by TEXT;
