-- Governance in PostgreSQL: the executor role that every data path runs as, claims it cannot forge, the
-- access check the row-level-security policies call, and the immutable, hash-chained audit log.

-- Roles are cluster-wide: create the executor once, whatever database of the cluster migrates first.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rootcx_app_executor') THEN
    CREATE ROLE rootcx_app_executor NOLOGIN NOBYPASSRLS NOINHERIT;
  END IF;
END $$;
-- The Core's own role switches to the executor too (maintenance paths, tests of the lockdown).
GRANT rootcx_app_executor TO CURRENT_USER;

-- The gateway is the login of the governed connection pool: a session user that owns nothing and can become
-- nothing but the executor, so neither SET ROLE nor RESET ROLE climbs back to the Core's privileges. One per
-- database (several Core databases may share a cluster); its password is kept in rootcx_system.config.
DO $$
DECLARE
  gw text := 'rootcx_gw_' || left(md5(current_database()), 16);
  pw text := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = gw) THEN
    EXECUTE format('CREATE ROLE %I LOGIN NOINHERIT NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE', gw);
  END IF;
  EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', gw, pw);
  EXECUTE format('GRANT rootcx_app_executor TO %I', gw);
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), gw);
  EXECUTE format('GRANT USAGE ON SCHEMA rootcx_system TO %I', gw);
  EXECUTE format('GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO %I', gw);
  INSERT INTO rootcx_system.config (key, value) VALUES ('governance.gateway', jsonb_build_object('role', gw, 'password', pw))
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now();
END $$;

