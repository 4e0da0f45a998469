-- Workers run their own SQL as rootcx_app_executor on pooled connections that serve every principal in turn.
-- Two things PUBLIC may do out of the box would let one principal's statements reach past row-level security:
--
-- Temporary tables (SELECT … INTO TEMP passes the keyword guard): one outlives its transaction on the pooled
-- connection, so a later principal there could read it, and since pg_temp is searched before the app's schema,
-- a temp table named like an app table would shadow it for that principal's unqualified queries.
--
-- Large objects (lo_from_bytea, lo_create, lowrite, lo_get…): stored outside every app table, owned by the one
-- executor role that all workers share, so any worker could read what another user's worker stored.
--
-- From here on only the Core's own role may use either; the executor and the console's reader may not.
DO $$
DECLARE
  fn regprocedure;
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO CURRENT_USER', current_database());
  FOR fn IN
    SELECT p.oid::regprocedure
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'pg_catalog'::regnamespace
       AND (p.proname LIKE 'lo\_%' OR p.proname IN ('loread', 'lowrite'))
  LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', fn);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO CURRENT_USER', fn);
  END LOOP;
END $$;
