-- Platform storage (issue 16 part 2, spec §2.11): buckets, and objects in folders inside them. An object's bytes
-- are a blob of migration 0021; a folder has none.

-- Names are part of the bucket's permission keys (storage:{bucket}:{action}), so they keep to the key alphabet.
CREATE TABLE rootcx_system.storage_buckets (
  name          text PRIMARY KEY CONSTRAINT storage_buckets_name_format CHECK (name ~ '^[a-z0-9_]{1,63}$'),
  public        boolean NOT NULL DEFAULT false,
  -- NULL: the platform's limit (64 MiB). A bucket can only lower it.
  max_file_size bigint CONSTRAINT storage_buckets_max_file_size CHECK (max_file_size BETWEEN 1 AND 67108864),
  -- Empty: any type. Entries are media types or `type/*`.
  allowed_types text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz(6) NOT NULL DEFAULT now()
);

INSERT INTO rootcx_system.storage_buckets (name) VALUES ('default');

CREATE TABLE rootcx_system.storage_objects (
  id           uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  bucket       text NOT NULL REFERENCES rootcx_system.storage_buckets (name) ON DELETE CASCADE,
  -- NULL: the bucket's root. The parent is in the same bucket (the foreign key includes the bucket).
  parent_id    uuid,
  name         text NOT NULL,
  is_folder    boolean NOT NULL,
  content_type text,
  size         bigint CHECK (size >= 0),
  sha256       char(64),
  blob_id      uuid UNIQUE REFERENCES rootcx_system.storage_blobs (id),
  created_by   uuid REFERENCES rootcx_system.users (id) ON DELETE SET NULL,
  created_at   timestamptz(6) NOT NULL DEFAULT now(),
  updated_at   timestamptz(6) NOT NULL DEFAULT now(),
  CONSTRAINT storage_objects_bucket_id UNIQUE (bucket, id),
  CONSTRAINT storage_objects_parent FOREIGN KEY (bucket, parent_id) REFERENCES rootcx_system.storage_objects (bucket, id) ON DELETE CASCADE,
  -- One name per folder, the root included: without NULLS NOT DISTINCT two root objects could share a name.
  CONSTRAINT storage_objects_name_per_folder UNIQUE NULLS NOT DISTINCT (bucket, parent_id, name),
  CONSTRAINT storage_objects_not_own_parent CHECK (parent_id IS DISTINCT FROM id),
  -- The service refuses these with reasons; the checks hold for any other writer too.
  CONSTRAINT storage_objects_name_format CHECK (
    char_length(name) BETWEEN 1 AND 255 AND name NOT IN ('.', '..') AND name !~ '[/\u0001-\u001f\u007f-\u009f]'),
  CONSTRAINT storage_objects_shape CHECK (
    (is_folder AND blob_id IS NULL AND content_type IS NULL AND size IS NULL AND sha256 IS NULL)
    OR (NOT is_folder AND blob_id IS NOT NULL AND content_type IS NOT NULL AND size IS NOT NULL AND sha256 IS NOT NULL))
);
-- The unique constraint's index (bucket, parent_id, name) serves listings, cascades and walks down a folder.

-- Deleting an object (directly, or by the cascade of its folder) deletes its blob and that blob's chunks.
CREATE TRIGGER storage_objects_release_blob AFTER DELETE ON rootcx_system.storage_objects
  FOR EACH ROW WHEN (OLD.blob_id IS NOT NULL) EXECUTE FUNCTION rootcx_system.storage_release_blob();

-- The permission keys the Studio's role editor offers. Each bucket adds its own four when it is created.
INSERT INTO rootcx_system.rbac_permissions (key, description) VALUES
  ('storage:read', 'List and download objects of every storage bucket'),
  ('storage:write', 'Upload, create folders, rename and move in every storage bucket'),
  ('storage:delete', 'Delete objects of every storage bucket'),
  ('storage:admin', 'Create and delete storage buckets'),
  ('storage:default:read', 'List and download objects of the bucket default'),
  ('storage:default:write', 'Upload, create folders, rename and move in the bucket default'),
  ('storage:default:delete', 'Delete objects of the bucket default'),
  ('storage:default:admin', 'Administer the bucket default');
