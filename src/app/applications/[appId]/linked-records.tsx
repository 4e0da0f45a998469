"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { errorSentence } from "../../components/api-error.ts";
import { FormError } from "../../components/form-field.tsx";
import { useTRPC } from "../../trpc.ts";

interface Props {
  appId: string;
  entity: string;
  id: string;
}

/** Where a linked record opens: its app's data browser, on its entity, with its side panel open. */
export const linkedRecordHref = (app: string, entity: string, id: string) =>
  `/applications/${encodeURIComponent(app)}?${new URLSearchParams({ entity, record: id }).toString()}`;

/** A short description of a record: its first few text fields with a value, as `field: value`. */
function summary(data: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (key === "id" || key === "created_at" || key === "updated_at" || typeof value !== "string" || !value) continue;
    parts.push(`${key}: ${value.length > 60 ? `${value.slice(0, 60)}…` : value}`);
    if (parts.length === 3) break;
  }
  return parts.length ? parts.join(" · ") : undefined;
}

/**
 * A record's linked records (spec §2.6): the records of other apps whose entity shares this entity's identity kind
 * and has the same identity value, one per app, only those the signed-in person may read. Shown in the record's
 * side panel, each with its app and entity and a link that opens it.
 */
export function LinkedRecords({ appId, entity, id }: Props) {
  const trpc = useTRPC();
  // The page already holds the app's manifest; it says whether this entity has an identity kind at all.
  const app = useQuery(trpc.apps.get.queryOptions({ id: appId }));
  const kind = app.data?.dataContract.find((e) => e.entityName === entity)?.identityKind;
  const record = useQuery({ ...trpc.data.get.queryOptions({ appId, entity, id, linked: true }), enabled: kind !== undefined });
  if (!kind) return null;

  const linked = Object.entries(record.data?._linked ?? {});
  return (
    <section aria-labelledby="linked-records-heading" data-testid="linked-records" className="mt-6 space-y-2 border-t border-slate-200 pt-4 dark:border-slate-700">
      <h3 id="linked-records-heading" className="text-base font-semibold">
        Linked records
      </h3>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Records of other apps with the same <span className="font-mono">{kind}</span> identity.
      </p>
      {record.isError ? (
        <FormError>{errorSentence(record.error)}</FormError>
      ) : record.isPending ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">Loading linked records…</p>
      ) : linked.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No linked records that you may read.</p>
      ) : (
        <ul className="space-y-2">
          {linked.map(([app, link]) => (
            <li key={app} data-testid="linked-record" className="rounded-md border border-slate-200 px-3 py-2 text-sm dark:border-slate-700">
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <span className="font-mono">
                  {app} · {link.entity}
                </span>
                <Link href={linkedRecordHref(app, link.entity, link.recordId)} className="text-brand-600 hover:underline dark:text-indigo-300">
                  Open {app} {link.entity}
                </Link>
              </div>
              <div className="truncate text-slate-600 dark:text-slate-400">
                {summary(link.data) ?? <span className="font-mono">{link.recordId}</span>}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
