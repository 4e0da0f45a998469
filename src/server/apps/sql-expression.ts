/**
 * Index expressions, partial-index predicates and CHECK constraints are SQL the manifest's author writes, and
 * the install runs them as the Core's superuser. They are therefore held to a small grammar: the entity's own
 * columns, literals, operators, a list of pure functions, casts to known types. Anything else (another
 * statement, a comment, a subquery, a dollar quote, an unknown function or a foreign column) is refused before
 * any SQL runs.
 */

const KEYWORDS = new Set([
  "and", "or", "not", "is", "null", "true", "false", "in", "between", "like", "ilike", "similar", "to", "escape",
  "case", "when", "then", "else", "end", "distinct", "from", "any", "all", "array", "isnull", "notnull", "asc", "desc",
  "at", "time", "zone",
]);

const FUNCTIONS = new Set([
  "lower", "upper", "length", "char_length", "octet_length", "coalesce", "nullif", "greatest", "least", "abs", "round",
  "floor", "ceil", "trunc", "trim", "btrim", "ltrim", "rtrim", "left", "right", "substr", "substring", "replace",
  "position", "strpos", "concat", "concat_ws", "md5", "array_length", "cardinality", "jsonb_typeof",
  "jsonb_array_length", "date_part", "extract", "mod", "sign", "sqrt", "power", "regexp_replace", "split_part",
  "starts_with", "to_tsvector", "unaccent", "num_nonnulls", "num_nulls",
]);

const TYPES = new Set([
  "text", "varchar", "int", "integer", "bigint", "smallint", "numeric", "real", "float8", "float4", "double", "precision",
  "boolean", "bool", "date", "timestamptz", "timestamp", "uuid", "jsonb", "json", "regconfig",
]);

const OPERATORS = ["::", "<=", ">=", "<>", "!=", "||", "->>", "->", "#>>", "#>", "@>", "<@", "!~*", "!~", "~*", "~", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",", "[", "]", "?"];

/** Returns why the expression is refused, or null when it is acceptable. */
export function validateSqlExpression(expr: string, columns: ReadonlySet<string>): string | null {
  if (/--|\/\*|;|\$|\\/.test(expr)) return "comments, semicolons, dollar quotes and backslashes are not allowed in expressions";
  let i = 0;
  let depth = 0;
  let previous = "";
  while (i < expr.length) {
    const ch = expr[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'") {
      // A standard string literal; '' is the only escape (no E'' strings, no backslashes that mean anything).
      let j = i + 1;
      for (;;) {
        if (j >= expr.length) return "unterminated string literal";
        if (expr[j] === "'") {
          if (expr[j + 1] === "'") j += 2;
          else break;
        } else j++;
      }
      i = j + 1;
      previous = "literal";
      continue;
    }
    const number = /^\d+(\.\d+)?/.exec(expr.slice(i));
    if (number) {
      i += number[0].length;
      previous = "literal";
      continue;
    }
    const word = /^[a-z_][a-z0-9_]*/i.exec(expr.slice(i));
    if (word) {
      const w = word[0];
      const lower = w.toLowerCase();
      i += w.length;
      const next = /^\s*\(/.test(expr.slice(i));
      if (previous === "::") {
        if (!TYPES.has(lower)) return `cast to unknown type "${w}"`;
      } else if (next && FUNCTIONS.has(lower)) {
        // a pure function call
      } else if (lower === "double" || lower === "precision") {
        // part of a type name after ::
      } else if (KEYWORDS.has(lower)) {
        // an operator keyword
      } else if (w === lower && columns.has(w)) {
        // one of the entity's own columns
      } else if (next) {
        return `function "${w}" is not allowed in expressions`;
      } else {
        return `unknown column "${w}"`;
      }
      previous = lower === "double" ? "::" : lower;
      continue;
    }
    if (ch === '"') return "quoted identifiers are not allowed in expressions";
    const op = OPERATORS.find((o) => expr.startsWith(o, i));
    if (!op) return `unexpected character ${JSON.stringify(ch)}`;
    if (op === "(") depth++;
    if (op === ")" && --depth < 0) return "unbalanced parentheses";
    i += op.length;
    previous = op;
  }
  if (depth !== 0) return "unbalanced parentheses";
  return null;
}
