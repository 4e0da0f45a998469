import { Console } from "node:console";
import { Writable } from "node:stream";
import { format } from "node:util";
import { errorText, truncateUtf8 } from "./serialize.ts";
import type { EmitFunction, LogFunction, LogLevel } from "./types.ts";
import { logTraceFields } from "./trace.ts";
import { send } from "./wire.ts";

/** The log stream of spec §4.2: `log` messages (message at most 8192 bytes) and `event` messages. */

export const MAX_LOG_BYTES = 8192;
const LEVELS: readonly LogLevel[] = ["info", "warn", "error", "debug"];
const isLevel = (value: unknown): value is LogLevel => typeof value === "string" && (LEVELS as readonly string[]).includes(value);

/** One log message; written while serving a traced call, it names the Core request (`request_id`). */
export function writeLog(level: LogLevel, message: string): void {
  send({ type: "log", level, message: truncateUtf8(message, MAX_LOG_BYTES), ...logTraceFields() });
}

/** Formats like console.log (`%s`, `%d`, objects inspected), so `log.info("n=%d", 3)` reads as in Node. */
const logAt = (level: LogLevel) => (...args: unknown[]) => writeLog(level, format(...args));

/**
 * `log(message, level?)` and `log.info/warn/error/debug(...)`: the original's backends use `log.warn(...)` and
 * `ctx.log.info(...)`; a call with exactly a message and a known level name logs at that level.
 */
export const log: LogFunction = Object.assign(
  (...args: unknown[]) => {
    if (args.length === 2 && isLevel(args[1])) writeLog(args[1], format(args[0]));
    else writeLog("info", format(...args));
  },
  { info: logAt("info"), warn: logAt("warn"), error: logAt("error"), debug: logAt("debug") },
);

/** `emit(name, data)`: an event on the app's log stream. Data the wire cannot carry fails here, at the call. */
export const emit: EmitFunction = (name, data) => {
  try {
    send({ type: "event", name: String(name), data: data ?? {} });
  } catch (err) {
    throw new Error(`emit(${JSON.stringify(String(name))}): ${errorText(err)}`);
  }
};

/** A stream whose every write becomes one log message (a Console writes each call as one chunk). */
function logStream(level: LogLevel): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      writeLog(level, String(chunk).replace(/\n$/, ""));
      done();
    },
  });
}

/**
 * console.* go to the log stream with the matching level. Bun's console writes to the stdout descriptor
 * directly, past any stream, so every method that prints is replaced: the levelled ones by the logger, the
 * rest (table, dir, trace, assert, count, time…, group…) by a Node Console printing into log streams.
 */
export function redirectConsole(): void {
  const printer = new Console({ stdout: logStream("info"), stderr: logStream("error"), colorMode: false });
  const target = console as unknown as Record<string, unknown>;
  for (const method of ["table", "dir", "dirxml", "trace", "assert", "count", "countReset", "time", "timeEnd", "timeLog", "group", "groupCollapsed", "groupEnd"] as const) {
    target[method] = printer[method].bind(printer);
  }
  target.log = logAt("info");
  target.info = logAt("info");
  target.warn = logAt("warn");
  target.error = logAt("error");
  target.debug = logAt("debug");
}
