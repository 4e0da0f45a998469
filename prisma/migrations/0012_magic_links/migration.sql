-- Magic links: single-use sign-in tokens for an e-mail address. Only the SHA-256 of a token is stored, so a
-- leaked table yields no usable link. The user is found (or created) by e-mail when the link is consumed.

CREATE TABLE rootcx_system.magic_link_tokens (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash     text NOT NULL UNIQUE,
  -- Stored trimmed and lower-cased, as rootcx_system.users.email.
  email          text NOT NULL,
  -- Roles conferred on consumption; checked to exist when the link is made.
  roles          text[] NOT NULL DEFAULT '{}',
  redirect_uri   text,
  token_delivery text,
  created_by     uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  expires_at     timestamptz(6) NOT NULL,
  consumed_at    timestamptz(6),
  created_at     timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT magic_link_tokens_hash_shape CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT magic_link_tokens_email_normalized CHECK (email = lower(btrim(email)) AND email <> ''),
  CONSTRAINT magic_link_tokens_roles_count CHECK (cardinality(roles) <= 32),
  CONSTRAINT magic_link_tokens_delivery_check CHECK (token_delivery IN ('nonce', 'legacy'))
);
CREATE INDEX magic_link_tokens_expires_at_idx ON rootcx_system.magic_link_tokens (expires_at);
