import fc from "fast-check";

/** Generated `where` documents of the query language: field conditions, operator maps, $and, $or and $not. */
export function whereArbitrary(column: fc.Arbitrary<string>, operator: fc.Arbitrary<string>, value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.dictionary(column, fc.oneof(value, fc.dictionary(operator, value, { minKeys: 1, maxKeys: 2 })), { maxKeys: 3 }),
      fc.record({ $and: fc.array(tie("node"), { maxLength: 3 }) }),
      fc.record({ $or: fc.array(tie("node"), { maxLength: 3 }) }),
      fc.record({ $not: tie("node") }),
    ),
  })).node;
}
