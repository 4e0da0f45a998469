-- Inbound webhooks and entity hooks (issue 15 items 3 and 4, spec §2.10 and §6.3; docs/JOBS.md "Webhooks" and
-- "Entity hooks").

-- One row per webhook a manifest declares. Only the SHA-256 of the 64-character token is stored; its first 12
-- characters (token_prefix) find the row, then the hash is compared in constant time by the Core. Re-installs
-- keep the row (and so the token) by (app_id, name); only a rotation replaces token_hash.
CREATE TABLE rootcx_system.webhooks (
  id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id                      text NOT NULL REFERENCES rootcx_system.apps (id) ON DELETE CASCADE,
  name                        text NOT NULL,
  -- The worker RPC the call reaches.
  method                      text NOT NULL,
  token_prefix                text NOT NULL,
  token_hash                  text NOT NULL,
  -- requireSignature as the manifest declares it (re-set on every install), and as an administrator set it (PATCH).
  -- A signature is mandatory when either is true.
  manifest_requires_signature boolean NOT NULL DEFAULT false,
  require_signature           boolean NOT NULL DEFAULT false,
  rate_limit_per_minute       integer NOT NULL DEFAULT 600,
  -- Whom the call runs as (spec §6.3: the creator, i.e. the installer who first declared it).
  created_by                  uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  created_at                  timestamptz(6) NOT NULL DEFAULT now(),
  token_rotated_at            timestamptz(6),
  CONSTRAINT webhooks_app_name_key UNIQUE (app_id, name),
  CONSTRAINT webhooks_token_hash_key UNIQUE (token_hash),
  CONSTRAINT webhooks_hash_shape CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT webhooks_prefix_shape CHECK (token_prefix ~ '^[A-Za-z0-9_-]{12}$'),
  CONSTRAINT webhooks_name_shape CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
  CONSTRAINT webhooks_method_length CHECK (length(method) BETWEEN 1 AND 128),
  CONSTRAINT webhooks_rate_limit_range CHECK (rate_limit_per_minute BETWEEN 1 AND 100000)
);
CREATE INDEX webhooks_token_prefix_idx ON rootcx_system.webhooks (token_prefix);

-- The signing secret lives in the vault under the scope webhook:{id} (as the original's); it goes with its webhook,
-- whichever path deletes the row (a re-install dropping the name, an uninstall's cascade).
CREATE FUNCTION rootcx_system.webhook_secret_cleanup_fn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
BEGIN
  DELETE FROM rootcx_system.secrets WHERE app_id = 'webhook:' || OLD.id::text;
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.webhook_secret_cleanup_fn() FROM PUBLIC;
CREATE TRIGGER webhooks_secret_cleanup AFTER DELETE ON rootcx_system.webhooks
  FOR EACH ROW EXECUTE FUNCTION rootcx_system.webhook_secret_cleanup_fn();

-- Each inbound call, for the Studio: the Core keeps the most recent 100 per webhook.
CREATE TABLE rootcx_system.webhook_calls (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id  uuid NOT NULL REFERENCES rootcx_system.webhooks (id) ON DELETE CASCADE,
  at          timestamptz(6) NOT NULL DEFAULT now(),
  status      integer NOT NULL,
  duration_ms integer NOT NULL,
  signed      boolean NOT NULL DEFAULT false,
  error       text,
  CONSTRAINT webhook_calls_error_length CHECK (error IS NULL OR length(error) <= 1000)
);
CREATE INDEX webhook_calls_webhook_idx ON rootcx_system.webhook_calls (webhook_id, id DESC);

-- Entity hooks: a row change on (app, entity, operation) enqueues a job in the writer's own transaction.
CREATE TABLE rootcx_system.entity_hooks (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id        text NOT NULL REFERENCES rootcx_system.apps (id) ON DELETE CASCADE,
  entity        text NOT NULL,
  operation     text NOT NULL,
  action_type   text NOT NULL DEFAULT 'job',
  action_config jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Who the job runs as: run_as when set, else the creator. A hook whose principal is deleted goes with it.
  run_as        uuid REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  active        boolean NOT NULL DEFAULT true,
  created_by    uuid NOT NULL REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  created_at    timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT entity_hooks_operation_check CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  CONSTRAINT entity_hooks_action_type_check CHECK (action_type IN ('job', 'agent', 'workflow')),
  CONSTRAINT entity_hooks_entity_shape CHECK (entity ~ '^[a-z][a-z0-9_]{0,62}$'),
  CONSTRAINT entity_hooks_action_config_object CHECK (jsonb_typeof(action_config) = 'object'),
  CONSTRAINT entity_hooks_action_config_size CHECK (octet_length(action_config::text) <= 65536)
);
CREATE INDEX entity_hooks_match_idx ON rootcx_system.entity_hooks (app_id, entity, operation) WHERE active;

-- The row trigger's function (triggers named rootcx_hook_insert|update|delete, attached by the Core only while a
-- hook of that table and operation exists). SECURITY DEFINER, owned by the Core: it runs for whoever writes (the
-- governed executor, a worker's onStart, a deploy migration) and is the only path from a write to enqueue_job,
-- which the executor may not call directly. The enqueue joins the writer's transaction: a rolled-back change
-- leaves no job, and a committed one always has its job.
CREATE FUNCTION rootcx_system.entity_hook_fn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  h       record;
  rec     jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
  old_rec jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
  payload jsonb;
BEGIN
  FOR h IN
    SELECT e.id, e.app_id, e.entity, e.action_type, e.action_config, coalesce(e.run_as, e.created_by) AS user_id
      FROM entity_hooks e
     WHERE e.app_id = TG_TABLE_SCHEMA AND e.entity = TG_TABLE_NAME AND e.operation = TG_OP AND e.active
       AND e.action_type = 'job'
     ORDER BY e.created_at, e.id
  LOOP
    payload := jsonb_build_object(
      '_hook', true, 'hook_id', h.id, 'entity', h.entity, 'operation', TG_OP,
      'record_id', coalesce(rec ->> 'id', old_rec ->> 'id'), 'record', rec, 'old_record', old_rec,
      'action_type', h.action_type, 'action_config', h.action_config);
    -- A job must fit one IPC line (jobs_payload_size); a huge row travels by id only rather than failing the write.
    IF octet_length(payload::text) > 900000 THEN
      payload := payload || jsonb_build_object('record', NULL, 'old_record', NULL, 'record_truncated', true);
    END IF;
    PERFORM enqueue_job(h.app_id, payload, h.user_id, jsonb_build_object('source', 'hook', 'sourceId', h.id::text));
  END LOOP;
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.entity_hook_fn() FROM PUBLIC;
