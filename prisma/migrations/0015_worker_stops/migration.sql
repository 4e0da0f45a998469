-- An administrator's stop of an app's workers (POST /apps/{id}/worker/stop) holds until worker/start, a restart,
-- a deploy or a rollback: no RPC, log reader or Core boot starts the app meanwhile, on any Core process. No foreign
-- key to apps: an app deployed but not installed may be stopped too; uninstall deletes its row.
CREATE TABLE rootcx_system.worker_stops (
  app_id     text PRIMARY KEY,
  stopped_by uuid,
  stopped_at timestamptz(6) NOT NULL DEFAULT now()
);
