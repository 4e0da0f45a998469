import { CoreError, toCoreError } from "../errors.ts";
import { RpcFailedError, UnknownMethodError } from "../workers/worker-process.ts";

/**
 * A failed webhook RPC as two texts: what the public sender is told, and what the call record keeps for those who
 * hold app:{id}:webhook.read. The sender holds only the token, not a seat in the app: it learns nothing of the
 * backend's method list, its start-up output or its timeouts' hints. The worker's own thrown error is the app's
 * chosen answer to the sender and reaches it unchanged.
 */
export class WebhookRpcError extends CoreError {
  constructor(
    code: ConstructorParameters<typeof CoreError>[0],
    publicMessage: string,
    readonly recorded: string,
    cause: unknown,
  ) {
    super(code, publicMessage, { cause });
  }
}

export function webhookRpcFailure(err: unknown): CoreError {
  const e = toCoreError(err);
  // INTERNAL is already answered as a bare "internal error" and must stay one to be logged with its cause.
  if (e instanceof RpcFailedError || e.code === "INTERNAL") return e;
  if (e instanceof UnknownMethodError) return new WebhookRpcError("BAD_GATEWAY", "the app's backend does not serve this webhook's method", e.message, e);
  switch (e.code) {
    case "GATEWAY_TIMEOUT":
      return new WebhookRpcError("GATEWAY_TIMEOUT", "the app's backend did not answer in time", e.message, e);
    case "NOT_READY":
      return new WebhookRpcError("NOT_READY", "the app's backend is not available right now; retry later", e.message, e);
    default:
      // A crash or stop under the call, a worker that could not start, a refusal of the Core's own: not the sender's to read.
      return new WebhookRpcError("BAD_GATEWAY", "the app's backend failed to handle this call", e.message, e);
  }
}

/** What the call record keeps: the full reason for the app's team. */
export const recordedMessage = (e: CoreError): string => (e instanceof WebhookRpcError ? e.recorded : e.message);
