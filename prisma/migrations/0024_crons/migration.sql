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

-- Why a cron may not run as its run_as now, or NULL: the user is gone, or the cron runs as someone other than its
-- creator and that person's act-as delegation to the creator no longer stands. Asked at every fire and trigger, as
-- consent can be withdrawn after the cron was made.
CREATE FUNCTION rootcx_system.cron_run_as_refusal(p_run_as uuid, p_created_by uuid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, rootcx_system AS $$
  SELECT CASE
    WHEN p_run_as IS NULL THEN 'the user this schedule runs as no longer exists; it was not run'
    WHEN p_run_as IS DISTINCT FROM p_created_by AND NOT EXISTS (
      SELECT 1 FROM delegations d
       WHERE d.delegator_uid = p_run_as AND d.delegatee_uid = p_created_by AND d.trigger_type = 'act_as'
         AND d.revoked_at IS NULL AND (d.expires_at IS NULL OR d.expires_at > now()))
      THEN 'the act-as delegation from the user this schedule runs as to its creator no longer stands; it was not run'
  END
$$;

-- The leader's fire, for every due cron at once in one statement (one round trip, one transaction): the Core plans
-- the instants (croner, time zones) and hands them over as
--   [{id, owed, fire: [instant…], missed: [instant…], missedMessage, summaryAt?, summaryMessage?, next}]
-- Per cron: lock it if it is still owed `owed` (an edit or another leader may have moved it: then nothing happens),
-- record each missed instant, record each fire instant (UNIQUE (cron_id, scheduled_at) + ON CONFLICT DO NOTHING:
-- an instant already recorded, by this or another leader, is never fired again), refuse it (run_as), skip it
-- (overlap policy skip while a job of the cron is live) or enqueue its job in the same transaction, and owe `next`.
-- A tick whose enqueue fails is recorded as failed with the error (a subtransaction), so one broken cron neither
-- stalls the others nor is retried in a loop. Answers one row per enqueued tick, with its lateness.
CREATE FUNCTION rootcx_system.cron_fire(p_plans jsonb)
RETURNS TABLE (fired_cron uuid, fired_instant timestamptz, lag_ms double precision)
LANGUAGE plpgsql SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  v_plan    jsonb;
  v_cron    record;
  v_at      timestamptz;
  v_fired   timestamptz;
  v_run     bigint;
  v_live    bigint;
  v_msg     bigint;
BEGIN
  FOR v_plan IN SELECT x FROM jsonb_array_elements(p_plans) x LOOP
    SELECT c.id, c.app_id, c.payload, c.overlap_policy, c.run_as, cron_run_as_refusal(c.run_as, c.created_by) AS refusal
      INTO v_cron
      FROM crons c
     WHERE c.id = (v_plan ->> 'id')::uuid AND c.enabled AND date_trunc('milliseconds', c.next_fire_at) = (v_plan ->> 'owed')::timestamptz
       FOR UPDATE OF c SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    INSERT INTO cron_runs (cron_id, scheduled_at, status, message)
    SELECT v_cron.id, m::timestamptz, 'missed', v_plan ->> 'missedMessage' FROM jsonb_array_elements_text(v_plan -> 'missed') m
        ON CONFLICT (cron_id, scheduled_at) DO NOTHING;
    IF v_plan ? 'summaryAt' THEN
      INSERT INTO cron_runs (cron_id, scheduled_at, status, message)
      VALUES (v_cron.id, (v_plan ->> 'summaryAt')::timestamptz, 'missed', v_plan ->> 'summaryMessage')
          ON CONFLICT (cron_id, scheduled_at) DO NOTHING;
    END IF;
    FOR v_at IN SELECT f::timestamptz FROM jsonb_array_elements_text(v_plan -> 'fire') f LOOP
      v_fired := clock_timestamp();
      v_run := NULL;
      INSERT INTO cron_runs (cron_id, scheduled_at, status, fired_at) VALUES (v_cron.id, v_at, 'scheduled', v_fired)
          ON CONFLICT (cron_id, scheduled_at) DO NOTHING
      RETURNING id INTO v_run;
      CONTINUE WHEN v_run IS NULL;
      IF v_cron.refusal IS NOT NULL THEN
        UPDATE cron_runs SET status = 'failed', message = v_cron.refusal, finished_at = v_fired WHERE id = v_run;
        CONTINUE;
      END IF;
      IF v_cron.overlap_policy = 'skip' THEN
        SELECT j.msg_id INTO v_live FROM jobs j
         WHERE j.app_id = v_cron.app_id AND j.source = 'cron' AND j.source_id = v_cron.id::text
           AND j.state IN ('queued', 'running', 'failed')
         ORDER BY j.msg_id LIMIT 1;
        IF v_live IS NOT NULL THEN
          UPDATE cron_runs SET status = 'skipped', finished_at = v_fired,
                 message = format('skipped: job %s of an earlier run is still queued or running (overlap policy skip)', v_live)
           WHERE id = v_run;
          CONTINUE;
        END IF;
      END IF;
      BEGIN
        -- The job carries the cron's id (spec §6.2) and, beyond the original, the tick's instant (an idempotency key).
        SELECT r.msg_id INTO v_msg
          FROM enqueue_job_row(v_cron.app_id,
                               v_cron.payload || jsonb_build_object('cron_id', v_cron.id,
                                 'scheduled_at', to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
                               v_cron.run_as,
                               jsonb_build_object('source', 'cron', 'sourceId', v_cron.id)) r;
        UPDATE cron_runs SET msg_id = v_msg WHERE id = v_run;
        fired_cron := v_cron.id;
        fired_instant := v_at;
        lag_ms := extract(epoch FROM v_fired - v_at) * 1000;
        RETURN NEXT;
      EXCEPTION WHEN OTHERS THEN
        UPDATE cron_runs SET status = 'failed', finished_at = v_fired, message = left('the tick could not be enqueued: ' || SQLERRM, 4000)
         WHERE id = v_run;
      END;
    END LOOP;
    UPDATE crons SET next_fire_at = (v_plan ->> 'next')::timestamptz WHERE id = v_cron.id;
  END LOOP;
END $$;

REVOKE EXECUTE ON FUNCTION rootcx_system.cron_run_as_refusal(uuid, uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION rootcx_system.cron_fire(jsonb) FROM PUBLIC;

-- The database console (0008) reads platform tables; schedules and their history hold nothing secret.
GRANT SELECT ON rootcx_system.crons, rootcx_system.cron_runs TO rootcx_db_reader;
