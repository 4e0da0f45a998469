import { systemRouter } from "../system/router.ts";
import { router } from "./init.ts";

/** Every subsystem's tRPC router, mounted under its name. */
export const appRouter = router({
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
