"use client";
import { FormError } from "../components/form-field.tsx";

/** What the Core answered for a refused statement: PostgreSQL's sentence, where, and its hint and detail. */
export interface ConsoleFailure {
  message: string;
  position?: number | undefined;
  hint?: string | undefined;
  detail?: string | undefined;
}

/** Line and column (1-based) of a 1-based character position, as an editor shows them. */
export function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = [...text].slice(0, Math.max(position - 1, 0)).join("");
  const lines = before.split("\n");
  return { line: lines.length, column: [...lines[lines.length - 1]!].length + 1 };
}

export function ConsoleError({ failure, sql }: { failure: ConsoleFailure; sql: string }) {
  const where = failure.position !== undefined ? lineAndColumn(sql, failure.position) : undefined;
  return (
    <FormError>
      <span className="block">
        {failure.message}
        {where && (
          <span data-testid="error-position" className="ml-2 font-mono text-xs">
            (line {where.line}, column {where.column})
          </span>
        )}
      </span>
      {failure.detail && <span className="mt-1 block text-xs">{failure.detail}</span>}
      {failure.hint && <span className="mt-1 block text-xs">Hint: {failure.hint}</span>}
    </FormError>
  );
}
