-- File storage (issue 16): blobs in chunked bytea rows, app files, single-use nonces and the signed-URL key.
--
-- A blob's bytes are rows of 256 KiB (the last one shorter), written one by one as the upload streams in and
-- read back one by one: neither side ever holds more than a chunk. Rows rather than large objects because a
-- blob then goes with an ordinary DELETE (cascading to its chunks; plain VACUUM reclaims the space, no
-- vacuumlo), a rolled-back upload leaves nothing, and no privilege on pg_largeobject is involved.
CREATE TABLE rootcx_system.storage_blobs (
  id           uuid PRIMARY KEY,
  size         bigint NOT NULL CHECK (size >= 0),
  sha256       char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content_type text NOT NULL,
  created_at   timestamptz(6) NOT NULL DEFAULT now()
);

-- The chunks are written before their blob row (whose size and checksum are known only at the end), so the
-- reference is checked at commit.
CREATE TABLE rootcx_system.storage_blob_chunks (
  blob_id uuid NOT NULL REFERENCES rootcx_system.storage_blobs (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  seq     integer NOT NULL CHECK (seq >= 0),
  data    bytea NOT NULL,
  PRIMARY KEY (blob_id, seq)
);
-- Out of line but uncompressed: most uploads (images, archives, PDFs) are compressed already, and trying again
-- costs CPU on every write for nothing.
ALTER TABLE rootcx_system.storage_blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- Deleting whatever owns a blob (an app file here, a bucket object elsewhere) deletes the blob: attach this as
-- an AFTER DELETE row trigger to any table with a blob_id column.
CREATE FUNCTION rootcx_system.storage_release_blob() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM rootcx_system.storage_blobs WHERE id = OLD.blob_id;
  RETURN NULL;
END $$;

CREATE TABLE rootcx_system.app_files (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id       text NOT NULL REFERENCES rootcx_system.apps (id) ON DELETE CASCADE,
  name         text NOT NULL,
  content_type text NOT NULL,
  size         bigint NOT NULL CHECK (size >= 0),
  sha256       char(64) NOT NULL,
  blob_id      uuid NOT NULL UNIQUE REFERENCES rootcx_system.storage_blobs (id),
  uploaded_by  uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  created_at   timestamptz(6) NOT NULL DEFAULT now()
);
CREATE INDEX app_files_app_id_idx ON rootcx_system.app_files (app_id, created_at);
CREATE TRIGGER app_files_release_blob AFTER DELETE ON rootcx_system.app_files
  FOR EACH ROW EXECUTE FUNCTION rootcx_system.storage_release_blob();

-- Single-use upload (60 s) and download (300 s) nonces, kept here so any Core process honours them. Only the
-- SHA-256 of a nonce is stored.
CREATE TABLE rootcx_system.storage_nonces (
  nonce_hash   char(64) PRIMARY KEY CHECK (nonce_hash ~ '^[0-9a-f]{64}$'),
  kind         text NOT NULL CHECK (kind IN ('upload', 'download')),
  app_id       text NOT NULL REFERENCES rootcx_system.apps (id) ON DELETE CASCADE,
  file_id      uuid REFERENCES rootcx_system.app_files (id) ON DELETE CASCADE,
  name         text,
  content_type text,
  max_size     bigint,
  created_by   uuid REFERENCES rootcx_system.users (id) ON DELETE CASCADE,
  expires_at   timestamptz(6) NOT NULL,
  created_at   timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT storage_nonces_shape CHECK (
    (kind = 'upload' AND file_id IS NULL AND name IS NOT NULL AND content_type IS NOT NULL AND max_size IS NOT NULL)
    OR (kind = 'download' AND file_id IS NOT NULL))
);
CREATE INDEX storage_nonces_expires_at_idx ON rootcx_system.storage_nonces (expires_at);

-- The HMAC key of signed download URLs: one row, replaced by a rotation (which revokes every URL signed so far).
-- Neither the executor nor the console's reader role is granted it.
CREATE TABLE rootcx_system.storage_signing_keys (
  generation integer PRIMARY KEY CHECK (generation > 0),
  key        bytea NOT NULL CHECK (octet_length(key) = 32),
  created_by uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  created_at timestamptz(6) NOT NULL DEFAULT now()
);
