import type { IncomingMessage } from "node:http";
import { CoreError } from "../errors.ts";

/**
 * Calls `onIdle` once if the client sends no byte of its request body for `idleMs`, and returns the function
 * that stops watching. An upload holds an upload slot and a pooled connection while it reads, so a client that
 * stalls (or trickles a byte now and then) must not keep them until Node's 300 s request timeout. Time during
 * which the server itself paused the request (backpressure while the database writes the previous chunk) is not
 * the client's silence: the check then waits another period.
 */
export function watchIdleBody(req: IncomingMessage, idleMs: number, onIdle: (err: CoreError) => void): () => void {
  const check = () => {
    if (req.complete) return;
    if (req.readableFlowing === false) {
      timer.refresh();
      return;
    }
    stop();
    onIdle(new CoreError("REQUEST_TIMEOUT", `the upload's body stopped arriving: nothing was received for ${idleMs / 1000} s, so nothing was stored`));
  };
  const timer = setTimeout(check, idleMs);
  const onData = () => timer.refresh();
  const stop = () => {
    clearTimeout(timer);
    req.off("data", onData);
  };
  req.on("data", onData);
  return stop;
}
