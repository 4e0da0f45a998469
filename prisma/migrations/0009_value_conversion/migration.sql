-- Schema sync converts a column's values only where they convert exactly, and counts the rows where they do
-- not before it changes anything. These helpers answer "does this text read as that type?" without raising.

-- PostgreSQL 16 answers with pg_input_is_valid; on 15 each value is tried in a subtransaction. The PL/pgSQL
-- body is planned statement by statement when it runs, so the call to pg_input_is_valid is never planned on 15.
CREATE OR REPLACE FUNCTION rootcx_system.input_is_valid(value text, type_name text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF value IS NULL THEN
    RETURN true;
  END IF;
  IF current_setting('server_version_num')::int >= 160000 THEN
    RETURN pg_input_is_valid(value, type_name);
  END IF;
  BEGIN
    EXECUTE format('SELECT %L::%s', value, type_name::regtype);
    RETURN true;
  EXCEPTION WHEN data_exception THEN
    RETURN false;
  END;
END $$;

-- [text] → [number]: elements that are not numbers become NULL (counted beforehand, and applied only when the
-- install accepts the loss). A function because ALTER COLUMN … USING allows no subquery.
CREATE OR REPLACE FUNCTION rootcx_system.text_array_to_float8(value text[]) RETURNS double precision[]
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN value IS NULL THEN NULL ELSE COALESCE(
    (SELECT array_agg(CASE WHEN rootcx_system.input_is_valid(e, 'double precision') THEN e::double precision END ORDER BY i)
       FROM unnest(value) WITH ORDINALITY AS u(e, i)),
    '{}') END
$$;
