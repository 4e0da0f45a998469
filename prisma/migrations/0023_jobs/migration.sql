-- The job queue (issue 15, spec §2.8 and §6.1; docs/JOBS.md "Queue"). The original leans on pgmq; this is a plain
-- table that any PostgreSQL 15+ runs. Dispatchers on every Core claim with FOR UPDATE SKIP LOCKED and hold a lease
-- (locked_by, locked_until, lease): a job whose Core or worker died becomes claimable again once locked_until has
-- passed, with its attempt count, and a result carrying a stale lease token changes nothing.
--
-- States: queued (waiting for run_at), running (leased), done (archived), failed (the last attempt errored and a
-- retry is scheduled at run_at), dead (attempts exhausted; replayable), cancelled.
CREATE TABLE rootcx_system.jobs (
  msg_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id           text NOT NULL REFERENCES rootcx_system.apps (id) ON DELETE CASCADE,
  payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Who the job runs as; NULL runs on the app's lifecycle worker with no caller. No foreign key: a job whose
  -- owner was deleted is refused at dispatch with that reason rather than silently losing its identity.
  user_id          uuid,
  state            text NOT NULL DEFAULT 'queued',
  priority         integer NOT NULL DEFAULT 0,
  run_at           timestamptz(6) NOT NULL DEFAULT now(),
  attempts         integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL DEFAULT 5,
  dedup_key        text,
  source           text NOT NULL DEFAULT 'api',
  source_id        text,
  last_error       text,
  -- One entry {attempt, at, error} per failed attempt (the most recent 50).
  errors           jsonb NOT NULL DEFAULT '[]'::jsonb,
  enqueued_at      timestamptz(6) NOT NULL DEFAULT now(),
  started_at       timestamptz(6),
  finished_at      timestamptz(6),
  locked_by        text,
  locked_until     timestamptz(6),
  -- The fencing token of the current claim: a new one per claim, so only the holder's result is applied.
  lease            uuid,
  -- A cancel of a running job: it ends as cancelled when its worker answers (the worker is not interrupted).
  cancel_requested boolean NOT NULL DEFAULT false,
  CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead', 'cancelled')),
  CONSTRAINT jobs_source_check CHECK (source IN ('api', 'cron', 'hook', 'webhook', 'replay')),
  CONSTRAINT jobs_priority_range CHECK (priority BETWEEN -1000000 AND 1000000),
  CONSTRAINT jobs_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 100),
  CONSTRAINT jobs_attempts_range CHECK (attempts >= 0),
  CONSTRAINT jobs_dedup_key_length CHECK (dedup_key IS NULL OR length(dedup_key) BETWEEN 1 AND 256),
  CONSTRAINT jobs_source_id_length CHECK (source_id IS NULL OR length(source_id) <= 256),
  -- A job travels to its worker as one IPC line of at most 1 MiB, envelope included.
  CONSTRAINT jobs_payload_size CHECK (octet_length(payload::text) <= 1000000),
  CONSTRAINT jobs_errors_array CHECK (jsonb_typeof(errors) = 'array'),
  CONSTRAINT jobs_running_leased CHECK (state <> 'running' OR (lease IS NOT NULL AND locked_until IS NOT NULL))
);

-- An equal key that is still live (queued, running or failed-awaiting-retry) is not enqueued twice.
CREATE UNIQUE INDEX jobs_dedup_live ON rootcx_system.jobs (app_id, dedup_key)
  WHERE dedup_key IS NOT NULL AND state IN ('queued', 'running', 'failed');
-- The claim: claimable rows in dispatch order.
CREATE INDEX jobs_claimable ON rootcx_system.jobs (priority DESC, run_at, msg_id)
  WHERE state IN ('queued', 'failed');
