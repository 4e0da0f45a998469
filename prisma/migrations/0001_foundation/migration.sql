-- Foundation: installed applications (with the reserved "core" row) and instance settings.

CREATE TABLE rootcx_system.apps (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  version       text NOT NULL DEFAULT '0.0.0',
  manifest      jsonb NOT NULL DEFAULT '{}'::jsonb,
  app_type      text NOT NULL DEFAULT 'app',
  status        text NOT NULL DEFAULT 'installed',
  webhook_token text UNIQUE,
  icon          text,
  created_at    timestamptz(6) NOT NULL DEFAULT now(),
  updated_at    timestamptz(6) NOT NULL DEFAULT now()
);

INSERT INTO rootcx_system.apps (id, name, app_type, status)
VALUES ('core', 'RootCX Core', 'system', 'installed')
ON CONFLICT (id) DO NOTHING;

CREATE TABLE rootcx_system.config (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz(6) NOT NULL DEFAULT now()
);
