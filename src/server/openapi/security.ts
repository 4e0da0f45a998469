import type { oas31 } from "zod-openapi";
import type { RouteDocs } from "../http/types.ts";

/** How callers authenticate: every scheme travels as `Authorization: Bearer …`, told apart by its shape. */
export const securitySchemes: Record<string, oas31.SecuritySchemeObject> = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A user's access token from POST /auth/login (or SSO, magic links, client credentials).",
  },
  apiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "rcs_…",
    description: "A service account's API key, sent as the bearer token.",
  },
  shareToken: {
    type: "http",
    scheme: "bearer",
    description: "A public share's token, sent as the bearer token; such routes also answer anonymous callers.",
  },
};

/** The security requirement of an operation: alternatives, any one of which is enough (an empty object: none needed). */
export function securityOf(auth: RouteDocs["auth"]): oas31.SecurityRequirementObject[] {
  switch (auth ?? "bearer") {
    case "none":
      return [];
    case "share":
      return [{ shareToken: [] }, {}];
    case "optional":
      return [{ bearerAuth: [] }, { apiKey: [] }, {}];
    case "any":
      return [{ bearerAuth: [] }, { apiKey: [] }, { shareToken: [] }, {}];
    default:
      return [{ bearerAuth: [] }, { apiKey: [] }];
  }
}
