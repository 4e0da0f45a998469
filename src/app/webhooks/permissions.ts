/**
 * The per-app webhook keys the webhooks service checks (docs/API.md § Webhooks), repeated here because the
 * server's modules import zod, which the Studio's CSP cannot run.
 */
export const webhookReadKey = (appId: string) => `app:${appId}:webhook.read`;
export const webhookManageKey = (appId: string) => `app:${appId}:webhook.manage`;
