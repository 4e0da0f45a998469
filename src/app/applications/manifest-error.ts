import { errorSentence, sentence } from "../components/api-error.ts";
import type { Draft } from "./schema-editor/manifest-draft.ts";

const PATH = /^dataContract\[(\d+)\](?:\.fields\[(\d+)\])?\.?([\w.[\]]*): (.+)$/s;

/**
 * The server names a manifest problem by its path (`dataContract[0].fields[1].type: unknown type "x"`); in the
 * form, the entity and field names say it better. Other errors become the usual sentence.
 */
export function manifestError(err: unknown, draft: Draft | undefined): string {
  const raw = err instanceof Error ? err.message : typeof err === "string" ? err : "";
  if (!PATH.test(raw)) return errorSentence(err);
  // The service joins up to five problems with "; ".
  return raw
    .split("; ")
    .map((part) => {
      const m = PATH.exec(part);
      const entity = m && draft?.dataContract[Number(m[1])];
      if (!m || !entity) return sentence(part);
      const field = m[2] === undefined ? undefined : entity.fields[Number(m[2])];
      const where = field ? `Field ${entity.entityName}.${field.name}` : `Entity ${entity.entityName}`;
      const rest = m[3] ? ` (${m[3]})` : "";
      return `${where}${rest}: ${m[4]!.replace(/\.$/, "")}.`;
    })
    .join(" ");
}
