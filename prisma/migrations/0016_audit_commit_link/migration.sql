-- Audited rows join the hash chain when their transaction commits, not when the change is made.
--
-- Until now audit_append took the chain's advisory lock at the first audited change and kept it to the end of
-- the transaction, so a transaction that wrote one audited row and then stayed open (a worker may hold one for
-- 60 s) stalled every other audited write of every Core process for as long. Now a change only records its row
-- in audit_pending, which takes no lock; a deferred constraint trigger, which PostgreSQL fires at COMMIT, takes
-- the lock, reads the chain's head and links this transaction's rows in the order they were made. The lock is
-- thus held from the start of the commit to its end: chain order is commit order, the chain stays one gap-free
-- sequence under any concurrency and across Core processes (the lock is the database's), and nobody waits on a
-- transaction that is merely open. A rolled-back transaction (or savepoint) takes its pending rows with it.

-- Rows of transactions still open. UNLOGGED: a row never outlives its transaction, so a crash loses nothing the
-- WAL would have kept. Keyed by transaction first: a transaction sees only its own rows anyway, but every audited
-- write leaves a dead row here, and while a long transaction holds back vacuum a scan of the whole table would
-- cost every commit more and more; the key takes the link straight to its own rows.
CREATE UNLOGGED TABLE rootcx_system.audit_pending (
  tx            bigint NOT NULL,
  seq           bigint GENERATED ALWAYS AS IDENTITY,
  table_schema  text NOT NULL,
  table_name    text NOT NULL,
  record_id     text,
  operation     text NOT NULL,
  old_record    jsonb,
  new_record    jsonb,
  actor_uid     uuid,
  delegator_uid uuid,
  trigger_ref   text,
  changed_at    timestamptz(6) NOT NULL,
  -- The transaction's first pending row: only it queues the commit-time link (one trigger event per transaction).
  first_of_tx   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tx, seq)
);
REVOKE ALL ON rootcx_system.audit_pending FROM PUBLIC;

-- The change is recorded as it happens: the actor from the claims of that moment (claims expire, and a long
-- transaction's may have by its commit), the time of the change. No lock is taken here.
CREATE OR REPLACE FUNCTION rootcx_system.audit_append(
  p_schema text, p_table text, p_record_id text, p_operation text, p_old jsonb, p_new jsonb
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  c text[] := rootcx_system.verified_claims();
  -- Transaction-local and undone with a rolled-back savepoint, like the pending row that set it.
  first boolean := current_setting('rootcx.audit_queued', true) IS DISTINCT FROM 'on';
BEGIN
  IF first THEN PERFORM set_config('rootcx.audit_queued', 'on', true); END IF;
  INSERT INTO rootcx_system.audit_pending
    (tx, table_schema, table_name, record_id, operation, old_record, new_record, actor_uid, delegator_uid, trigger_ref, changed_at, first_of_tx)
  VALUES (pg_current_xact_id()::text::bigint, p_schema, p_table, p_record_id, p_operation, p_old, p_new,
          nullif(c[3], '')::uuid, nullif(c[4], '')::uuid, nullif(c[5], ''),
          date_trunc('microseconds', clock_timestamp()), first);
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.audit_append(text, text, text, text, jsonb, jsonb) FROM PUBLIC;

-- At commit: under the chain's lock (held to the end of this commit), each pending row of this transaction gets
-- the next id and its link, in the order the changes were made. SECURITY DEFINER: it runs as whoever commits
-- (the executor, which may not take advisory locks) and writes the Core's tables.
CREATE FUNCTION rootcx_system.audit_link_fn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  p rootcx_system.audit_pending;
  r rootcx_system.audit_log;
  prev text;
  me bigint := pg_current_xact_id()::text::bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7367617);
  -- A statement after the lock, so (READ COMMITTED) a snapshot that sees the previous holder's commit.
  SELECT hash INTO prev FROM rootcx_system.audit_log ORDER BY id DESC LIMIT 1;
  IF prev IS NULL THEN SELECT hash INTO prev FROM rootcx_system.audit_anchor; END IF;
  FOR p IN SELECT * FROM rootcx_system.audit_pending WHERE tx = me ORDER BY seq LOOP
    r.id := nextval(pg_get_serial_sequence('rootcx_system.audit_log', 'id'));
    r.table_schema := p.table_schema; r.table_name := p.table_name; r.record_id := p.record_id;
    r.operation := p.operation; r.old_record := p.old_record; r.new_record := p.new_record;
    r.actor_uid := p.actor_uid; r.delegator_uid := p.delegator_uid; r.trigger_ref := p.trigger_ref;
    r.changed_at := p.changed_at;
    r.prev_hash := prev;
    r.hash := rootcx_system.audit_row_digest(prev, r);
    INSERT INTO rootcx_system.audit_log OVERRIDING SYSTEM VALUE SELECT r.*;
    prev := r.hash;
  END LOOP;
  DELETE FROM rootcx_system.audit_pending WHERE tx = me;
  -- A row appended later in this commit (by another deferred trigger) queues a link of its own.
  PERFORM set_config('rootcx.audit_queued', '', true);
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.audit_link_fn() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER audit_pending_link AFTER INSERT ON rootcx_system.audit_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.first_of_tx)
  EXECUTE FUNCTION rootcx_system.audit_link_fn();
