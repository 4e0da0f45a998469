-- The database console's role. The Core's own role is a superuser, and READ ONLY does not stop a superuser's
-- functions (pg_read_file, pg_terminate_backend): console queries run as this role instead. It reads app data
-- past RLS (an administrator's tool) and the platform tables, but not the keys, the gateway password, secrets,
-- sessions or password hashes.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rootcx_db_reader') THEN
    CREATE ROLE rootcx_db_reader NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
  END IF;
END $$;

GRANT USAGE ON SCHEMA rootcx_system, public TO rootcx_db_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA rootcx_system TO rootcx_db_reader;
REVOKE SELECT ON rootcx_system.claims_key, rootcx_system.config, rootcx_system.secrets, rootcx_system.vault_keys,
  rootcx_system.sessions, rootcx_system.users FROM rootcx_db_reader;
GRANT SELECT (id, email, display_name, is_system, kind, disabled_at, created_at, updated_at) ON rootcx_system.users TO rootcx_db_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO rootcx_db_reader;
