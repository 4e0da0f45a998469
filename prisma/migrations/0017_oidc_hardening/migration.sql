-- SSO hardening (issue 13). Three facts the sign-in rules need:
-- 1. whether the provider asserted the e-mail verified when an identity was linked or its account registered:
--    an account registered from an unverified address is never the target of e-mail linking (its real owner,
--    arriving later, must not be merged into an account a stranger can still sign in to);
-- 2. whether a provider is trusted to register accounts from addresses it does not assert verified;
-- 3. the SHA-256 of the browser-binding cookie a sign-in was started with (login CSRF).

ALTER TABLE rootcx_system.oidc_identities ADD COLUMN email_verified boolean NOT NULL DEFAULT true;

ALTER TABLE rootcx_system.oidc_providers ADD COLUMN trust_email boolean NOT NULL DEFAULT false;

-- Pending sign-ins from before this migration have no binding; they expire within ten minutes anyway.
DELETE FROM rootcx_system.oidc_login_states;
ALTER TABLE rootcx_system.oidc_login_states ADD COLUMN binding_hash text NOT NULL
  CONSTRAINT oidc_login_states_binding_shape CHECK (binding_hash ~ '^[0-9a-f]{64}$');
