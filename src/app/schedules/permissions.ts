/**
 * The per-app schedule keys of spec §2.9 that the crons service checks, repeated here because the server's
 * modules import zod, which the Studio's CSP cannot run.
 */
export const cronKeys = (appId: string) => ({
  read: `app:${appId}:cron.read`,
  write: `app:${appId}:cron.write`,
  trigger: `app:${appId}:cron.trigger`,
  manageOthers: `app:${appId}:cron.manage_others`,
});
