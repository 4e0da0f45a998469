// The baseline: a bare node:http server answering /health with the same JSON and headers as the Core.
import http from "node:http";

const body = JSON.stringify({ status: "ok" });
const port = Number(process.env.PORT ?? 0);
http
  .createServer({ keepAliveTimeout: 5_000 }, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": body.length });
    res.end(body);
  })
  .listen(port, "127.0.0.1", () => process.stdout.write("listening\n"));
