"use client";
import { SlideOver } from "../components/slide-over.tsx";
import { DeployForm } from "./deploy-form.tsx";
import { DeployHistory } from "./deploy-history.tsx";

/** Deploying an archive and the kept deploys of one app, in one side panel. */
export function DeployPanel({ appId, onClose }: { appId: string | undefined; onClose: () => void }) {
  return (
    <SlideOver open={appId !== undefined} title={appId ? `Deploy ${appId}` : "Deploy"} description="Upload the app's backend; the last 5 deploys are kept for rollback." onClose={onClose}>
      {appId && (
        <div className="space-y-6">
          <DeployForm appId={appId} />
          <DeployHistory appId={appId} />
        </div>
      )}
    </SlideOver>
  );
}
