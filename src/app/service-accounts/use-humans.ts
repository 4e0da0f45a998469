"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc.ts";

/**
 * The people a delegation or an ownership can name. `users.list` lists only non-system users, and service
 * accounts are system principals, so every entry is a person.
 */
export function useHumans() {
  const trpc = useTRPC();
  return useQuery(trpc.users.list.queryOptions());
}
