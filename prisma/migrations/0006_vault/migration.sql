-- The secret vault: AES-256-GCM values under the master key. Each key version keeps a canary (a known text
-- encrypted under it), so the Core recognises the key it was given, and each secret records the version
-- that encrypted it, so a rotation can proceed row by row and survive a crash half-way.

CREATE TABLE rootcx_system.vault_keys (
  version      integer PRIMARY KEY,
  canary_nonce bytea NOT NULL,
  canary       bytea NOT NULL,
  state        text NOT NULL,
  created_at   timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT vault_keys_state_check CHECK (state IN ('active', 'next', 'retired'))
);

CREATE TABLE rootcx_system.secrets (
  app_id      text NOT NULL,
  key_name    text NOT NULL,
  nonce       bytea NOT NULL,
  ciphertext  bytea NOT NULL,
  key_version integer NOT NULL REFERENCES rootcx_system.vault_keys (version),
  created_at  timestamptz(6) NOT NULL DEFAULT now(),
  updated_at  timestamptz(6) NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, key_name),
  CONSTRAINT secrets_nonce_length CHECK (length(nonce) = 12)
);
CREATE INDEX secrets_key_version_idx ON rootcx_system.secrets (key_version);