REVOKE ALL ON SCHEMA rootcx_system FROM PUBLIC;
GRANT USAGE ON SCHEMA rootcx_system TO rootcx_app_executor;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA rootcx_system REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Claims live in transaction-local settings, which any role can SET. They are trusted only with a MAC that
-- the Core computes from a key stored here, readable by the table owner (the Core) alone; the MAC binds the
-- claims to the backend and an expiry, so a MAC seen in one transaction cannot grant anything elsewhere.
CREATE TABLE rootcx_system.claims_key (
  id  integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  key text NOT NULL
);
INSERT INTO rootcx_system.claims_key (key)
VALUES (replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;
-- The Core's own role keeps it (a superuser would anyway; a BYPASSRLS role needs the grant).
GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO CURRENT_USER;

-- HMAC-SHA256 (RFC 2104) from the built-in sha256(), so no extension is needed. The key's inner and outer
-- pads are derived once here, which keeps the per-statement check to two hashes.
CREATE FUNCTION rootcx_system.hmac_pads(key bytea, OUT ipad bytea, OUT opad bytea)
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog AS $$
DECLARE
  k bytea := key;
BEGIN
  IF length(k) > 64 THEN k := sha256(k); END IF;
  k := k || decode(repeat('00', 64 - length(k)), 'hex');
  ipad := k; opad := k;
  FOR i IN 0..63 LOOP
    ipad := set_byte(ipad, i, get_byte(k, i) # 54);  -- 0x36
    opad := set_byte(opad, i, get_byte(k, i) # 92);  -- 0x5c
  END LOOP;
END $$;

ALTER TABLE rootcx_system.claims_key ADD COLUMN ipad bytea, ADD COLUMN opad bytea;
UPDATE rootcx_system.claims_key SET (ipad, opad) = (SELECT p.ipad, p.opad FROM rootcx_system.hmac_pads(decode(key, 'hex')) p);
ALTER TABLE rootcx_system.claims_key ALTER COLUMN ipad SET NOT NULL, ALTER COLUMN opad SET NOT NULL;

CREATE FUNCTION rootcx_system.match_permission(held text[], required text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT coalesce(bool_or(
           p = '*' OR p = required
           OR (right(p, 2) = ':*' AND length(required) > length(p) - 1 AND left(required, length(p) - 1) = left(p, length(p) - 1))
         ), false)
    FROM unnest(held) AS p
$$;

CREATE FUNCTION rootcx_system.expand_roles(start text[]) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
  WITH RECURSIVE expanded(name, depth, path) AS (
    SELECT r, 1, ARRAY[r] FROM unnest(start) AS r
    UNION ALL
    SELECT parent, e.depth + 1, e.path || parent
      FROM expanded e JOIN rootcx_system.rbac_roles ro ON ro.name = e.name
      CROSS JOIN LATERAL unnest(ro.inherits) AS parent
     WHERE e.depth < 64 AND NOT parent = ANY (e.path)
  )
  SELECT coalesce(array_agg(DISTINCT name ORDER BY name), '{}') FROM expanded
$$;

CREATE FUNCTION rootcx_system.resolve_permissions(uid uuid) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
  SELECT coalesce(array_agg(DISTINCT p ORDER BY p), '{}')
    FROM rootcx_system.rbac_roles r
    CROSS JOIN LATERAL unnest(r.permissions) AS p
   WHERE r.name = ANY (rootcx_system.expand_roles(
           ARRAY(SELECT role FROM rootcx_system.rbac_assignments WHERE user_id = uid)))
$$;

CREATE FUNCTION rootcx_system.has_permission(uid uuid, required text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
  SELECT uid IS NOT NULL AND rootcx_system.match_permission(rootcx_system.resolve_permissions(uid), required)
$$;

-- The claims of the current transaction, if their MAC is valid, their backend is this one and they have
-- not expired; otherwise NULL (anonymous: every check fails). `rootcx.claims` is "<hex MAC>.<payload>" with
-- payload uid|delegated|actor|delegator|trigger|pid|exp|perms (perms comma-separated): a flat string, because
-- this runs for every governed statement and splitting text is cheaper than parsing JSON.
CREATE FUNCTION rootcx_system.verified_claims() RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  raw text := current_setting('rootcx.claims', true);
  payload text;
  f text[];
BEGIN
  IF raw IS NULL OR length(raw) < 66 OR substr(raw, 65, 1) <> '.' THEN RETURN NULL; END IF;
  payload := substr(raw, 66);
  IF (SELECT encode(sha256(k.opad || sha256(k.ipad || convert_to(payload, 'UTF8'))), 'hex') FROM rootcx_system.claims_key k) <> left(raw, 64) THEN
    RETURN NULL;
  END IF;
  f := string_to_array(payload, '|');
  IF array_length(f, 1) <> 8 OR f[6]::int <> pg_backend_pid() OR f[7]::bigint < extract(epoch FROM clock_timestamp())::bigint THEN
    RETURN NULL;
  END IF;
  RETURN f;
END $$;

-- What every row-level-security policy asks: may the transaction's principal do `required`? The signed
-- claims carry the principal's permissions as the Core resolved them when the transaction opened (the
-- user's live roles, or for delegated authority the frozen intersection), so the check reads no table.
-- The matching is written out here (rather than calling match_permission) because this runs for every
-- governed statement: plpgsql caches these expressions, where a nested SQL function call would not be.
CREATE FUNCTION rootcx_system.check_access(required text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  c text[] := rootcx_system.verified_claims();
  p text;
BEGIN
  IF c IS NULL OR c[1] = '' THEN RETURN false; END IF;
  -- Keys never contain commas (their alphabet is [a-z0-9_:.*]), so the list travels as one string.
  FOREACH p IN ARRAY string_to_array(c[8], ',') LOOP
    IF p = '*' OR p = required
       OR (right(p, 2) = ':*' AND length(required) > length(p) - 1 AND left(required, length(p) - 1) = left(p, length(p) - 1)) THEN
      RETURN true;
    END IF;
  END LOOP;
  RETURN false;
END $$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA rootcx_system FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rootcx_system.check_access(text) TO rootcx_app_executor;

-- ---------------------------------------------------------------------------------------------------------
-- Audit log: one row per INSERT/UPDATE/DELETE on a governed table, each carrying a SHA-256 over its content
-- and the previous row's hash. Writers take a transaction-level advisory lock, so rows join the chain in
-- commit order and concurrent writers still produce one valid chain.

CREATE TABLE rootcx_system.audit_log (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_schema  text NOT NULL,
  table_name    text NOT NULL,
  record_id     text,
  operation     text NOT NULL,
  old_record    jsonb,
  new_record    jsonb,
  actor_uid     uuid,
  delegator_uid uuid,
  trigger_ref   text,
  changed_at    timestamptz(6) NOT NULL DEFAULT clock_timestamp(),
  prev_hash     text NOT NULL,
  hash          text NOT NULL,
  CONSTRAINT audit_log_operation_check CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'ARCHIVE'))
);
CREATE INDEX audit_log_changed_at_idx ON rootcx_system.audit_log (changed_at DESC);
CREATE INDEX audit_log_table_idx ON rootcx_system.audit_log (table_schema, table_name);

-- Where the chain starts: the genesis value, or after an archive the hash of the last removed row.
CREATE TABLE rootcx_system.audit_anchor (
  id          integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  after_id    bigint NOT NULL DEFAULT 0,
  hash        text NOT NULL,
  updated_at  timestamptz(6) NOT NULL DEFAULT now()
);
INSERT INTO rootcx_system.audit_anchor (hash) VALUES (repeat('0', 64));

-- The canonical text a row's hash covers; verification recomputes it.
CREATE FUNCTION rootcx_system.audit_row_digest(prev text, r rootcx_system.audit_log) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT encode(sha256(convert_to(concat_ws(chr(31),
    prev, r.id::text, r.table_schema, r.table_name, coalesce(r.record_id, ''), r.operation,
    coalesce(r.old_record::text, ''), coalesce(r.new_record::text, ''), coalesce(r.actor_uid::text, ''),
    coalesce(r.delegator_uid::text, ''), coalesce(r.trigger_ref, ''),
    to_char(r.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')), 'UTF8')), 'hex')
$$;

CREATE FUNCTION rootcx_system.audit_append(
  p_schema text, p_table text, p_record_id text, p_operation text, p_old jsonb, p_new jsonb
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  c text[] := rootcx_system.verified_claims();
  r rootcx_system.audit_log;
BEGIN
  PERFORM pg_advisory_xact_lock(7367617); -- the chain's lock, held to commit: rows join in commit order
  SELECT hash INTO r.prev_hash FROM rootcx_system.audit_log ORDER BY id DESC LIMIT 1;
  IF r.prev_hash IS NULL THEN SELECT hash INTO r.prev_hash FROM rootcx_system.audit_anchor; END IF;
  r.id := nextval(pg_get_serial_sequence('rootcx_system.audit_log', 'id'));
  r.table_schema := p_schema; r.table_name := p_table; r.record_id := p_record_id; r.operation := p_operation;
  r.old_record := p_old; r.new_record := p_new;
  r.actor_uid := nullif(c[3], '')::uuid;
  r.delegator_uid := nullif(c[4], '')::uuid;
  r.trigger_ref := nullif(c[5], '');
  r.changed_at := date_trunc('microseconds', clock_timestamp());
  r.hash := rootcx_system.audit_row_digest(r.prev_hash, r);
  INSERT INTO rootcx_system.audit_log OVERRIDING SYSTEM VALUE SELECT r.*;
END $$;

CREATE FUNCTION rootcx_system.audit_trigger_fn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
BEGIN
  PERFORM rootcx_system.audit_append(
    TG_TABLE_SCHEMA, TG_TABLE_NAME,
    CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ->> 'id' ELSE to_jsonb(NEW) ->> 'id' END,
    TG_OP,
    CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END,
    CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END);
  RETURN NULL;
END $$;

-- The log is append-only: no UPDATE ever; DELETE only inside the documented retention procedure (which runs
-- as the Core and records itself); TRUNCATE is refused outright.
CREATE FUNCTION rootcx_system.audit_guard_fn() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('rootcx.audit_retention', true) = 'on' THEN RETURN OLD; END IF;
  RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON rootcx_system.audit_log
  FOR EACH ROW EXECUTE FUNCTION rootcx_system.audit_guard_fn();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON rootcx_system.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION rootcx_system.audit_guard_fn();

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA rootcx_system FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rootcx_system.check_access(text) TO rootcx_app_executor;

-- Puts a table under governance: FORCE row-level security with the four per-operation policies (each check
-- wrapped in a scalar subquery so it runs once per statement, not once per row), executor grants, and the
-- audit trigger. Idempotent; app installs call it for every entity table.
CREATE FUNCTION rootcx_system.govern_table(tbl regclass, app_id text, entity text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  nsp text;
  rel text;
  prefix text := format('app:%s:%s', app_id, entity);
BEGIN
  IF app_id !~ '^[a-z][a-z0-9_]*$' OR entity !~ '^[a-z][a-z0-9_]*$' THEN
    RAISE EXCEPTION 'invalid app or entity identifier';
  END IF;
  SELECT n.nspname, c.relname INTO nsp, rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = tbl;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO rootcx_app_executor', nsp);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO rootcx_app_executor', tbl);
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS rootcx_rls_select ON %s', tbl);
  EXECUTE format('DROP POLICY IF EXISTS rootcx_rls_insert ON %s', tbl);
  EXECUTE format('DROP POLICY IF EXISTS rootcx_rls_update ON %s', tbl);
  EXECUTE format('DROP POLICY IF EXISTS rootcx_rls_delete ON %s', tbl);
  EXECUTE format('CREATE POLICY rootcx_rls_select ON %s FOR SELECT USING ((SELECT rootcx_system.check_access(%L)))', tbl, prefix || '.read');
  EXECUTE format('CREATE POLICY rootcx_rls_insert ON %s FOR INSERT WITH CHECK ((SELECT rootcx_system.check_access(%L)))', tbl, prefix || '.create');
  EXECUTE format('CREATE POLICY rootcx_rls_update ON %s FOR UPDATE USING ((SELECT rootcx_system.check_access(%L))) WITH CHECK ((SELECT rootcx_system.check_access(%L)))', tbl, prefix || '.update', prefix || '.update');
  EXECUTE format('CREATE POLICY rootcx_rls_delete ON %s FOR DELETE USING ((SELECT rootcx_system.check_access(%L)))', tbl, prefix || '.delete');
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', 'audit_' || regexp_replace(nsp || '_' || rel, '[^a-zA-Z0-9]', '_', 'g'), tbl);
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION rootcx_system.audit_trigger_fn()',
                 'audit_' || regexp_replace(nsp || '_' || rel, '[^a-zA-Z0-9]', '_', 'g'), tbl);
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.govern_table(regclass, text, text) FROM PUBLIC;
