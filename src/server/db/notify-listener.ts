import pg from "pg";
import type { Logger } from "pino";

/**
 * One LISTEN connection for a set of channels, reconnecting after a loss. Caches that rely on it ask
 * `listening` before trusting what they hold: `onReset` fires whenever notifications may have been missed
 * (connection lost or just established), so they drop everything.
 */
export class NotifyListener {
  readonly #handlers: ReadonlyMap<string, (payload: string) => void>;
  readonly #onReset: () => void;
  #listening = false;
  #client: pg.Client | undefined;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
    private readonly what: string,
    handlers: Record<string, (payload: string) => void>,
    onReset: () => void,
  ) {
    this.#handlers = new Map(Object.entries(handlers));
    this.#onReset = onReset;
  }

  get listening(): boolean {
    return this.#listening;
  }

  async start(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: "rootcx-core-listen" });
    const lost = (err?: Error) => {
      if (this.#client !== client) return;
      this.#listening = false;
      this.#client = undefined;
      this.#onReset();
      client.end().catch(() => undefined);
      if (this.#stopped) return;
      this.log.warn({ err: err?.message }, `${this.what} listener lost; reading from the database until it reconnects`);
      this.#retry = setTimeout(() => void this.start().catch(() => undefined), 1_000);
      this.#retry.unref();
    };
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", (n) => this.#handlers.get(n.channel)?.(n.payload ?? ""));
    this.#client = client;
    try {
      await client.connect();
      await client.query([...this.#handlers.keys()].map((c) => `LISTEN ${c}`).join("; "));
      this.#onReset(); // anything cached before the listener was up may have missed a change
      this.#listening = true;
    } catch (err) {
      lost(err as Error);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#listening = false;
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => undefined);
  }
}
