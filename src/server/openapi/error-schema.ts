import { z } from "zod";

/**
 * The one error envelope every 4xx and 5xx answer carries (src/server/http/respond.ts `sendError`): a sentence,
 * and for the database console where in the caller's text the problem is and how to fix it.
 */
export const errorBody = z
  .object({
    error: z.string().meta({ description: "What went wrong, as one sentence meant for the person who made the request." }),
    position: z.int().positive().optional().meta({ description: "1-based character position in the caller's SQL (database console)." }),
    hint: z.string().optional(),
    detail: z.string().optional(),
  })
  .meta({ id: "Error", description: "The error envelope of every 4xx and 5xx answer." });
