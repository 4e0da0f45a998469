"use client";
import { PageHeader } from "../components/page-header.tsx";
import { ADMIN, forbiddenReason, useCan, usePermissions } from "../components/permissions.tsx";
import { AuditArchiveStatus } from "./audit-archive.tsx";
import { MasterKeyRotation } from "./master-key.tsx";
import { SignUpSetting } from "./sign-up-setting.tsx";

/** Platform-wide settings an administrator changes from the Studio: sign-up, the vault's key, audit retention. */
export default function SettingsPage() {
  const { ready } = usePermissions();
  const isAdmin = useCan(ADMIN);
  return (
    <section className="space-y-6">
      <PageHeader title="Settings" breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Settings" }]} description="Who may sign up, the vault's master key and the audit log's retention." />
      {!ready ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">Loading…</p>
      ) : !isAdmin ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">Settings are for administrators. {forbiddenReason(ADMIN)}</p>
      ) : (
        <>
          <SignUpSetting />
          <MasterKeyRotation />
          <AuditArchiveStatus />
        </>
      )}
    </section>
  );
}
