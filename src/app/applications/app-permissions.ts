/**
 * The keys the server's app service checks (src/server/apps/service.ts), repeated here because that module
 * imports zod, which the Studio's CSP cannot run.
 */
export const INSTALL = "admin:apps.install";
/** Lets a user install apps of their own (and re-install the ones they installed). */
export const SELF_SERVICE = "platform:apps.create";
/** Reading one app's schema history without the install key. */
export const historyKey = (appId: string) => `app:${appId}:schema.history`;
