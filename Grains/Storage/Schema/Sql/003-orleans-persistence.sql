-- Grain state for Microsoft.Orleans.Persistence.AdoNet (ServiceId = ClusterOptions.ServiceId).
--
-- A row is identified by the service, the grain's key (two 64-bit halves and a string extension) and the state
-- name (GrainTypeString); the two hashes narrow the lookup. Version is the state's ETag: a write names the version
-- it read, and only the writer holding the current version succeeds.

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                integer      NULL
);

-- One row per identity, even when two activations of a grain race to write its first state: the loser's insert
-- does nothing and it sees a version conflict. The long strings are indexed by their md5 so that an index entry
-- stays small whatever their length.
CREATE UNIQUE INDEX IF NOT EXISTS UX_OrleansStorage_Identity ON OrleansStorage
    (GrainIdHash, GrainTypeHash, GrainIdN0, GrainIdN1, ServiceId, md5(GrainTypeString), md5(GrainIdExtensionString))
    NULLS NOT DISTINCT;

-- Writes a state. Returns the new version, or (a conflict, which the provider turns into an
-- InconsistentStateException) the caller's version unchanged or NULL:
--   no version (the caller has never seen a stored state): insert with version 1 unless a row exists;
--   a version: replace the payload and add one to the version if the stored version is still that one.
CREATE OR REPLACE FUNCTION orleans_storage_write(
    p_grain_id_hash     integer,
    p_grain_id_n0       bigint,
    p_grain_id_n1       bigint,
    p_grain_type_hash   integer,
    p_grain_type        text,
    p_grain_id_extension text,
    p_service_id        text,
    p_version           integer,
    p_payload           bytea)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    new_version integer;
BEGIN
    IF p_version IS NULL THEN
        INSERT INTO OrleansStorage
            (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString, ServiceId,
             PayloadBinary, ModifiedOn, Version)
        VALUES
            (p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_type_hash, p_grain_type, p_grain_id_extension,
             p_service_id, p_payload, now(), 1)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            RETURN 1;
        END IF;
        RETURN NULL;
    END IF;

    UPDATE OrleansStorage
    SET PayloadBinary = p_payload, ModifiedOn = now(), Version = Version + 1
    WHERE GrainIdHash = p_grain_id_hash AND GrainTypeHash = p_grain_type_hash
      AND GrainIdN0 = p_grain_id_n0 AND GrainIdN1 = p_grain_id_n1
      AND ServiceId = p_service_id AND GrainTypeString = p_grain_type
      AND GrainIdExtensionString IS NOT DISTINCT FROM p_grain_id_extension
      AND Version = p_version
    RETURNING Version INTO new_version;
    IF FOUND THEN
        RETURN new_version;
    END IF;
    RETURN p_version;
END
$$;

-- Clears a state (keeps the row, without payload, so the version keeps counting). Same answers as a write.
CREATE OR REPLACE FUNCTION orleans_storage_clear(
    p_grain_id_hash     integer,
    p_grain_id_n0       bigint,
    p_grain_id_n1       bigint,
    p_grain_type_hash   integer,
    p_grain_type        text,
    p_grain_id_extension text,
    p_service_id        text,
    p_version           integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN orleans_storage_write(p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_type_hash, p_grain_type,
        p_grain_id_extension, p_service_id, p_version, NULL);
END
$$;

-- Deletes a state's row (AdoNetGrainStorageOptions.DeleteStateOnClear). Returns the deleted version plus one, or
-- (a conflict) the caller's version unchanged or NULL.
CREATE OR REPLACE FUNCTION orleans_storage_delete(
    p_grain_id_hash     integer,
    p_grain_id_n0       bigint,
    p_grain_id_n1       bigint,
    p_grain_type_hash   integer,
    p_grain_type        text,
    p_grain_id_extension text,
    p_service_id        text,
    p_version           integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    deleted_version integer;
BEGIN
    DELETE FROM OrleansStorage
    WHERE GrainIdHash = p_grain_id_hash AND GrainTypeHash = p_grain_type_hash
      AND GrainIdN0 = p_grain_id_n0 AND GrainIdN1 = p_grain_id_n1
      AND ServiceId = p_service_id AND GrainTypeString = p_grain_type
      AND GrainIdExtensionString IS NOT DISTINCT FROM p_grain_id_extension
      AND Version = p_version
    RETURNING Version INTO deleted_version;
    IF FOUND THEN
        RETURN deleted_version + 1;
    END IF;
    RETURN p_version;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'ReadFromStorageKey',
    $q$SELECT PayloadBinary, Version
FROM OrleansStorage
WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString;$q$
),
(
    'WriteToStorageKey',
    $q$SELECT orleans_storage_write(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
    @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary) AS NewGrainStateVersion;$q$
),
(
    'ClearStorageKey',
    $q$SELECT orleans_storage_clear(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
    @GrainIdExtensionString, @ServiceId, @GrainStateVersion) AS NewGrainStateVersion;$q$
),
(
    'DeleteStorageKey',
    $q$SELECT orleans_storage_delete(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
    @GrainIdExtensionString, @ServiceId, @GrainStateVersion) AS NewGrainStateVersion;$q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
