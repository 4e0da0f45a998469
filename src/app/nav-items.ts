/** The Studio's navigation; each subsystem's panel adds its entry here. */
export interface NavItem {
  href: string;
  label: string;
}

export const NAV_ITEMS: NavItem[] = [
  { href: "/", label: "Overview" },
  { href: "/apps", label: "Apps" },
  { href: "/users", label: "Users" },
  { href: "/roles", label: "Roles" },
  { href: "/audit", label: "Audit" },
  { href: "/secrets", label: "Secrets" },
  { href: "/database", label: "Database" },
];
