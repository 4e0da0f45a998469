/**
 * The IPC v2 request types a worker sends the Core for data (spec §4.2) and the reply type that answers each
 * (§4.1). Shared by the worker host and the Core's data session, so the two sides cannot drift apart; it imports
 * nothing, as everything under src/worker-host must run in the worker with Bun's built-ins only.
 */
export const REPLY_TYPE = {
  sql_query: "sql_query_result",
  sql_begin: "sql_begin_result",
  sql_exec: "sql_exec_result",
  sql_commit: "sql_end_result",
  sql_rollback: "sql_end_result",
  collection_op: "collection_op_result",
  self_action: "self_action_result",
  storage_upload: "storage_upload_url",
} as const;

export type RequestType = keyof typeof REPLY_TYPE;
