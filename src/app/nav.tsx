"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { usePermissions } from "./components/permissions.tsx";
import { NAV_ITEMS } from "./nav-items.ts";

/** Only the entries the caller may use; nothing that needs a key until the caller's keys are known. */
export function Nav() {
  const pathname = usePathname();
  const { can } = usePermissions();
  return (
    <nav aria-label="Studio" className="flex flex-col gap-1 p-3">
      {NAV_ITEMS.filter((item) => (item.requires ?? []).every(can)).map((item) => {
        const active = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
        return (
          <Link
            key={item.href}
            href={item.href}
            aria-current={active ? "page" : undefined}
            className={`rounded-md px-3 py-2 text-sm font-medium ${
              active ? "bg-brand-500 text-white" : "text-slate-300 hover:bg-slate-800 hover:text-white"
            }`}
          >
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
