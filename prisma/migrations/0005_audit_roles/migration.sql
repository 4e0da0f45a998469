-- Role and assignment changes are audited like governed data. The trigger takes the columns that identify a
-- row (default "id"), since these tables are keyed by name and by (user_id, role).

CREATE OR REPLACE FUNCTION rootcx_system.audit_trigger_fn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  rec jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
  keys text[] := CASE WHEN TG_NARGS > 0 THEN TG_ARGV ELSE ARRAY['id'] END;
BEGIN
  PERFORM rootcx_system.audit_append(
    TG_TABLE_SCHEMA, TG_TABLE_NAME,
    (SELECT string_agg(rec ->> k, ':' ORDER BY ord) FROM unnest(keys) WITH ORDINALITY AS u(k, ord)),
    TG_OP,
    CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END,
    CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END);
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.audit_trigger_fn() FROM PUBLIC;

CREATE TRIGGER audit_rootcx_system_rbac_roles AFTER INSERT OR UPDATE OR DELETE ON rootcx_system.rbac_roles
  FOR EACH ROW EXECUTE FUNCTION rootcx_system.audit_trigger_fn('name');
CREATE TRIGGER audit_rootcx_system_rbac_assignments AFTER INSERT OR UPDATE OR DELETE ON rootcx_system.rbac_assignments
  FOR EACH ROW EXECUTE FUNCTION rootcx_system.audit_trigger_fn('user_id', 'role');

-- Every Core process caches resolved permissions; any change to roles or assignments, however it is made,
-- tells them all to drop the cache (delivered on commit).
CREATE FUNCTION rootcx_system.rbac_changed_fn() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  PERFORM pg_notify('rootcx_rbac', TG_TABLE_NAME);
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.rbac_changed_fn() FROM PUBLIC;
CREATE TRIGGER rbac_roles_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rootcx_system.rbac_roles
  FOR EACH STATEMENT EXECUTE FUNCTION rootcx_system.rbac_changed_fn();
CREATE TRIGGER rbac_assignments_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rootcx_system.rbac_assignments
  FOR EACH STATEMENT EXECUTE FUNCTION rootcx_system.rbac_changed_fn();
