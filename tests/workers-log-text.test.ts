import { describe, expect, it } from "vitest";
import { BoundedEntries } from "../src/server/workers/log-queue.ts";
import { truncateForJson, truncateUtf8 } from "../src/server/workers/log-text.ts";

const bytes = (s: string) => Buffer.byteLength(s);

describe("truncateUtf8", () => {
  it("keeps a message within the bound as it is", () => {
    expect(truncateUtf8("héllo", 6)).toBe("héllo");
  });

  it("never cuts inside a character, whatever its width, and says how much went", () => {
    for (const ch of ["é", "€", "😀"]) {
      const message = ch.repeat(5_000);
      for (const max of [100, 101, 102, 103, 8_192]) {
        const out = truncateUtf8(message, max);
        expect(bytes(out)).toBeLessThanOrEqual(max);
        expect(out).not.toContain("\uFFFD");
        const kept = out.replace(/… \[\d+ bytes truncated\]$/, "");
        expect(kept).toBe(ch.repeat([...kept].length));
        expect(out.endsWith(`… [${bytes(message) - bytes(kept)} bytes truncated]`)).toBe(true);
      }
    }
  });
});

describe("truncateForJson", () => {
  it("fits the JSON string, escapes included, and never splits a surrogate pair", () => {
    for (const message of ["\u0001".repeat(3_000), "😀".repeat(3_000), `"\\`.repeat(3_000), "a😀".repeat(3_000)]) {
      for (const max of [200, 201, 202, 203, 7_000]) {
        const out = truncateForJson(message, max);
        expect(bytes(JSON.stringify(out))).toBeLessThanOrEqual(max);
        expect(out).toMatch(/… \[\d+ bytes truncated\]$/);
        expect(JSON.stringify(out)).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i); // no lone high surrogate
        expect(message.startsWith(out.replace(/… \[\d+ bytes truncated\]$/, ""))).toBe(true);
      }
    }
  });
});

describe("BoundedEntries", () => {
  it("drops from the front past its entry bound, counting what it dropped", () => {
    const q = new BoundedEntries(3, 1_000_000);
    const drops = [1, 2, 3, 4, 5].map((n) => q.push({ level: "info", message: String(n) }));
    expect(drops).toEqual([0, 0, 0, 1, 1]);
    expect(q.list().map((e) => e.message)).toEqual(["3", "4", "5"]);
  });

  it("drops past its memory bound too, but always keeps the newest entry", () => {
    const q = new BoundedEntries(1_000, 10_000);
    for (let i = 0; i < 100; i++) q.push({ level: "info", message: "x".repeat(1_000) });
    expect(q.bytes).toBeLessThanOrEqual(10_000);
    expect(q.length).toBe(4);
    q.push({ level: "info", message: "y".repeat(50_000) });
    expect(q.list().map((e) => e.message[0])).toEqual(["y"]);
    expect(q.shift()?.message[0]).toBe("y");
    expect(q.bytes).toBe(0);
  });
});
