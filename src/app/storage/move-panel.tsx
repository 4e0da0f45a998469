"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { FormError } from "../components/form-field.tsx";
import { useTRPC } from "../trpc.ts";
import type { StorageObject } from "./model.ts";

interface Crumb {
  id: string | null;
  name: string;
}

interface Props {
  bucket: string;
  object: StorageObject;
  /** Throws the Core's refusal (a name taken there, a folder into its own subtree), shown in the panel. */
  onMove: (parentId: string | null, where: string) => Promise<void>;
  onCancel: () => void;
}

/**
 * A folder picker: walk the bucket's folders from its root and move the object into the one shown. The object
 * itself is not offered, so a folder cannot be walked into its own subtree (the Core refuses it anyway).
 */
export function MovePanel({ bucket, object, onMove, onCancel }: Props) {
  const trpc = useTRPC();
  const [trail, setTrail] = useState<Crumb[]>([{ id: null, name: bucket }]);
  const [error, setError] = useState<string>();
  const [moving, setMoving] = useState(false);
  const here = trail[trail.length - 1]!;
  const listing = useQuery(trpc.storage.objects.list.queryOptions({ bucket, parent_id: here.id }));
  const folders = (listing.data ?? []).filter((o) => o.is_folder && o.id !== object.id);
  const where = trail.map((c) => c.name).join(" / ");
  const alreadyHere = here.id === object.parent_id;

  async function move() {
    setError(undefined);
    setMoving(true);
    try {
      await onMove(here.id, where);
    } catch (err) {
      setError(errorSentence(err));
    } finally {
      setMoving(false);
    }
  }

  return (
    <div className="space-y-4">
      <nav aria-label="Destination folder">
        <ol className="flex flex-wrap items-center gap-1 text-sm">
          {trail.map((c, i) => (
            <li key={c.id ?? "root"} className="flex items-center gap-1">
              {i > 0 && <span aria-hidden="true">/</span>}
              {i === trail.length - 1 ? (
                <span aria-current="location" className="font-medium">
                  {c.name}
                </span>
              ) : (
                <button type="button" className="text-brand-600 hover:underline dark:text-indigo-300" onClick={() => setTrail(trail.slice(0, i + 1))}>
                  {c.name}
                </button>
              )}
            </li>
          ))}
        </ol>
      </nav>
      {listing.isError && <FormError>{errorSentence(listing.error)}</FormError>}
      <ul aria-label="Folders here" className="max-h-80 min-h-12 space-y-1 overflow-auto rounded-md border border-slate-200 p-2 dark:border-slate-700">
        {listing.isPending && <li className="text-sm text-slate-600 dark:text-slate-400">Loading folders…</li>}
        {listing.isSuccess && folders.length === 0 && <li className="text-sm text-slate-600 dark:text-slate-400">No folders inside.</li>}
        {folders.map((f) => (
          <li key={f.id}>
            <button
              type="button"
              aria-label={`Open folder ${f.name}`}
              className="w-full truncate rounded px-2 py-1 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-800"
              onClick={() => setTrail([...trail, { id: f.id, name: f.name }])}
            >
              {f.name}/
            </button>
          </li>
        ))}
      </ul>
      <FormError>{error}</FormError>
      <div className="flex flex-wrap gap-2">
        <Button disabled={moving} disabledReason={alreadyHere ? `${object.name} is already in this folder.` : undefined} onClick={move}>
          Move here
        </Button>
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  );
}