-- Expired leases.
CREATE INDEX jobs_running_lease ON rootcx_system.jobs (locked_until) WHERE state = 'running';
-- Lists and stats per app.
CREATE INDEX jobs_app_state ON rootcx_system.jobs (app_id, state, msg_id DESC);
CREATE INDEX jobs_app_enqueued ON rootcx_system.jobs (app_id, enqueued_at);
CREATE INDEX jobs_app_finished ON rootcx_system.jobs (app_id, finished_at) WHERE finished_at IS NOT NULL;
-- Live jobs of one cron, hook or webhook (a cron's "skip" overlap policy asks this).
CREATE INDEX jobs_live_source ON rootcx_system.jobs (app_id, source, source_id)
  WHERE source_id IS NOT NULL AND state IN ('queued', 'running', 'failed');
-- Retention pruning of archived jobs.
CREATE INDEX jobs_prunable ON rootcx_system.jobs (finished_at) WHERE state IN ('done', 'cancelled');

-- Enqueue, callable from the Core and from SECURITY DEFINER trigger functions the Core owns (entity hooks), in the
-- caller's transaction: the NOTIFY is delivered at commit, so a rolled-back enqueue wakes nobody and leaves nothing.
-- For a live equal dedup key it returns the existing msg_id and inserts nothing.
--
-- EXECUTE is not granted to the governed executor: any worker's ctx.sql runs as that role, and this function takes
-- an arbitrary app and user, so granting it would let any app make work run as any user of any app. A trigger that
-- must enqueue does it from a SECURITY DEFINER function owned by the Core (as the original's hooks_trigger_fn is).
-- enqueue_job_row also says whether the key deduplicated the call (the Core's enqueueJob answers it).
CREATE FUNCTION rootcx_system.enqueue_job_row(p_app_id text, p_payload jsonb, p_user_id uuid, p_opts jsonb,
                                              OUT msg_id bigint, OUT deduplicated boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  opts      jsonb := coalesce(p_opts, '{}'::jsonb);
  v_run_at  timestamptz := coalesce((opts ->> 'runAt')::timestamptz, now());
  v_prio    integer := coalesce((opts ->> 'priority')::integer, 0);
  v_dedup   text := opts ->> 'dedupKey';
  v_max     integer := coalesce((opts ->> 'maxAttempts')::integer, 5);
  v_source  text := coalesce(opts ->> 'source', 'api');
  v_src_id  text := opts ->> 'sourceId';
BEGIN
  IF jsonb_typeof(opts) <> 'object' THEN
    RAISE EXCEPTION 'enqueue_job: p_opts must be a JSON object' USING ERRCODE = '22023';
  END IF;
  LOOP
    INSERT INTO jobs (app_id, payload, user_id, priority, run_at, max_attempts, dedup_key, source, source_id)
    VALUES (p_app_id, coalesce(p_payload, '{}'::jsonb), p_user_id, v_prio, v_run_at, v_max, v_dedup, v_source, v_src_id)
    ON CONFLICT (app_id, dedup_key) WHERE dedup_key IS NOT NULL AND state IN ('queued', 'running', 'failed') DO NOTHING
    RETURNING jobs.msg_id INTO msg_id;
    IF msg_id IS NOT NULL THEN
      deduplicated := false;
      PERFORM pg_notify('rootcx_jobs', p_app_id);
      RETURN;
    END IF;
    SELECT j.msg_id INTO msg_id FROM jobs j
     WHERE j.app_id = p_app_id AND j.dedup_key = v_dedup AND j.state IN ('queued', 'running', 'failed');
    -- Not found: the live holder of the key finished between the two statements; insert again.
    IF msg_id IS NOT NULL THEN
      deduplicated := true;
      RETURN;
    END IF;
  END LOOP;
END $$;

CREATE FUNCTION rootcx_system.enqueue_job(p_app_id text, p_payload jsonb, p_user_id uuid, p_opts jsonb DEFAULT '{}'::jsonb)
RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
  SELECT r.msg_id FROM rootcx_system.enqueue_job_row(p_app_id, p_payload, p_user_id, p_opts) r
$$;

REVOKE EXECUTE ON FUNCTION rootcx_system.enqueue_job_row(text, jsonb, uuid, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION rootcx_system.enqueue_job(text, jsonb, uuid, jsonb) FROM PUBLIC;
