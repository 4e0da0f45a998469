/**
 * The per-app keys the jobs service checks (docs/API.md § Jobs), repeated here because the server's modules
 * import zod, which the Studio's CSP cannot run.
 */
export const jobReadKey = (appId: string) => `app:${appId}:job.read`;
export const jobManageKey = (appId: string) => `app:${appId}:job.manage`;
