-- Magic links answer to their maker at consumption, not only when made (issue 13 §6, probe findings):
--  * for_account: the account a link was made for (by an administrator, or the person's own self-service
--    request); NULL means "an invitation for a new account", which must never open an account that exists
--    by the time it is used.
--  * self_service: the person asked for it themselves; otherwise a NULL created_by means the maker was deleted,
--    and the link is refused.
--  * revoked_at: withdrawn by an administrator or its maker before use.
ALTER TABLE rootcx_system.magic_link_tokens
  ADD COLUMN for_account  uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  ADD COLUMN self_service boolean NOT NULL DEFAULT false,
  ADD COLUMN revoked_at   timestamptz(6);

-- Links made before this migration: without a maker they came from self-service; an account that existed
-- before the link was made is the one it was made for.
UPDATE rootcx_system.magic_link_tokens l SET self_service = (l.created_by IS NULL),
       for_account = (SELECT u.id FROM rootcx_system.users u WHERE u.email = l.email AND u.created_at <= l.created_at);
