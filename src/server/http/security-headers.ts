import type { ServerResponse } from "node:http";

/**
 * API answers are JSON (or event streams) for programs: nothing in them is to be sniffed as another type,
 * rendered, framed or allowed to load anything, even an error that echoes its input.
 */
export const API_SECURITY_HEADERS: readonly [string, string][] = [
  ["x-content-type-options", "nosniff"],
  ["content-security-policy", "default-src 'none'; frame-ancestors 'none'"],
];

/**
 * The Studio's policy. Next.js writes its bootstrap as inline scripts whose content changes with every build,
 * so scripts are limited to this origin plus inline ones (no nonce: that would make every page dynamic);
 * everything else is this origin only, nothing may frame the Studio, and no plugin, <base> or foreign form
 * target is allowed. Development adds what React's dev build and hot reload need (eval, the WebSocket).
 */
function studioCsp(dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function studioSecurityHeaders(dev: boolean): readonly [string, string][] {
  return [
    ["content-security-policy", studioCsp(dev)],
    // For browsers that predate frame-ancestors.
    ["x-frame-options", "DENY"],
    ["x-content-type-options", "nosniff"],
    ["referrer-policy", "strict-origin-when-cross-origin"],
    ["cross-origin-opener-policy", "same-origin"],
    ["permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"],
  ];
}

export function setHeaders(res: ServerResponse, headers: readonly [string, string][]): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}
