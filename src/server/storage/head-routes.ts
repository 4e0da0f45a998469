import type { RestRoute } from "../http/types.ts";

/**
 * A download route and its HEAD twin (RFC 9110 §9.3.2): the same handler, authorisation and headers;
 * sendStoredFile writes no body for HEAD. Only for downloads whose GET has no side effect (not nonces).
 */
export function withHead(get: RestRoute): [RestRoute, RestRoute] {
  const docs = get.docs && { ...get.docs, summary: `${get.docs.summary}: headers only, no body` };
  return [get, { ...get, method: "HEAD", docs }];
}
