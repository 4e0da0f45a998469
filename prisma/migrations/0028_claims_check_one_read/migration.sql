-- The per-statement permission check in one read (issue 19, third pass).
--
-- check_access (0026) was the largest single cost of a governed read: measured with `perf` under the data bench,
-- 44 % of PostgreSQL's CPU went to it, ~80 µs per statement against ~50 µs for a whole `SELECT 1` transaction.
-- It called a second SECURITY DEFINER function (verified_claims), ran two queries (the claims key, then the
-- permission set) and a dozen PL/pgSQL expressions, each of which PL/pgSQL prepares again in every transaction.
-- Now it is one query that reads one row: the permission set, which carries copies of the claims key's HMAC
-- pads and its wildcard keys' prefixes, so that the MAC, the backend, the expiry and the grant are all checked
-- against that row. It stays PL/pgSQL: PostgreSQL before 18 plans a SQL-language function's body on every
-- call of every statement (measured on 15: twice the cost of the old function), PL/pgSQL keeps the plan.
--
-- verified_claims (0004) is unchanged, and what the audit triggers read.

-- Copies of rootcx_system.claims_key's pads: one source (the trigger below fills them on every insert and
-- follows the key if it ever changes), kept here so the check reads one row instead of two.
ALTER TABLE rootcx_system.permission_sets
  ADD COLUMN wildcards text[],
  ADD COLUMN mac_ipad bytea,
  ADD COLUMN mac_opad bytea;

-- `wildcards`: the prefixes the set's `p:*` keys grant (`app:crm:*` → `app:crm:`), so the check is two array
-- operators, not a loop over the keys.
-- FOR SHARE: a key change waits for this insert to commit (and then rewrites its pads), or this insert waits for
-- the change and reads the new key; either way no set keeps pads of a key that was replaced.
CREATE FUNCTION rootcx_system.permission_set_derived() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, rootcx_system, pg_temp AS $$
BEGIN
  NEW.wildcards := ARRAY(SELECT left(k, -1) FROM unnest(NEW.keys) k WHERE right(k, 2) = ':*');
  SELECT k.ipad, k.opad INTO NEW.mac_ipad, NEW.mac_opad FROM rootcx_system.claims_key k WHERE k.id = 1 FOR SHARE;
  RETURN NEW;
END $$;

CREATE TRIGGER permission_set_derived BEFORE INSERT OR UPDATE ON rootcx_system.permission_sets
  FOR EACH ROW EXECUTE FUNCTION rootcx_system.permission_set_derived();

UPDATE rootcx_system.permission_sets SET keys = keys;

ALTER TABLE rootcx_system.permission_sets
  ALTER COLUMN wildcards SET NOT NULL,
  ALTER COLUMN mac_ipad SET NOT NULL,
  ALTER COLUMN mac_opad SET NOT NULL;

CREATE FUNCTION rootcx_system.claims_key_follow() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, rootcx_system, pg_temp AS $$
BEGIN
  UPDATE rootcx_system.permission_sets SET keys = keys;
  RETURN NULL;
END $$;

CREATE TRIGGER claims_key_follow AFTER INSERT OR UPDATE ON rootcx_system.claims_key
  FOR EACH STATEMENT EXECUTE FUNCTION rootcx_system.claims_key_follow();

-- The key is changed in place, never removed: a removed key would leave the sets' copies granting on their own
-- (and verified_claims with no key to check against).
CREATE FUNCTION rootcx_system.claims_key_kept() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, rootcx_system, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'the claims key is changed with UPDATE, never deleted' USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER claims_key_kept BEFORE DELETE OR TRUNCATE ON rootcx_system.claims_key
  FOR EACH STATEMENT EXECUTE FUNCTION rootcx_system.claims_key_kept();

-- Trigger functions cannot be called directly; stated all the same, as for every function in this schema.
REVOKE EXECUTE ON FUNCTION rootcx_system.permission_set_derived(), rootcx_system.claims_key_follow(), rootcx_system.claims_key_kept() FROM PUBLIC;

-- The pads are the claims key: the console role must never read them (0008 granted it the tables that existed
-- then; this one came later, so this only states it).
REVOKE ALL ON rootcx_system.permission_sets FROM rootcx_db_reader;

-- The same decision as 0026's check_access, in one statement:
-- - the set named by field 8 of the claims, found by primary key (an empty or unknown digest finds none);
-- - then, inside CASE so that nothing is cast before the MAC has matched (a forged string reads as anonymous
--   rather than failing on a cast): a non-empty uid, exactly eight fields (seven "|"), this backend, not expired;
-- - and a held key that grants `required`: `*`, itself, or a `p:*` whose prefix `p:` it extends (strictly:
--   `p:` starts `required` without its last character, permissionMatches() in permissions.ts).
-- The claims are "<64 hex MAC>.<payload>", so splitting the whole string on "|" gives the payload's fields 2–8.
-- pg_temp named last in search_path: unnamed, it is searched first for types (`::text`).
CREATE OR REPLACE FUNCTION rootcx_system.check_access(required text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system, pg_temp AS $$
DECLARE
  -- Read once; within one statement the setting cannot change under this call.
  c text := current_setting('rootcx.claims', true);
BEGIN
  RETURN EXISTS (
    SELECT FROM rootcx_system.permission_sets s
     WHERE s.digest = split_part(c, '|', 8)
       AND CASE
             WHEN substr(c, 65, 1) = '.'
              AND encode(sha256(s.mac_opad || sha256(s.mac_ipad || convert_to(substr(c, 66), 'UTF8'))), 'hex')
                  = left(c, 64)
             THEN length(split_part(c, '|', 1)) > 65
              AND length(c) - length(replace(c, '|', '')) = 7
              AND split_part(c, '|', 6) = pg_backend_pid()::text
              AND split_part(c, '|', 7)::bigint >= extract(epoch FROM clock_timestamp())::bigint
              AND (s.keys && ARRAY['*', required] OR left(required, -1) ^@ ANY (s.wildcards))
             ELSE false
           END);
END $$;

REVOKE EXECUTE ON FUNCTION rootcx_system.check_access(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rootcx_system.check_access(text) TO rootcx_app_executor;

-- verified_claims (0004, what the audit triggers read) compared the MAC with `<>`: with no key row that is NULL,
-- and the claims went on to be accepted. The same function, refusing then.
CREATE OR REPLACE FUNCTION rootcx_system.verified_claims() RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system, pg_temp AS $$
DECLARE
  raw text := current_setting('rootcx.claims', true);
  payload text;
  f text[];
BEGIN
  IF raw IS NULL OR length(raw) < 66 OR substr(raw, 65, 1) <> '.' THEN RETURN NULL; END IF;
  payload := substr(raw, 66);
  IF (SELECT encode(sha256(k.opad || sha256(k.ipad || convert_to(payload, 'UTF8'))), 'hex') FROM rootcx_system.claims_key k) IS DISTINCT FROM left(raw, 64) THEN
    RETURN NULL;
  END IF;
  f := string_to_array(payload, '|');
  IF array_length(f, 1) <> 8 OR f[6]::int <> pg_backend_pid() OR f[7]::bigint < extract(epoch FROM clock_timestamp())::bigint THEN
    RETURN NULL;
  END IF;
  RETURN f;
END $$;
