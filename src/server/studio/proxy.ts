import http, { type IncomingMessage, type ServerResponse } from "node:http";

// Connection-level headers are meaningful for one hop only (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"]);

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function forwardable(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** Streams one request to the renderer on `port` and its answer back; `onError` answers when the renderer cannot. */
export function proxyTo(port: number, req: IncomingMessage, res: ServerResponse, onError: (err: Error) => void): void {
  const headers = forwardable(req.headers);
  headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
  headers["x-forwarded-host"] = req.headers.host ?? "";
  const upstream = http.request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers, agent }, (up) => {
    // x-request-id was set by the Core; the renderer's answer keeps it.
    for (const [k, v] of Object.entries(forwardable(up.headers))) if (v !== undefined) res.setHeader(k, v);
    res.writeHead(up.statusCode ?? 502, up.statusMessage);
    up.pipe(res);
  });
  let clientGone = false;
  upstream.on("error", (err) => {
    if (clientGone) return; // we cut the upstream request ourselves (below): nobody to answer
    if (res.headersSent) res.destroy(err);
    else onError(err);
  });
  // A client that leaves mid-answer must not leave the renderer working for nobody.
  res.on("close", () => {
    if (res.writableFinished) return;
    clientGone = true;
    upstream.destroy();
  });
  req.pipe(upstream);
}
