-- The database console (rootcx_db_reader, 0008) must not reach what the Core coordinates with: advisory locks
-- (the audit chain's, the bootstrap's, the apps registry's; a console query holding one for its 120 s timeout
-- stalls every audited write) and notifications (the Core's cache channels, rootcx_auth, rootcx_rbac, rootcx_apps).
-- Nor may it signal other backends. These functions are executable by PUBLIC out of the box; from here on
-- only the Core's own role runs them. The audit trigger and audit_append are SECURITY DEFINER (owned by the
-- Core's role), so writes made as rootcx_app_executor still take the chain's lock. A future trigger that locks
-- or notifies on behalf of the executor must be SECURITY DEFINER too.
DO $$
DECLARE
  fn regprocedure;
BEGIN
  FOR fn IN
    SELECT p.oid::regprocedure
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'pg_catalog'::regnamespace
       AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%'
            OR p.proname IN ('pg_notify', 'pg_cancel_backend', 'pg_terminate_backend'))
  LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', fn);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO CURRENT_USER', fn);
  END LOOP;
END $$;
