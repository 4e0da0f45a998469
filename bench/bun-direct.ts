// The baseline of `npm run bench -- workers`: a Bun HTTP server doing the benchmarked RPC's work itself, with
// no Core, no authentication and no IPC in between.
declare const Bun: { serve(opts: { port: number; hostname: string; fetch(req: Request): Response | Promise<Response> }): unknown };

const port = Number(process.env.PORT);
Bun.serve({
  port,
  hostname: "127.0.0.1",
  async fetch(req: Request) {
    const url = new URL(req.url);
    if (url.pathname === "/health") return new Response("ok");
    const body = (await req.json()) as { method: string; params: { n: number } };
    if (body.method !== "work") return Response.json({ error: "unknown method" }, { status: 404 });
    return Response.json({ n: body.params.n * 2 });
  },
});
