-- Realtime change streams (issue 17, docs/REALTIME.md): every committed row change of an app table, in commit
-- order, kept for a short window so that a subscriber can resume, and announced to every Core by NOTIFY.
--
-- What is kept is the change with both images: app, entity, id, operation, the row as the change left it (inserts,
-- updates) and as it was before (updates, deletes). Each subscriber's view of both images is decided when the
-- change is delivered, under its own claims: an update that takes a row out of its view arrives as a delete.
-- Images, not a read of the table at delivery: a delivery that lags behind the writes must still describe each
-- change as it committed (a read would show a later state, and an update out of view followed by one back in
-- would arrive as two updates, or an insert of a row the subscriber already shows).

-- Changes of transactions still open (UNLOGGED, like audit_pending): numbered when their transaction commits.
CREATE UNLOGGED TABLE rootcx_system.realtime_pending (
  tx         bigint NOT NULL,
  ord        bigint GENERATED ALWAYS AS IDENTITY,
  app_id     text NOT NULL,
  entity     text NOT NULL,
  record_id  uuid NOT NULL,
  op         text NOT NULL,
  old_record jsonb,
  new_record jsonb,
  -- The transaction's first pending change: only it queues the commit-time numbering (one trigger event per transaction).
  first_of_tx boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tx, ord)
);
REVOKE ALL ON rootcx_system.realtime_pending FROM PUBLIC;

-- Committed changes. seq is the SSE event id: numbers grow in commit order (assigned under the audit chain's
-- lock at commit), so "every change after N" is exactly what a subscriber that saw N has not seen.
CREATE SEQUENCE rootcx_system.realtime_seq AS bigint;
CREATE TABLE rootcx_system.realtime_changes (
  seq        bigint PRIMARY KEY,
  app_id     text NOT NULL,
  entity     text NOT NULL,
  record_id  uuid NOT NULL,
  op         text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  old_record jsonb,
  new_record jsonb,
  at         timestamptz(6) NOT NULL DEFAULT now()
);
CREATE INDEX realtime_changes_at_idx ON rootcx_system.realtime_changes (at);
REVOKE ALL ON rootcx_system.realtime_changes FROM PUBLIC;

-- The highest seq the pruning removed: a subscriber resuming from below it may have missed changes (a resync).
CREATE TABLE rootcx_system.realtime_state (
  id             integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO rootcx_system.realtime_state (id) VALUES (1);
REVOKE ALL ON rootcx_system.realtime_state FROM PUBLIC;

-- The row trigger: records the change, takes no lock. SECURITY DEFINER: it runs as the writer (the executor,
-- a worker's role), which may not write the Core's tables. The app and entity come from the trigger's
-- arguments, fixed when realtime_capture installed it.
CREATE FUNCTION rootcx_system.realtime_capture_fn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  first boolean := current_setting('rootcx.realtime_queued', true) IS DISTINCT FROM 'on';
BEGIN
  IF first THEN PERFORM set_config('rootcx.realtime_queued', 'on', true); END IF;
  INSERT INTO rootcx_system.realtime_pending (tx, app_id, entity, record_id, op, old_record, new_record, first_of_tx)
  VALUES (pg_current_xact_id()::text::bigint, TG_ARGV[0], TG_ARGV[1],
          CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
          lower(TG_OP),
          CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
          CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END,
          first);
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.realtime_capture_fn() FROM PUBLIC;

-- At commit: numbers this transaction's changes in the order they were made and announces the last number.
-- The lock is the audit chain's (migration 0016): every transaction that changes an app table takes it at
-- commit anyway (the audit link is queued before this one, its row trigger's name sorting first), so numbering
-- here adds no wait of its own and no second lock to order against; the lock is held to the end of the
-- commit, so a higher number is never visible before a lower one.
CREATE FUNCTION rootcx_system.realtime_link_fn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  p rootcx_system.realtime_pending;
  me bigint := pg_current_xact_id()::text::bigint;
  last bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7367617);
  FOR p IN SELECT * FROM rootcx_system.realtime_pending WHERE tx = me ORDER BY ord LOOP
    last := nextval('rootcx_system.realtime_seq');
    INSERT INTO rootcx_system.realtime_changes (seq, app_id, entity, record_id, op, old_record, new_record, at)
    VALUES (last, p.app_id, p.entity, p.record_id, p.op, p.old_record, p.new_record, clock_timestamp());
  END LOOP;
  DELETE FROM rootcx_system.realtime_pending WHERE tx = me;
  PERFORM set_config('rootcx.realtime_queued', '', true);
  -- Only a number: every Core reads the changes themselves from the table, so a forged NOTIFY costs one read.
  IF last IS NOT NULL THEN PERFORM pg_notify('rootcx_realtime', last::text); END IF;
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.realtime_link_fn() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER realtime_pending_link AFTER INSERT ON rootcx_system.realtime_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.first_of_tx)
  EXECUTE FUNCTION rootcx_system.realtime_link_fn();

-- Installs the capture trigger on one entity table (idempotent): app installs call it for every new table, and
-- the Core calls it for a table installed before this migration on its first subscription.
CREATE FUNCTION rootcx_system.realtime_capture(tbl regclass, app_id text, entity text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, rootcx_system AS $$
DECLARE
  -- One capture trigger per table; its name sorts after the audit trigger's (audit_…) and the hooks' (rootcx_hook_…).
  name text := 'rootcx_rt_capture';
BEGIN
  IF app_id !~ '^[a-z][a-z0-9_]*$' OR entity !~ '^[a-z][a-z0-9_]*$' THEN
    RAISE EXCEPTION 'invalid app or entity identifier';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = name) THEN RETURN; END IF;
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION rootcx_system.realtime_capture_fn(%L, %L)',
                 name, tbl, app_id, entity);
END $$;
REVOKE EXECUTE ON FUNCTION rootcx_system.realtime_capture(regclass, text, text) FROM PUBLIC;

-- Apps installed before this migration: every governed entity table of an installed app.
DO $$
DECLARE
  a record;
  e text;
BEGIN
  FOR a IN SELECT id, manifest FROM rootcx_system.apps LOOP
    FOR e IN SELECT jsonb_array_elements(coalesce(a.manifest->'dataContract', '[]'::jsonb))->>'entityName' LOOP
      IF e IS NOT NULL AND to_regclass(format('%I.%I', a.id, e)) IS NOT NULL THEN
        PERFORM rootcx_system.realtime_capture(format('%I.%I', a.id, e)::regclass, a.id, e);
      END IF;
    END LOOP;
  END LOOP;
END $$;
