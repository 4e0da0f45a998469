-- Declared permission keys: what the Studio's permission picker offers. Apps add theirs on install.

CREATE TABLE rootcx_system.rbac_permissions (
  key         text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  source_app  text NOT NULL DEFAULT 'core',
  CONSTRAINT rbac_permissions_key_format CHECK (key ~ '^[a-z0-9_:.*]+$')
);

INSERT INTO rootcx_system.rbac_permissions (key, description) VALUES
  ('admin:apps.install', 'Install, update and uninstall apps'),
  ('admin:apps.deploy', 'Deploy app backends and frontends'),
  ('admin:secrets.manage', 'Manage app and platform secrets'),
  ('admin:db.query', 'Browse the database and run read-only SQL'),
  ('admin:audit.read', 'Read the audit log'),
  ('admin:mcp.manage', 'Manage MCP servers'),
  ('admin:agents.manage', 'Manage agents'),
  ('admin:service_accounts.manage', 'Manage service accounts'),
  ('platform:apps.create', 'Install apps (self-service)'),
  ('auth.invite', 'Invite users by magic link');

-- Role names share the key alphabet (app roles are named app:{app}:admin), plus "-".
ALTER TABLE rootcx_system.rbac_roles
  ADD CONSTRAINT rbac_roles_name_format CHECK (name ~ '^[a-z0-9_:.-]{1,100}$');
