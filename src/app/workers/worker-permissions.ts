/**
 * The keys the Core's workers, deploy and logs routes check (src/server/workers/), repeated here because those
 * server modules import zod, which the Studio's CSP cannot run.
 */
export const WORKERS_LIST = "*";
export const WORKERS_MANAGE = "*";
export const DEPLOY = "admin:apps.deploy";
/** Reading one app's logs without the deploy key (minted by the app's install). */
export const logsReadKey = (appId: string) => `app:${appId}:logs.read`;
