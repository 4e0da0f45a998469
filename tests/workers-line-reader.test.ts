import { describe, expect, it } from "vitest";
import { LineReader, parseMessage } from "../src/server/workers/line-reader.ts";

function reader(max: number) {
  const lines: string[] = [];
  const oversized: number[] = [];
  const r = new LineReader({ line: (l) => lines.push(l), oversized: (n) => oversized.push(n) }, max);
  return { r, lines, oversized };
}

describe("LineReader", () => {
  it("joins a line split across chunks, also inside a multi-byte character", () => {
    const { r, lines } = reader(100);
    const bytes = Buffer.from('{"a":"é"}\n{"b":2}\n');
    for (const b of bytes) r.push(Buffer.from([b]));
    expect(lines).toEqual(['{"a":"é"}', '{"b":2}']);
  });

  it("ignores blank lines, strips a CR, and keeps a last line without its newline until the end", () => {
    const { r, lines } = reader(100);
    r.push(Buffer.from("one\r\n\n   \ntwo"));
    expect(lines).toEqual(["one"]);
    r.end();
    expect(lines).toEqual(["one", "two"]);
  });

  it("discards a line past the limit up to its newline, reports its size, and reads the next one", () => {
    const { r, lines, oversized } = reader(10);
    r.push(Buffer.from("0123456789"));
    r.push(Buffer.from("abc"));
    r.push(Buffer.from("def\nok\n"));
    expect(oversized).toEqual([16]);
    expect(lines).toEqual(["ok"]);
  });

  it("accepts a line of exactly the limit", () => {
    const { r, lines, oversized } = reader(4);
    r.push(Buffer.from("abcd\nabcde\n"));
    expect(lines).toEqual(["abcd"]);
    expect(oversized).toEqual([5]);
  });

  it("counts a runaway line of 4 MiB and reports it once", () => {
    const { r, oversized } = reader(1024);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 64; i++) r.push(chunk);
    r.push(Buffer.from("\n"));
    expect(oversized).toEqual([64 * 64 * 1024]);
  });
});

describe("parseMessage", () => {
  it("takes JSON objects with a string type only", () => {
    expect(parseMessage('{"type":"log","message":"x"}')).toEqual({ type: "log", message: "x" });
    for (const line of ["not json", "[1]", '"log"', "null", '{"type":3}', '{"kind":"log"}']) expect(parseMessage(line)).toBeUndefined();
  });
});
