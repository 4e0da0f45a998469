/**
 * The key whose entry was used longest ago, by the use stamp `usedOf` reads from each value; `keep` names keys
 * that must not be picked (undefined when no other key is left). The executor's statement names and each
 * connection's prepared statements stamp an entry when they use it, rather than moving it to the end of its Map
 * (which made V8 rehash the table every few requests), and look for the oldest only when a collection is full.
 */
export function leastRecentlyUsed<K, V>(entries: ReadonlyMap<K, V>, usedOf: (value: V) => number, keep?: ReadonlySet<K>): K | undefined {
  let oldest: K | undefined;
  let at = Infinity;
  for (const [key, value] of entries) {
    const used = usedOf(value);
    if (used < at && !keep?.has(key)) {
      at = used;
      oldest = key;
    }
  }
  return oldest;
}
