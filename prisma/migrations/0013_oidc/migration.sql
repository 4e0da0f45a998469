-- Single sign-on: OpenID providers (relying-party side), the identities they assert, pending browser sign-ins,
-- and the short-lived nonces a browser exchanges for tokens. Every row lives in PostgreSQL, so any Core process
-- serving this database can finish a flow another one started.

CREATE TABLE rootcx_system.oidc_providers (
  id            text PRIMARY KEY,
  display_name  text NOT NULL,
  issuer_url    text NOT NULL,
  client_id     text NOT NULL,
  -- The client secret is never here: it lives in the vault under scope `oidc:{id}`, key `client_secret`.
  scopes        text[] NOT NULL DEFAULT '{openid,email,profile}',
  auto_register boolean NOT NULL DEFAULT true,
  -- A deleted role falls back to `base` (no permissions), never to something broader.
  default_role  text NOT NULL DEFAULT 'base' REFERENCES rootcx_system.rbac_roles (name) ON UPDATE CASCADE ON DELETE SET DEFAULT,
  role_claim    text,
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz(6) NOT NULL DEFAULT now(),
  updated_at    timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT oidc_providers_id_shape CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$')
);

-- Who a provider says a user is: (provider, subject) → user. One identity per provider per user.
CREATE TABLE rootcx_system.oidc_identities (
  provider_id text NOT NULL REFERENCES rootcx_system.oidc_providers (id) ON DELETE CASCADE,
  subject     text NOT NULL,
  user_id     uuid NOT NULL REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  created_at  timestamptz(6) NOT NULL DEFAULT now(),
  PRIMARY KEY (provider_id, subject),
  CONSTRAINT oidc_identities_provider_user UNIQUE (provider_id, user_id)
);
CREATE INDEX oidc_identities_user_id_idx ON rootcx_system.oidc_identities (user_id);

-- A browser sign-in between the redirect to the provider and its callback (10 minutes, consumed once).
-- Keyed by the SHA-256 of `state`, which travels in URLs; the nonce and PKCE verifier are needed in clear.
CREATE TABLE rootcx_system.oidc_login_states (
  state_hash     text PRIMARY KEY,
  provider_id    text NOT NULL REFERENCES rootcx_system.oidc_providers (id) ON DELETE CASCADE,
  nonce          text NOT NULL,
  pkce_verifier  text NOT NULL,
  redirect_uri   text,
  token_delivery text,
  expires_at     timestamptz(6) NOT NULL,
  created_at     timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT oidc_login_states_hash_shape CHECK (state_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT oidc_login_states_delivery_check CHECK (token_delivery IN ('nonce', 'legacy'))
);
CREATE INDEX oidc_login_states_expires_at_idx ON rootcx_system.oidc_login_states (expires_at);

-- One-time codes a browser trades for tokens at POST /auth/nonce-exchange (30 s, single use, SHA-256 only).
CREATE TABLE rootcx_system.auth_nonces (
  nonce_hash text PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  expires_at timestamptz(6) NOT NULL,
  created_at timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT auth_nonces_hash_shape CHECK (nonce_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX auth_nonces_expires_at_idx ON rootcx_system.auth_nonces (expires_at);
