// The storage bench's transport baseline: a bare node:http server that reads a request body to its end, keeps
// nothing, and answers its length. What an upload costs before anything parses or stores it.
import http from "node:http";

const port = Number(process.env.PORT ?? 0);
http
  .createServer((req, res) => {
    if (req.url === "/health") return void res.end('{"status":"ok"}');
    let bytes = 0;
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => res.end(JSON.stringify({ bytes })));
  })
  .listen(port, "127.0.0.1");
