-- Apps installed from a manifest: who installed them, and the history of every schema change an install applied.

ALTER TABLE rootcx_system.apps
  ADD COLUMN installed_by uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  ADD CONSTRAINT apps_id_format CHECK (id ~ '^[a-z][a-z0-9_]{0,62}$');

-- Kept after an app is uninstalled: the history says what was dropped and by whom.
CREATE TABLE rootcx_system.schema_history (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id      text NOT NULL,
  app_version text,
  actor_uid   uuid,
  applied_at  timestamptz(6) NOT NULL DEFAULT now(),
  changes     jsonb NOT NULL,
  statements  text[] NOT NULL
);
CREATE INDEX schema_history_app ON rootcx_system.schema_history (app_id, id DESC);
