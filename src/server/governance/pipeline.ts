import pg from "pg";
import { leastRecentlyUsed } from "./recency.ts";
import { CoreError } from "../errors.ts";

/** One statement of a pipeline: its text, and a name when it is kept prepared on the connection. */
export interface PipelineStatement {
  name: string | undefined;
  text: string;
  values: (string | null)[];
}

/** The frontend messages of pg's Connection this file writes (pg-protocol's serializer does the encoding). */
interface Wire {
  stream: { cork?: () => void; uncork?: () => void };
  parse(msg: { name: string; text: string }): void;
  bind(msg: { statement: string; values: (string | null)[] }): void;
  describe(msg: { type: "P"; name: string }): void;
  execute(msg: Record<string, never>): void;
  close(msg: { type: "S"; name: string }): void;
  sync(): void;
  sendCopyFail(reason: string): void;
}

/** pg's result builder (exported by pg, untyped there): row descriptions, typed row parsing, the command tag. */
interface ResultBuilder extends pg.QueryResult {
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): pg.QueryResultRow;
  addRow(row: pg.QueryResultRow): void;
  addCommandComplete(msg: unknown): void;
}
const Result = (pg as unknown as { Result: new () => ResultBuilder }).Result;

/**
 * Statements prepared on each connection, by name, with when each was last used (a tick of `uses`; only this file
 * prepares statements named `rcx_…`); `stale` holds those an exchange that failed may or may not have left
 * prepared, or whose plan may be refused: they are closed and prepared afresh on their next use (recency.ts).
 */
interface Prepared {
  known: Map<string, number>;
  stale: Set<string>;
}
const prepared = new WeakMap<object, Prepared>();
let uses = 0;
const stamp = (used: number) => used;
/** The protocol's limit: a Bind message counts its parameters in 16 bits. */
export const MAX_PARAMETERS = 65_535;

/**
 * A prelude and a statement in ONE round trip with the extended protocol: Parse (first use on this connection
 * only) / Bind / Execute of the prelude, Parse / Bind / Describe / Execute of the statement, then a single Sync.
 * Everything before a Sync runs in one implicit transaction, so the prelude's transaction-local settings hold
 * for the statement and vanish at the Sync, commit or error; an error skips whatever follows it. Parameters
 * travel as Bind values, never inside the statement text. Only the statement's rows reach the result: the
 * prelude is executed without a Describe and its row and command tag are dropped here.
 *
 * A pg Submittable (the interface pg-cursor uses): pg's Client hands every backend message of this exchange
 * to it until ReadyForQuery (or the first error), and the rows are parsed by pg's own Result, so types and
 * result shape are what client.query gives.
 */
export class PipelinedStatement<R extends pg.QueryResultRow> implements pg.Submittable {
  readonly #prelude: PipelineStatement;
  readonly #statement: PipelineStatement;
  readonly #result = new Result();
  readonly #callback: (err: Error | undefined, result: pg.QueryResult<R>) => void;
  /** A row the type parsers could not read: reported once the exchange is over, as pg's Query does. */
  #rowError: Error | undefined;
  /** The prelude's DataRow and CommandComplete come first; they are not part of the answer. */
  #inPrelude = true;
  #connection: object | undefined;
  readonly #parsed: string[] = [];

  constructor(prelude: PipelineStatement, statement: PipelineStatement, callback: (err: Error | undefined, result: pg.QueryResult<R>) => void) {
    if (statement.values.length > MAX_PARAMETERS) throw new CoreError("BAD_REQUEST", `a statement takes at most ${MAX_PARAMETERS} parameters`);
    this.#prelude = prelude;
    this.#statement = statement;
    this.#callback = callback;
  }

  submit(connection: pg.Connection): void {
    const wire = connection as unknown as Wire;
    this.#connection = connection;
    let state = prepared.get(connection);
    if (!state) prepared.set(connection, (state = { known: new Map(), stale: new Set() }));
    const { known, stale } = state;
    // One write: pg's Query corks the stream the same way for its own extended-protocol messages.
    wire.stream.cork?.();
    try {
      // The connection keeps the statements it used last: the least recently used beyond the bound are closed.
      while (known.size > PREPARED_PER_CONNECTION) {
        const name = leastRecentlyUsed(known, stamp, new Set([this.#prelude.name, this.#statement.name]));
        if (name === undefined) break;
        wire.close({ type: "S", name });
        known.delete(name);
        stale.delete(name);
      }
      for (const [s, describe] of [[this.#prelude, false], [this.#statement, true]] as const) {
        const name = s.name ?? "";
        if (s.name && known.has(s.name) && !stale.has(s.name)) {
          known.set(s.name, ++uses);
        } else {
          // Closing a statement that does not exist is no error.
          if (s.name) wire.close({ type: "S", name });
          wire.parse({ name, text: s.text });
          if (s.name) this.#parsed.push(s.name);
        }
        wire.bind({ statement: name, values: s.values });
        if (describe) wire.describe({ type: "P", name: "" });
        wire.execute({});
      }
      wire.sync();
    } finally {
      wire.stream.uncork?.();
    }
  }

  handleRowDescription(msg: { fields: unknown[] }): void {
    if (!this.#inPrelude) this.#result.addFields(msg.fields);
  }

  handleDataRow(msg: { fields: unknown[] }): void {
    if (this.#inPrelude || this.#rowError) return;
    try {
      this.#result.addRow(this.#result.parseRow(msg.fields));
    } catch (err) {
      this.#rowError = err as Error;
    }
  }

  handleCommandComplete(msg: unknown): void {
    if (this.#inPrelude) this.#inPrelude = false;
    else this.#result.addCommandComplete(msg);
  }

  handleEmptyQuery(): void {
    // An empty statement has no rows and no command tag; the Sync already follows.
  }

  handlePortalSuspended(): void {
    // Never: every Execute asks for all rows.
  }

  handleCopyInResponse(con: unknown): void {
    (con as Wire).sendCopyFail("COPY FROM STDIN is not supported here");
  }

  handleCopyData(): void {
    // COPY TO STDOUT rows are dropped; the statement's command tag still arrives.
  }

  handleError(err: Error): void {
    const state = this.#connection && prepared.get(this.#connection);
    if (state) {
      for (const name of [...this.#parsed, this.#statement.name]) {
        if (!name) continue;
        state.known.set(name, ++uses);
        state.stale.add(name);
      }
    }
    this.#callback(err, this.#result as unknown as pg.QueryResult<R>);
  }

  handleReadyForQuery(): void {
    const state = this.#connection && prepared.get(this.#connection);
    for (const name of this.#parsed) {
      state?.known.set(name, ++uses);
      state?.stale.delete(name);
    }
    this.#callback(this.#rowError, this.#result as unknown as pg.QueryResult<R>);
  }
}

/** How many statements one connection keeps prepared (each holds parse trees and plans in its backend). */
export const PREPARED_PER_CONNECTION = 128;
