/**
 * What an app backend sees of the worker host: `serve()`, the `ctx` handed to every handler, and the legacy
 * globals. Types only: app code may `import type` them (erased by Bun), the prelude implements them.
 */

/** The RPC or job caller (camelCase, spec §4.1); the Core's RpcCaller in src/server/workers/contracts.ts. */
export interface Caller {
  userId: string;
  email: string;
  effectivePerms?: string[];
  connectionId?: string;
}

export type LogLevel = "info" | "warn" | "error" | "debug";

/** `log("text")`, `log("text", "warn")`, or `log.info(...)` and friends (formatted like console.log). */
export interface LogFunction {
  (...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

export type EmitFunction = (name: string, data?: unknown) => void;

/** `rows` are positional arrays, in the order of `columns` (spec §4.1 sql_query_result). */
export interface SqlResult {
  columns: unknown[];
  rows: unknown[][];
  rowCount: number;
}

export type Row = Record<string, unknown>;

export interface Collection {
  insert(data: Row): Promise<Row>;
  /** `update({id, …})` as in the original, or `update(id, changes)`. */
  update(idOrData: string | number | Row, changes?: Row): Promise<Row>;
  find(where?: Row): Promise<Row[]>;
  findOne(where?: Row): Promise<Row | null>;
  list(where?: Row): Promise<Row[]>;
}

export interface Transaction {
  readonly id: string | number;
  sql(text: string, params?: unknown[]): Promise<SqlResult>;
}

export type UploadContent = string | ArrayBuffer | ArrayBufferView | Blob;

export interface WorkerContext {
  appId: string;
  runtimeUrl: string;
  /** Decrypted platform and app secrets (discover.credentials); `secrets` is the same object. */
  credentials: Record<string, string>;
  secrets: Record<string, string>;
  agentConfig: unknown;
  manifest: unknown;
  log: LogFunction;
  emit: EmitFunction;
  sql(text: string, params?: unknown[]): Promise<SqlResult>;
  collection(entity: string): Collection;
  /** Commits when `work` resolves, rolls back (and rethrows) when it throws. */
  transaction<T>(work: (tx: Transaction) => T | Promise<T>): Promise<T>;
  selfAction(action: string, params?: unknown): Promise<unknown>;
  action(name: string, input?: unknown): Promise<unknown>;
  callIntegration(integrationId: string, action: string, input?: unknown, asUser?: string): Promise<unknown>;
  /** Resolves with the stored file's id. */
  uploadFile(content: UploadContent, filename?: string, contentType?: string): Promise<string>;
  /** The Core request the running rpc or job serves (its X-Request-Id and W3C traceparent); null outside one. */
  readonly trace: { requestId: string; traceparent: string | null } | null;
}

/**
 * An RPC method. Declared as a method so that a handler may type its `params` as it expects them (they are the
 * client's JSON, unchecked by the worker host): `(params: { id: string }) => …` is accepted.
 */
export type RpcHandler = { handle(params: unknown, caller: Caller | null, ctx: WorkerContext): unknown }["handle"];

export interface ServeHooks {
  onStart?(ctx: WorkerContext): unknown;
  onJob?(payload: unknown, caller: Caller | null, ctx: WorkerContext): unknown;
  onShutdown?(): unknown;
}

export interface ServeConfig extends ServeHooks {
  rpc?: Record<string, RpcHandler>;
}

export interface Serve {
  /** `serve({rpc, onStart, onJob, onShutdown})`. */
  (config: ServeConfig): void;
  /** The deprecated flat form `serve({method: fn})`, and `serve(rpc, {onStart})` as seed 003 documents it. */
  (rpc: Record<string, RpcHandler>, hooks?: ServeHooks): void;
}
