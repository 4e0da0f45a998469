-- The governed fast path (issue 19): claims of constant size, and a permission check in one step.
--
-- Until now the signed claims carried the principal's permission keys as one comma-separated string, and every
-- governed statement verified the MAC over it and walked the keys in a PL/pgSQL loop: for a user holding 500
-- keys that was ~0.2 ms to verify and ~0.7 ms to check, per statement. Now the claims carry the SHA-256 of the
-- key list (field 8), the list itself is stored once here, and check_access asks whether it holds any of the
-- few keys that could grant the one required (`*`, the key itself, and `prefix:*` for each of its prefixes)
-- with one array overlap on one row found by primary key.
--
-- The sets are content-addressed and immutable: the Core inserts a set the first time it signs claims for it
-- (ON CONFLICT DO NOTHING) and never changes one, so a digest inside valid claims always names the keys the Core
-- signed for. Only the Core's role writes here; the executor and the gateway have no privilege on the table.
CREATE TABLE rootcx_system.permission_sets (
  digest     text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
  keys       text[] NOT NULL,
  created_at timestamptz(6) NOT NULL DEFAULT now()
);

-- What every row-level-security policy asks (see 0004): may the transaction's principal do `required`? The
-- MAC is still verified on each call: a setting is the only per-transaction memory PL/pgSQL has, and any role
-- can SET a custom setting, so a "verified" marker kept there could be forged by the executor itself; with
-- short claims the verification is a few microseconds.
CREATE OR REPLACE FUNCTION rootcx_system.check_access(required text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  c text[] := rootcx_system.verified_claims();
  -- The held keys that grant `required`: `*`, itself, and `p:*` for each prefix `p:` shorter than it
  -- (app:crm:deals.read → app:*, app:crm:*), which is permissionMatches() in permissions.ts turned around.
  granting text[] := ARRAY['*', required];
  parts text[];
  prefix text := '';
BEGIN
  IF c IS NULL OR c[1] = '' OR c[8] = '' THEN RETURN false; END IF;
  parts := string_to_array(required, ':');
  FOR k IN 1 .. coalesce(array_length(parts, 1), 0) - 1 LOOP
    prefix := prefix || parts[k] || ':';
    IF length(prefix) < length(required) THEN granting := granting || (prefix || '*'); END IF;
  END LOOP;
  RETURN EXISTS (SELECT FROM rootcx_system.permission_sets s WHERE s.digest = c[8] AND s.keys && granting);
END $$;

REVOKE EXECUTE ON FUNCTION rootcx_system.check_access(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rootcx_system.check_access(text) TO rootcx_app_executor;
