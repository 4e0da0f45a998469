-- Service accounts, their API keys, and standing act-as delegations (issue 14, spec §0 "Principals", §2.19, §5).
--
-- A service account is a users row with kind 'service', is_system, an e-mail sa+{slug}@localhost, no password,
-- and a human owner of record (the person who created it, or one it was transferred to).
ALTER TABLE rootcx_system.users
  ADD COLUMN owner_of_record uuid REFERENCES rootcx_system.users (id) ON DELETE RESTRICT;

-- Only non-human system principals have an owner; every service account but the seeded system principal has one.
ALTER TABLE rootcx_system.users
  ADD CONSTRAINT users_owner_of_record_kind CHECK (owner_of_record IS NULL OR (is_system AND kind <> 'human')),
  ADD CONSTRAINT users_service_account_owned CHECK (
    kind <> 'service' OR owner_of_record IS NOT NULL OR id = '00000000-0000-0000-0000-000000000001');
CREATE INDEX users_owner_of_record_idx ON rootcx_system.users (owner_of_record) WHERE owner_of_record IS NOT NULL;

-- Deleting a person who still owns service accounts would orphan them: refused with a sentence that names them
-- (class 23 → 409 with this message), instead of the foreign key's generic refusal.
CREATE FUNCTION rootcx_system.refuse_owner_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  owned text;
BEGIN
  SELECT string_agg(u.email, ', ' ORDER BY u.email) INTO owned FROM rootcx_system.users u WHERE u.owner_of_record = OLD.id;
  IF owned IS NOT NULL THEN
    RAISE EXCEPTION '% owns service accounts (%); transfer their ownership to another person first', OLD.email, owned
      USING ERRCODE = '23001';
  END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER users_refuse_owner_delete BEFORE DELETE ON rootcx_system.users
  FOR EACH ROW EXECUTE FUNCTION rootcx_system.refuse_owner_delete();

-- API keys: "rcs_" + 43 base64url characters (256 random bits). Only the SHA-256 of the key is stored; `prefix`
-- (its first 12 characters) finds the row and is what lists show.
CREATE TABLE rootcx_system.service_account_credentials (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  prefix       text NOT NULL,
  key_hash     bytea NOT NULL,
  expires_at   timestamptz(6) NOT NULL,
  created_at   timestamptz(6) NOT NULL DEFAULT now(),
  last_used_at timestamptz(6),
  CONSTRAINT service_account_credentials_name_unique UNIQUE (user_id, name),
  CONSTRAINT service_account_credentials_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
  CONSTRAINT service_account_credentials_hash_length CHECK (octet_length(key_hash) = 32)
);
CREATE INDEX service_account_credentials_prefix_idx ON rootcx_system.service_account_credentials (prefix);

-- An access token from POST /auth/token names the key it was exchanged with: deleting the key ends its sessions.
ALTER TABLE rootcx_system.sessions
  ADD COLUMN credential_id uuid REFERENCES rootcx_system.service_account_credentials (id) ON DELETE CASCADE;
CREATE INDEX sessions_credential_id_idx ON rootcx_system.sessions (credential_id) WHERE credential_id IS NOT NULL;

-- Standing delegations (spec §5). act_as: the delegator (a person) lets the delegatee (a service account) run
-- work in the person's name; checked, with the no-escalation rule, by identities/act-as.ts.
CREATE TABLE rootcx_system.delegations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  delegator_uid uuid NOT NULL REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  delegatee_uid uuid NOT NULL REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  trigger_type  text NOT NULL,
  trigger_ref   text,
  expires_at    timestamptz(6),
  revoked_at    timestamptz(6),
  created_by    uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  created_at    timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT delegations_trigger_type_check CHECK (trigger_type IN ('cron', 'hook', 'webhook', 'manual', 'channel', 'act_as')),
  CONSTRAINT delegations_not_self CHECK (delegator_uid <> delegatee_uid)
);
-- One active row per (trigger_type, trigger_ref); act-as rows have no ref and are one per (delegator, delegatee).
CREATE UNIQUE INDEX delegations_active_ref_idx ON rootcx_system.delegations (trigger_type, trigger_ref)
  WHERE revoked_at IS NULL AND trigger_ref IS NOT NULL;
CREATE UNIQUE INDEX delegations_active_act_as_idx ON rootcx_system.delegations (delegator_uid, delegatee_uid)
  WHERE revoked_at IS NULL AND trigger_type = 'act_as';
CREATE INDEX delegations_delegatee_idx ON rootcx_system.delegations (delegatee_uid);

-- Administrative actions may name their subject with an underscore (service_account.create): the first
-- segment now takes the same alphabet as the others.
ALTER TABLE rootcx_system.audit_log DROP CONSTRAINT audit_log_operation_check;
ALTER TABLE rootcx_system.audit_log ADD CONSTRAINT audit_log_operation_check
  CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'ARCHIVE') OR operation ~ '^[a-z_]+(\.[a-z_]+)+$');
