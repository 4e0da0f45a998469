"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { toFormErrors } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { SettingsCard } from "./card.tsx";

type Registration = "open" | "closed";

/** Open or close public sign-up (POST /auth/register); the first user and administrators are never refused. */
export function SignUpSetting() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const settings = useQuery(trpc.settings.get.queryOptions());
  const [choice, setChoice] = useState<Registration>("open");
  useEffect(() => {
    if (settings.data) setChoice(settings.data.registration);
  }, [settings.data]);
  const save = useMutation(
    trpc.settings.update.mutationOptions({
      onSuccess: async (saved) => {
        toast.success(saved.registration === "closed" ? "Public sign-up is now closed" : "Public sign-up is now open");
        await queryClient.invalidateQueries({ queryKey: trpc.settings.get.queryKey() });
      },
    }),
  );
  const errors = save.error ? toFormErrors(save.error, ["registration"]) : undefined;

  return (
    <SettingsCard title="Sign-up" description="Whether anyone may create an account from the sign-in page. Administrators can always add users.">
      {settings.isError && <FormError>{toFormErrors(settings.error).form}</FormError>}
      <form
        aria-label="Sign-up setting"
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({ registration: choice });
        }}
      >
        <div className="w-64">
          <FormField
            kind="select"
            label="Public sign-up"
            name="registration"
            value={choice}
            disabled={!settings.data}
            onChange={(e) => setChoice(e.target.value === "closed" ? "closed" : "open")}
            options={[
              { value: "open", label: "Open: anyone may sign up" },
              { value: "closed", label: "Closed: administrators add users" },
            ]}
            error={errors?.fields.registration}
          />
        </div>
        <Button type="submit" disabled={!settings.data || save.isPending || choice === settings.data.registration}>
          {save.isPending ? "Saving…" : "Save"}
        </Button>
      </form>
      {errors?.form && <FormError>{errors.form}</FormError>}
    </SettingsCard>
  );
}
