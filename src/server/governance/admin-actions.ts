/**
 * Every administrative action the audit log names in `operation` (roles and assignments are audited by their
 * triggers as INSERT/UPDATE/DELETE). No imports: the Studio's audit viewer offers these as filters.
 */
export const ADMIN_ACTIONS = [
  "user.register",
  "user.create",
  "user.disable",
  "user.enable",
  "user.delete",
  "user.password_reset",
  "session.revoke",
  "user.sso_link",
  "oidc.provider_create",
  "oidc.provider_update",
  "oidc.provider_enable",
  "oidc.provider_disable",
  "oidc.provider_delete",
  "auth.magic_link",
  "auth.magic_link_sign_in",
  "auth.magic_link_revoke",
  "secret.set",
  "secret.delete",
  "app.install",
  "app.reinstall",
  "app.uninstall",
  "app.deploy",
  "app.rollback",
  "app.frontend",
  "vault.rotate",
  "settings.update",
  "bucket.create",
  "bucket.delete",
  "storage.signing_key_rotate",
  "share.create",
  "share.revoke",
  "service_account.create",
  "service_account.delete",
  "service_account.disable",
  "service_account.enable",
  "service_account.transfer_ownership",
  "service_account.credential_create",
  "service_account.credential_delete",
  "service_account.act_as_add",
  "service_account.act_as_remove",
  "webhook.rotate",
  "webhook.update",
  "hook.create",
  "hook.delete",
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** The operations of data and role changes, and of retention runs. */
export const DATA_OPERATIONS = ["INSERT", "UPDATE", "DELETE", "ARCHIVE"] as const;
