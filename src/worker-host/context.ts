import { emit, log, writeLog } from "./logging.ts";
import { request, type Reply } from "./requests.ts";
import { errorText } from "./serialize.ts";
import { currentTrace } from "./trace.ts";
import type { Collection, Row, SqlResult, Transaction, WorkerContext } from "./types.ts";
import { uploadFile } from "./upload.ts";

/** The `ctx` every handler receives (spec §4.3 item 7), built from the Core's discover message. */

export interface BootData {
  app_id?: unknown;
  runtime_url?: unknown;
  credentials?: unknown;
  agent_config?: unknown;
  manifest?: unknown;
}

const isRow = (value: unknown): value is Row => typeof value === "object" && value !== null && !Array.isArray(value);

function sqlResult(reply: Reply): SqlResult {
  const rows = reply.rows ?? [];
  const columns = reply.columns ?? [];
  if (!Array.isArray(rows) || !rows.every(Array.isArray) || !Array.isArray(columns)) throw new Error(`${reply.type}: malformed answer from the Core`);
  const rowCount = typeof reply.row_count === "number" ? reply.row_count : rows.length;
  return { columns, rows, rowCount };
}

async function runSql(type: "sql_query" | "sql_exec", text: unknown, params: unknown, txId?: string | number): Promise<SqlResult> {
  if (typeof text !== "string") throw new TypeError("sql: the statement must be a string");
  if (params !== undefined && !Array.isArray(params)) throw new TypeError("sql: params must be an array");
  const fields = { sql: text, params: params ?? [], ...(txId === undefined ? {} : { tx_id: txId }) };
  return sqlResult(await request(type, fields));
}

async function collectionOp(op: string, entity: unknown, data: unknown): Promise<unknown> {
  if (typeof entity !== "string" || entity === "") throw new TypeError("collection: the entity must be a non-empty string");
  if (!isRow(data)) throw new TypeError(`collection(${JSON.stringify(entity)}).${op}: expects an object`);
  const reply = await request("collection_op", { op, entity, data });
  return reply.result ?? null;
}

function collection(entity: string): Collection {
  return {
    insert: (data) => collectionOp("insert", entity, data) as Promise<Row>,
    update: (idOrData, changes) => {
      // The original's form is update({id, …}); update(id, changes) is the same message (spec §4.2: data.id).
      const data = isRow(idOrData) ? idOrData : { ...changes, id: idOrData };
      if (!isRow(data) || data.id === undefined || data.id === null) {
        return Promise.reject(new TypeError(`collection(${JSON.stringify(entity)}).update: needs the record's id (data.id)`));
      }
      return collectionOp("update", entity, data) as Promise<Row>;
    },
    find: (where = {}) => collectionOp("find", entity, where) as Promise<Row[]>,
    findOne: (where = {}) => collectionOp("findOne", entity, where) as Promise<Row | null>,
    list: (where = {}) => collectionOp("list", entity, where) as Promise<Row[]>,
  };
}

/** `ctx.transaction(work)`: sql_begin, the work's statements as sql_exec, then sql_commit, or sql_rollback if it throws. */
async function transaction<T>(work: (tx: Transaction) => T | Promise<T>): Promise<T> {
  if (typeof work !== "function") throw new TypeError("transaction: expects a function (tx) => …");
  const begun = await request("sql_begin", {});
  const txId = begun.tx_id;
  if (typeof txId !== "string" && typeof txId !== "number") throw new Error("sql_begin: the Core's answer has no tx_id");
  let open = true;
  const tx: Transaction = {
    id: txId,
    sql: (text, params) => (open ? runSql("sql_exec", text, params, txId) : Promise.reject(new Error("transaction: already committed or rolled back"))),
  };
  let result: T;
  try {
    result = await work(tx);
  } catch (err) {
    open = false;
    try {
      await request("sql_rollback", { tx_id: txId });
    } catch (rollbackErr) {
      // The work's error is the one the app needs; the failed rollback is only reported (the Core drops the transaction anyway).
      writeLog("warn", `transaction rollback failed: ${errorText(rollbackErr)}`);
    }
    throw err;
  }
  open = false;
  await request("sql_commit", { tx_id: txId });
  return result;
}

async function selfAction(action: string, params?: unknown): Promise<unknown> {
  if (typeof action !== "string" || action === "") throw new TypeError("selfAction: the action must be a non-empty string");
  const reply = await request("self_action", { action, params: params ?? {} });
  return reply.result ?? null;
}

const strings = (value: unknown): Record<string, string> => (isRow(value) ? (value as Record<string, string>) : {});

export function buildContext(boot: BootData): WorkerContext {
  const runtimeUrl = typeof boot.runtime_url === "string" ? boot.runtime_url : "";
  const credentials = strings(boot.credentials);
  return {
    appId: typeof boot.app_id === "string" ? boot.app_id : "",
    runtimeUrl,
    credentials,
    secrets: credentials,
    agentConfig: boot.agent_config ?? null,
    manifest: boot.manifest ?? null,
    log,
    emit,
    sql: (text, params) => runSql("sql_query", text, params),
    collection,
    transaction,
    selfAction,
    action: (name, input) => selfAction("triggerAction", { actionName: name, input: input ?? {} }),
    callIntegration: (integrationId, action, input, asUser) =>
      selfAction("call_integration", { integrationId, action, input: input ?? {}, ...(asUser === undefined ? {} : { asUser }) }),
    uploadFile: (content, filename, contentType) => uploadFile(runtimeUrl, content, filename, contentType),
    get trace() {
      return currentTrace() ?? null;
    },
  };
}
