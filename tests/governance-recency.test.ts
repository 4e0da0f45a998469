import { describe, expect, it } from "vitest";
import { leastRecentlyUsed } from "../src/server/governance/recency.ts";

// The eviction choice behind the executor's statement names and each connection's prepared statements.
describe("leastRecentlyUsed", () => {
  it("picks the key stamped longest ago, whatever the insertion order, and never one it must keep", () => {
    const stamps = new Map([["a", 7], ["b", 2], ["c", 5], ["d", 3]]);
    expect(leastRecentlyUsed(stamps, (used) => used)).toBe("b");
    expect(leastRecentlyUsed(stamps, (used) => used, new Set(["b"]))).toBe("d");
    expect(leastRecentlyUsed(stamps, (used) => used, new Set(["a", "b", "c", "d"]))).toBeUndefined();
    expect(leastRecentlyUsed(new Map([["x", { used: 9 }], ["y", { used: 1 }]]), (entry) => entry.used)).toBe("y");
  });
});
