-- Schedules (issue 15, spec §2.9 and §6.2; docs/JOBS.md "Schedules"). The original hands them to pg_cron; here one
-- Core at a time (the leader, holding an advisory lock on a dedicated connection) fires them into the job queue of
-- 0023. `next_fire_at` is the next instant the scheduler owes the cron: the leader sleeps until the earliest one
-- and, when it is due, records the tick in cron_runs and enqueues its job in one transaction. NULL while disabled.
CREATE TABLE rootcx_system.crons (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id         text NOT NULL REFERENCES rootcx_system.apps (id) ON DELETE CASCADE,
  name           text NOT NULL,
  schedule       text NOT NULL,
  timezone       text NOT NULL DEFAULT 'UTC',
  payload        jsonb NOT NULL DEFAULT '{}'::jsonb,
  overlap_policy text NOT NULL DEFAULT 'skip',
  enabled        boolean NOT NULL DEFAULT true,
  -- Who the cron's jobs run as. NULL only once that user is deleted: such a cron's ticks are refused, never run
  -- as the system (spec §6.2: a cron whose owner is NULL is refused when it fires).
  run_as         uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  created_by     uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  -- manifest: reconciled on every install of the app (removed when the manifest drops it); api: left alone.
  source         text NOT NULL DEFAULT 'api',
  next_fire_at   timestamptz(6),
  created_at     timestamptz(6) NOT NULL DEFAULT now(),
  updated_at     timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT crons_app_id_name_key UNIQUE (app_id, name),
  CONSTRAINT crons_name_shape CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
  CONSTRAINT crons_schedule_length CHECK (length(schedule) BETWEEN 1 AND 200),
  CONSTRAINT crons_timezone_length CHECK (length(timezone) BETWEEN 1 AND 64),
  CONSTRAINT crons_overlap_policy_check CHECK (overlap_policy IN ('skip', 'queue')),
  CONSTRAINT crons_source_check CHECK (source IN ('manifest', 'api')),
  CONSTRAINT crons_payload_object CHECK (jsonb_typeof(payload) = 'object'),
  CONSTRAINT crons_payload_size CHECK (octet_length(payload::text) <= 65536),
  CONSTRAINT crons_disabled_unscheduled CHECK (enabled OR next_fire_at IS NULL)
);

-- The leader's one question: the earliest instant owed, and which crons are due.
CREATE INDEX crons_due ON rootcx_system.crons (next_fire_at) WHERE enabled AND next_fire_at IS NOT NULL;
CREATE INDEX crons_created_by_idx ON rootcx_system.crons (created_by);

-- One row per tick (and per manual trigger). UNIQUE (cron_id, scheduled_at) with ON CONFLICT DO NOTHING is what
-- keeps a tick from firing twice, even if two Cores believed they led at once. The job's msg_id has no foreign
-- key: archived jobs are pruned, their runs stay.
--   scheduled: recorded, its job queued;   running: its job runs (or failed once and waits for a retry);
--   succeeded / failed: its job ended so (failed also: refused at fire time, with the reason in message);
--   skipped: overlap policy skip found an earlier run's job still live;   missed: no Core fired it in time.
CREATE TABLE rootcx_system.cron_runs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cron_id      uuid NOT NULL REFERENCES rootcx_system.crons (id) ON DELETE CASCADE,
  scheduled_at timestamptz(6) NOT NULL,
  -- schedule: a tick of the schedule; manual: POST …/trigger (scheduled_at is then when it was asked for).
  trigger      text NOT NULL DEFAULT 'schedule',
  status       text NOT NULL,
  message      text,
  msg_id       bigint,
  fired_at     timestamptz(6),
  started_at   timestamptz(6),
  finished_at  timestamptz(6),
  CONSTRAINT cron_runs_cron_id_scheduled_at_key UNIQUE (cron_id, scheduled_at),
  CONSTRAINT cron_runs_status_check CHECK (status IN ('scheduled', 'running', 'succeeded', 'failed', 'skipped', 'missed')),
  CONSTRAINT cron_runs_trigger_check CHECK (trigger IN ('schedule', 'manual')),
  CONSTRAINT cron_runs_message_length CHECK (message IS NULL OR length(message) <= 4000)
);

CREATE INDEX cron_runs_msg_id ON rootcx_system.cron_runs (msg_id) WHERE msg_id IS NOT NULL;
-- Retention: the oldest finished runs go first.
CREATE INDEX cron_runs_scheduled_at ON rootcx_system.cron_runs (scheduled_at);

-- A run follows its job: the dispatcher of 0023 only changes jobs.state, and this trigger carries each change of a
-- cron's job onto its run in the same transaction, so no Core code has to know about runs. A job that failed and
-- waits for a retry keeps its run running, with the error in the message.
CREATE FUNCTION rootcx_system.cron_run_follows_job() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, rootcx_system AS $$
BEGIN
  UPDATE cron_runs r SET
    status = CASE NEW.state
      WHEN 'queued' THEN 'scheduled'
      WHEN 'running' THEN 'running'
      WHEN 'failed' THEN 'running'
      WHEN 'done' THEN 'succeeded'
      ELSE 'failed' END,
    message = left(CASE NEW.state
      WHEN 'failed' THEN format('attempt %s failed, a retry is scheduled: %s', NEW.attempts, NEW.last_error)
      WHEN 'dead' THEN format('failed after %s attempts: %s', NEW.attempts, NEW.last_error)
      WHEN 'cancelled' THEN 'the job was cancelled'
      WHEN 'done' THEN CASE WHEN NEW.attempts > 1 THEN format('succeeded at attempt %s', NEW.attempts) END
      ELSE r.message END, 4000),
    started_at = coalesce(r.started_at, NEW.started_at),
    finished_at = CASE WHEN NEW.state IN ('done', 'dead', 'cancelled') THEN coalesce(NEW.finished_at, now()) END
  WHERE r.msg_id = NEW.msg_id;
  RETURN NULL;
END $$;

CREATE TRIGGER jobs_cron_run_state
  AFTER UPDATE OF state ON rootcx_system.jobs
  FOR EACH ROW WHEN (NEW.source = 'cron' AND OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION rootcx_system.cron_run_follows_job();

-- The database console (0008) reads platform tables; schedules and their history hold nothing secret.
GRANT SELECT ON rootcx_system.crons, rootcx_system.cron_runs TO rootcx_db_reader;
