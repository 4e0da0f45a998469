-- Schema sync converts a column's values only where they convert exactly, and counts the rows where they do
-- not before it changes anything. These helpers answer "does this text read as that type?" without raising.

-- Only the types schema sync converts to, each named as a constant: pg_input_is_valid keeps the type it looked up
-- for a call site whose type argument looks constant (a PL/pgSQL parameter does), so one call site must never
-- see two types. PostgreSQL 16+ answers with pg_input_is_valid; on 15 each value is tried in a subtransaction.
-- The body is planned statement by statement as it runs, so pg_input_is_valid is never planned on 15.
CREATE OR REPLACE FUNCTION rootcx_system.input_is_valid(value text, type_name text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF value IS NULL THEN
    RETURN true;
  END IF;
  IF current_setting('server_version_num')::int >= 160000 THEN
    CASE type_name
      WHEN 'double precision' THEN RETURN pg_input_is_valid(value, 'double precision');
      WHEN 'boolean' THEN RETURN pg_input_is_valid(value, 'boolean');
      WHEN 'date' THEN RETURN pg_input_is_valid(value, 'date');
      WHEN 'timestamp with time zone' THEN RETURN pg_input_is_valid(value, 'timestamp with time zone');
      WHEN 'timestamp without time zone' THEN RETURN pg_input_is_valid(value, 'timestamp without time zone');
      WHEN 'uuid' THEN RETURN pg_input_is_valid(value, 'uuid');
      ELSE RAISE EXCEPTION 'input_is_valid: unsupported type %', type_name;
    END CASE;
  END IF;
  BEGIN
    CASE type_name
      WHEN 'double precision' THEN PERFORM value::double precision;
      WHEN 'boolean' THEN PERFORM value::boolean;
      WHEN 'date' THEN PERFORM value::date;
      WHEN 'timestamp with time zone' THEN PERFORM value::timestamp with time zone;
      WHEN 'timestamp without time zone' THEN PERFORM value::timestamp without time zone;
      WHEN 'uuid' THEN PERFORM value::uuid;
      ELSE RAISE EXCEPTION 'input_is_valid: unsupported type %', type_name;
    END CASE;
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
