import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { entityOf } from "../data/service.ts";
import { compileWhere, Params } from "../data/where.ts";
import type { Subscription, FrameSink } from "./subscription.ts";

export interface ChangeStreamRequest {
  appId: string;
  entity: string;
  where: Record<string, unknown> | undefined;
  /** The Last-Event-ID to resume after. */
  after: number | undefined;
}

/** Resolves and checks what a change stream asks for (404 / 400 with the reason), before any stream opens. */
export async function prepareChangeStream(core: Core, principal: Principal, req: ChangeStreamRequest) {
  const entity = await entityOf(core, req.appId, req.entity);
  // The where is compiled now so that a bad one is refused with /query's own reasons, not found out per batch.
  if (req.where !== undefined) compileWhere(entity, req.where, new Params());
  core.realtime.assertRoom(principal);
  return entity;
}

/**
 * Opens a change stream. No read key is needed to subscribe, as none is needed to list: what the principal may
 * not read never arrives, exactly as a list leaves it out (docs/REALTIME.md).
 */
export async function openChangeStream(core: Core, principal: Principal, req: ChangeStreamRequest, sink: FrameSink): Promise<Subscription> {
  const entity = await prepareChangeStream(core, principal, req);
  return core.realtime.subscribe({ entity, principal, where: req.where, after: req.after, sink });
}
