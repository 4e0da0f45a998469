"use client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { AppRouter } from "../client/index.ts";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();
