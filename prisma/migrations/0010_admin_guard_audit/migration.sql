-- At least one enabled administrator, under any concurrency; and administrative events in the audit chain.

-- "Administrator" means what requireAdmin means: an enabled human principal whose roles, through inheritance,
-- hold the literal '*'. Counted over the role graph upwards from every role that holds '*'.
CREATE FUNCTION rootcx_system.enabled_admin_count() RETURNS integer
LANGUAGE sql STABLE SET search_path = pg_catalog, rootcx_system AS $$
  WITH RECURSIVE granting(name) AS (
    SELECT name FROM rootcx_system.rbac_roles WHERE '*' = ANY (permissions)
    UNION
    SELECT r.name FROM rootcx_system.rbac_roles r JOIN granting g ON g.name = ANY (r.inherits)
  )
  SELECT count(DISTINCT u.id)::int
    FROM rootcx_system.users u
    JOIN rootcx_system.rbac_assignments a ON a.user_id = u.id
    JOIN granting g ON g.name = a.role
   WHERE u.disabled_at IS NULL AND NOT u.is_system
$$;

-- Whether any of these roles, through inheritance, holds '*'.
CREATE FUNCTION rootcx_system.roles_grant_all(roles text[]) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, rootcx_system AS $$
  SELECT EXISTS (SELECT 1 FROM rootcx_system.rbac_roles
                  WHERE name = ANY (rootcx_system.expand_roles(roles)) AND '*' = ANY (permissions))
$$;

-- The one lock every change that can shrink the admin set takes before it counts: the admin role's row.
-- A row lock, not an advisory lock, because only roles that may update rbac_roles can take it (the database
-- console cannot). FOR NO KEY UPDATE leaves the foreign-key checks of new assignments unblocked.
CREATE FUNCTION rootcx_system.lock_admin_set() RETURNS void
LANGUAGE sql SET search_path = pg_catalog, rootcx_system AS $$
  SELECT 1 FROM rootcx_system.rbac_roles WHERE name = 'admin' FOR NO KEY UPDATE
$$;

-- The backstop for every path, the Core's services and hand-written SQL alike: at commit, a transaction that
-- removed an admin grant takes the lock and recounts, with a snapshot that sees every earlier commit. The
-- services take the same lock first and refuse with a precise reason; this catches what they do not cover.
CREATE FUNCTION rootcx_system.admin_guard_fn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  relevant boolean;
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    relevant := rootcx_system.roles_grant_all(ARRAY(SELECT role FROM rootcx_system.rbac_assignments WHERE user_id = OLD.id));
  ELSIF TG_TABLE_NAME = 'rbac_assignments' THEN
    relevant := rootcx_system.roles_grant_all(ARRAY[OLD.role]);
  ELSE
    relevant := '*' = ANY (OLD.permissions) OR rootcx_system.roles_grant_all(OLD.inherits);
  END IF;
  IF relevant THEN
    PERFORM rootcx_system.lock_admin_set();
    -- A new statement, so a new snapshot (READ COMMITTED): it sees what the lock's previous holder committed.
    IF rootcx_system.enabled_admin_count() = 0 THEN
      RAISE EXCEPTION 'at least one enabled administrator must remain' USING ERRCODE = 'RX001';
    END IF;
  END IF;
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.admin_guard_fn() FROM PUBLIC;

-- A user's deletion removes its assignments by cascade, which the assignment trigger sees.
CREATE CONSTRAINT TRIGGER admin_guard_users AFTER UPDATE OF disabled_at, is_system ON rootcx_system.users
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.disabled_at IS NULL AND NOT OLD.is_system AND (NEW.disabled_at IS NOT NULL OR NEW.is_system))
  EXECUTE FUNCTION rootcx_system.admin_guard_fn();
CREATE CONSTRAINT TRIGGER admin_guard_assignments_delete AFTER DELETE ON rootcx_system.rbac_assignments
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rootcx_system.admin_guard_fn();
CREATE CONSTRAINT TRIGGER admin_guard_assignments_update AFTER UPDATE ON rootcx_system.rbac_assignments
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rootcx_system.admin_guard_fn();
CREATE CONSTRAINT TRIGGER admin_guard_roles_delete AFTER DELETE ON rootcx_system.rbac_roles
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rootcx_system.admin_guard_fn();
CREATE CONSTRAINT TRIGGER admin_guard_roles_update AFTER UPDATE OF permissions, inherits ON rootcx_system.rbac_roles
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.permissions IS DISTINCT FROM NEW.permissions OR OLD.inherits IS DISTINCT FROM NEW.inherits)
  EXECUTE FUNCTION rootcx_system.admin_guard_fn();

-- Administrative events (user administration, secrets by name, app installs, key rotation, retention) join
-- the same chain as data changes, named by a dotted action in `operation` (user.disable, secret.set, …).
ALTER TABLE rootcx_system.audit_log DROP CONSTRAINT audit_log_operation_check;
ALTER TABLE rootcx_system.audit_log ADD CONSTRAINT audit_log_operation_check
  CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'ARCHIVE') OR operation ~ '^[a-z]+(\.[a-z_]+)+$');
-- The audit viewer's filters: by action and by actor.
CREATE INDEX audit_log_operation_idx ON rootcx_system.audit_log (operation);
CREATE INDEX audit_log_actor_idx ON rootcx_system.audit_log (actor_uid);
