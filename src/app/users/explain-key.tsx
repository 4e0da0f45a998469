"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";

const FIELDS = ["key"] as const;

interface Grant {
  assignedRole: string;
  path: string[];
  role: string;
  heldKey: string;
}
interface Explanation {
  key: string;
  granted: boolean;
  grants: Grant[];
}

/**
 * "Why does this user hold this key?": the server's explain (`permissions.explain`) lists every route, from
 * an assigned role through its inheritance to the role holding a matching key. The user's effective keys are
 * offered as shortcuts; any key may be asked (a wildcard held may match it).
 */
export function ExplainKey({ userId, email }: { userId: string; email: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const listId = useId();
  const effective = useQuery(trpc.permissions.of.queryOptions({ userId }));
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [key, setKey] = useState("");
  const [answer, setAnswer] = useState<Explanation>();
  const [pending, setPending] = useState(false);

  async function explain(k: string) {
    clear();
    setAnswer(undefined);
    if (!k) return set("key", "Type the permission key to explain, e.g. app:crm:contact.read.");
    setPending(true);
    try {
      setAnswer(await qc.fetchQuery({ ...trpc.permissions.explain.queryOptions({ userId, key: k }), staleTime: 0 }));
    } catch (err) {
      fail(err);
    } finally {
      setPending(false);
    }
  }
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    void explain(key.trim());
  };

  return (
    <section aria-label="Why does this user hold a key?" className="space-y-3">
      <h3 className="font-semibold">Why does this user hold a key?</h3>
      <form noValidate onSubmit={submit} aria-label={`Explain a key of ${email}`} className="flex flex-wrap items-end gap-3">
        <div className="min-w-0 flex-1">
          <FormField
            label="Permission key"
            list={listId}
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            value={key}
            onChange={(e) => {
              setKey(e.target.value);
              clear("key");
            }}
            error={errors.fields.key}
          />
          <datalist id={listId}>
            {(effective.data?.permissions ?? []).map((k) => (
              <option key={k} value={k} />
            ))}
          </datalist>
        </div>
        <Button type="submit" disabled={pending}>
          Explain
        </Button>
      </form>
      <FormError>{errors.form}</FormError>
      {effective.isError && <FormError>{errorSentence(effective.error)}</FormError>}
      {effective.data && effective.data.permissions.length > 0 && (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Effective keys:{" "}
          {effective.data.permissions.map((k, i) => (
            <span key={k}>
              {i > 0 && ", "}
              <button
                type="button"
                className="font-mono text-brand-600 underline hover:no-underline dark:text-indigo-300"
                onClick={() => {
                  setKey(k);
                  void explain(k);
                }}
              >
                {k}
              </button>
            </span>
          ))}
        </p>
      )}
      {answer && <ExplanationView answer={answer} email={email} />}
    </section>
  );
}

function ExplanationView({ answer, email }: { answer: Explanation; email: string }) {
  if (!answer.granted) {
    return (
      <p data-testid="explain-result" className="rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-800 dark:bg-slate-800 dark:text-slate-200">
        {email} does <strong>not</strong> hold <span className="font-mono">{answer.key}</span>: no assigned role, nor any role they inherit, grants a matching key.
      </p>
    );
  }
  return (
    <div data-testid="explain-result" className="space-y-2 text-sm">
      <p>
        {email} holds <span className="font-mono">{answer.key}</span> by {answer.grants.length === 1 ? "one route" : `${answer.grants.length} routes`}:
      </p>
      <ol className="space-y-2">
        {answer.grants.map((g, i) => (
          <li key={i} data-testid="explain-chain" className="rounded-md border border-slate-200 px-3 py-2 dark:border-slate-700">
            <ol aria-label="Role chain" className="flex flex-wrap items-center gap-1">
              {g.path.map((r, j) => (
                <li key={`${r}-${j}`} className="flex items-center gap-1">
                  {j > 0 && (
                    <>
                      <span className="text-slate-600 dark:text-slate-400">
                        <span aria-hidden="true">→</span> inherits
                      </span>{" "}
                    </>
                  )}
                  <span className="rounded bg-slate-100 px-1.5 py-0.5 font-mono dark:bg-slate-800">{r}</span>
                  {j === 0 && (
                    <>
                      {" "}
                      <span className="text-slate-600 dark:text-slate-400">(assigned)</span>
                    </>
                  )}
                </li>
              ))}
            </ol>
            <p className="mt-1 text-slate-700 dark:text-slate-300">
              <span className="font-mono">{g.role}</span> holds <span className="font-mono">{g.heldKey}</span>
              {g.heldKey !== answer.key && <>, which matches <span className="font-mono">{answer.key}</span></>}.
            </p>
          </li>
        ))}
      </ol>
    </div>
  );
}
