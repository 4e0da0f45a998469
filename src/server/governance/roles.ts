import type { RoleDto } from "./schema.ts";

/** Whether giving `name` these parents would make it reachable from itself through `inherits`. */
export function createsCycle(roles: RoleDto[], name: string, inherits: string[]): string[] | undefined {
  const graph = new Map(roles.map((r) => [r.name, r.inherits]));
  graph.set(name, inherits);
  // Depth-first from each parent, remembering the path so the error can show the loop.
  const visit = (role: string, path: string[], seen: Set<string>): string[] | undefined => {
    if (role === name) return [...path, role];
    if (seen.has(role)) return undefined;
    seen.add(role);
    for (const parent of graph.get(role) ?? []) {
      const loop = visit(parent, [...path, role], seen);
      if (loop) return loop;
    }
    return undefined;
  };
  const seen = new Set<string>();
  for (const parent of inherits) {
    const loop = visit(parent, [name], seen);
    if (loop) return loop;
  }
  return undefined;
}
