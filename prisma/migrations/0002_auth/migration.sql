-- Authentication: principals, server-side sessions, the first roles, and rate-limit counters.

CREATE TABLE rootcx_system.users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Stored trimmed and lower-cased, so the unique constraint compares case-insensitively.
  email         text NOT NULL UNIQUE,
  display_name  text,
  password_hash text,
  is_system     boolean NOT NULL DEFAULT false,
  kind          text NOT NULL DEFAULT 'human',
  disabled_at   timestamptz(6),
  created_at    timestamptz(6) NOT NULL DEFAULT now(),
  updated_at    timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT users_kind_check CHECK (kind IN ('human', 'agent', 'service')),
  CONSTRAINT users_email_normalized CHECK (email = lower(btrim(email)) AND email <> '')
);

INSERT INTO rootcx_system.users (id, email, display_name, is_system, kind)
VALUES ('00000000-0000-0000-0000-000000000001', 'system@localhost', 'System', true, 'service');

CREATE TABLE rootcx_system.sessions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id            uuid NOT NULL REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  -- SHA-256 of the refresh token: a leaked table yields no usable token.
  refresh_token_hash text NOT NULL UNIQUE,
  expires_at         timestamptz(6) NOT NULL,
  created_at         timestamptz(6) NOT NULL DEFAULT now(),
  last_used_at       timestamptz(6),
  ip                 text,
  user_agent         text
);
CREATE INDEX sessions_user_id_idx ON rootcx_system.sessions (user_id);

-- Roles and assignments. The governance subsystem builds the full model on these tables.
CREATE TABLE rootcx_system.rbac_roles (
  name        text PRIMARY KEY,
  description text,
  inherits    text[] NOT NULL DEFAULT '{}',
  permissions text[] NOT NULL DEFAULT '{}',
  created_at  timestamptz(6) NOT NULL DEFAULT now(),
  updated_at  timestamptz(6) NOT NULL DEFAULT now()
);

INSERT INTO rootcx_system.rbac_roles (name, description, permissions) VALUES
  ('admin', 'Full access to everything', '{*}'),
  ('base', 'Signed-in user without permissions', '{}');

CREATE TABLE rootcx_system.rbac_assignments (
  user_id     uuid NOT NULL REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  role        text NOT NULL REFERENCES rootcx_system.rbac_roles (name) ON DELETE CASCADE ON UPDATE CASCADE,
  assigned_at timestamptz(6) NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role)
);
CREATE INDEX rbac_assignments_role_idx ON rootcx_system.rbac_assignments (role);

-- Counters of rate-limiter-flexible's PostgreSQL store, shared by every Core process.
CREATE TABLE rootcx_system.rate_limits (
  key    varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
