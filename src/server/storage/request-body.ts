import type { IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import { CoreError } from "../errors.ts";

/**
 * Whether the client is gone already (before a reader was attached): its request then emits nothing more, so
 * waiting for its body would hang. The request itself may not be marked destroyed while nobody reads it.
 */
export function clientGone(req: IncomingMessage): boolean {
  return req.destroyed || req.readableAborted || req.socket.destroyed;
}

/**
 * A raw request body to stream into the blob store. Reading the request itself would not do: stopping early
 * (413 at the limit) destroys an incomplete request, and with it the socket the 413 must be written to. This
 * copy can be abandoned while the request is drained and answered; and a client that goes away half-way fails
 * it (a plain pipe would leave it waiting forever).
 */
export function detachedBody(req: IncomingMessage): { body: Readable; release(): void } {
  const body = new PassThrough({ highWaterMark: 64 * 1024 });
  // Its reader reports what went wrong; an error after the reader stopped (a write into it once abandoned) is moot.
  body.on("error", () => undefined);
  const cutOff = () => {
    if (!req.complete) body.destroy(new CoreError("BAD_REQUEST", "the upload was cut off before it ended"));
  };
  req.once("aborted", cutOff);
  req.once("close", cutOff);
  req.pipe(body);
  // A client that left before this point emits nothing more.
  if (clientGone(req)) body.destroy(new CoreError("BAD_REQUEST", "the upload was cut off before it ended"));
  return {
    body,
    release() {
      req.off("aborted", cutOff);
      req.off("close", cutOff);
      req.unpipe(body);
      // What the client still sends is discarded until the answer closes the connection.
      req.resume();
    },
  };
}
