-- Public shares (spec §2.19): a link that lets anyone holding it call an app's public RPCs for one context
-- (e.g. {"board_id": "…"}) as the share's creator, read-only. Only the SHA-256 of a token is stored; the
-- prefix (its first characters) is what lists show. Beyond the original: an optional expiry.

CREATE TABLE rootcx_system.public_shares (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id       text NOT NULL REFERENCES rootcx_system.apps (id) ON DELETE CASCADE,
  created_by   uuid NOT NULL REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  context      jsonb NOT NULL,
  token_hash   text NOT NULL,
  token_prefix text NOT NULL,
  created_at   timestamptz(6) NOT NULL DEFAULT now(),
  expires_at   timestamptz(6),
  revoked_at   timestamptz(6),
  CONSTRAINT public_shares_token_hash_key UNIQUE (token_hash),
  CONSTRAINT public_shares_hash_shape CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT public_shares_context_object CHECK (jsonb_typeof(context) = 'object'),
  CONSTRAINT public_shares_context_size CHECK (octet_length(context::text) <= 4096),
  CONSTRAINT public_shares_expiry_after_creation CHECK (expires_at IS NULL OR expires_at > created_at)
);

-- At most one active share per (app, creator, context), whoever races: a concurrent second INSERT waits on
-- this index and then conflicts. jsonb already orders keys and drops whitespace; the Core writes contexts
-- through JSON.stringify, so numbers are in one spelling too, and context::text is a canonical form. Its md5
-- keeps the index entry small whatever the context holds (a collision would only refuse a second share).
-- An expired share still counts until a create retires it (revoked_at = its expiry), in the same transaction.
CREATE UNIQUE INDEX public_shares_one_active
  ON rootcx_system.public_shares (app_id, created_by, md5(context::text))
  WHERE revoked_at IS NULL;

CREATE INDEX public_shares_app_idx ON rootcx_system.public_shares (app_id, created_at DESC);
CREATE INDEX public_shares_created_by_idx ON rootcx_system.public_shares (created_by);
