/**
 * The Studio's navigation; each subsystem's panel adds its entry here with the permission key(s) its page
 * needs — the sidebar shows an entry only to a caller holding all of them (`*`, the admin key, holds all).
 */
export interface NavItem {
  href: string;
  label: string;
  /** Keys the caller must hold; none means every signed-in user. */
  requires?: string[];
}

export const NAV_ITEMS: NavItem[] = [
  { href: "/", label: "Overview" },
  { href: "/applications", label: "Apps" },
  { href: "/users", label: "Users", requires: ["*"] },
  { href: "/roles", label: "Roles", requires: ["*"] },
  // Identity providers are managed by administrators only (POST/DELETE /auth/oidc/providers).
  { href: "/sso", label: "Single sign-on", requires: ["*"] },
  // Listing every app's workers is the Core's admin route (GET /workers); each app's logs link from there.
  { href: "/workers", label: "Workers", requires: ["*"] },
  { href: "/audit", label: "Audit", requires: ["admin:audit.read"] },
  { href: "/secrets", label: "Secrets", requires: ["admin:secrets.manage"] },
  // Buckets are listed to anyone; the panel is for those who may read every bucket (a per-bucket key opens /storage/{bucket}).
  { href: "/storage", label: "Storage", requires: ["storage:read"] },
  { href: "/service-accounts", label: "Service accounts", requires: ["admin:service_accounts.manage"] },
  // Jobs, schedules and webhooks are per app (app:{id}:job.read, cron.read, webhook.read): no one key opens them,
  // so the entries need none and each page lists only the apps whose key the caller holds (never a 403).
  { href: "/jobs", label: "Jobs" },
  { href: "/schedules", label: "Schedules" },
  { href: "/webhooks", label: "Webhooks" },
  // Browsing schemas is open to every user; the SQL console inside needs admin:db.query.
  { href: "/database", label: "Database" },
  { href: "/settings", label: "Settings", requires: ["*"] },
  // The REST reference is public (GET /api/v1/openapi.json needs no token), so every signed-in user sees it.
  { href: "/api-docs", label: "API reference" },
];
