-- Cluster membership for Microsoft.Orleans.Clustering.AdoNet (DeploymentId = ClusterOptions.ClusterId).
--
-- The version row is the membership table's ETag: every membership change (insert or update of a silo's row)
-- must move it from the version the silo read to the next one, in the same transaction as the row change, or not
-- happen at all. Heartbeats (IAmAliveTime) are not versioned.

CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150)   NOT NULL,
    Timestamp    timestamptz(3) NOT NULL DEFAULT now(),
    Version      integer        NOT NULL DEFAULT 0,
    CONSTRAINT PK_OrleansMembershipVersionTable PRIMARY KEY (DeploymentId)
);

CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150)   NOT NULL,
    Address      varchar(45)    NOT NULL,
    Port         integer        NOT NULL,
    Generation   integer        NOT NULL,
    SiloName     varchar(150)   NOT NULL,
    HostName     varchar(150)   NOT NULL,
    Status       integer        NOT NULL,
    ProxyPort    integer        NULL,
    SuspectTimes varchar(8000)  NULL,
    StartTime    timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,
    CONSTRAINT PK_OrleansMembershipTable PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_OrleansMembershipTable_Version FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

-- Inserts a silo's row and moves the table version on, both or neither. The version moves first: when the caller's
-- version is stale nothing has changed yet and the answer is 0. When the row turns out to exist already, the
-- exception rolls the version change back (the block is a subtransaction) and the answer is 0 as well. The error is
-- raised explicitly rather than with ASSERT, which does nothing when plpgsql.check_asserts is off.
-- Timestamps are timestamptz because Npgsql sends UTC DateTime values as timestamptz; a function taking
-- timestamp would not be found.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deployment_id  text,
    p_address        text,
    p_port           integer,
    p_generation     integer,
    p_silo_name      text,
    p_host_name      text,
    p_status         integer,
    p_proxy_port     integer,
    p_start_time     timestamptz,
    p_i_am_alive_time timestamptz,
    p_version        integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
BEGIN
    BEGIN
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1, Timestamp = now()
        WHERE DeploymentId = p_deployment_id AND Version = p_version AND Version < 2147483647;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'membership version of % is not %', p_deployment_id, p_version
                USING ERRCODE = 'assert_failure';
        END IF;

        INSERT INTO OrleansMembershipTable
            (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
        VALUES
            (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port,
             p_start_time, p_i_am_alive_time)
        ON CONFLICT ON CONSTRAINT PK_OrleansMembershipTable DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'silo %:% generation % is already a member of %', p_address, p_port, p_generation, p_deployment_id
                USING ERRCODE = 'assert_failure';
        END IF;
    EXCEPTION WHEN assert_failure THEN
        RETURN 0;
    END;
    RETURN 1;
END
$$;

-- Changes a silo's status and suspicions and moves the table version on, both or neither (see above).
-- IAmAliveTime never goes back: a heartbeat written after the caller read the row may be newer.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_status          integer,
    p_suspect_times   text,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
BEGIN
    BEGIN
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1, Timestamp = now()
        WHERE DeploymentId = p_deployment_id AND Version = p_version AND Version < 2147483647;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'membership version of % is not %', p_deployment_id, p_version
                USING ERRCODE = 'assert_failure';
        END IF;

        UPDATE OrleansMembershipTable
        SET Status = p_status,
            SuspectTimes = p_suspect_times,
            IAmAliveTime = GREATEST(IAmAliveTime, p_i_am_alive_time)
        WHERE DeploymentId = p_deployment_id AND Address = p_address AND Port = p_port AND Generation = p_generation;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'silo %:% generation % is not a member of %', p_address, p_port, p_generation, p_deployment_id
                USING ERRCODE = 'assert_failure';
        END IF;
    EXCEPTION WHEN assert_failure THEN
        RETURN 0;
    END;
    RETURN 1;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'InsertMembershipVersionKey',
    $q$WITH inserted AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES (@DeploymentId)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1)
SELECT count(*)::integer FROM inserted;$q$
),
(
    'MembershipReadAllKey',
    $q$SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId;$q$
),
(
    'MembershipReadRowKey',
    $q$SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m
    ON m.DeploymentId = v.DeploymentId AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;$q$
),
(
    'InsertMembershipKey',
    $q$SELECT orleans_membership_insert(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status,
    @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS Result;$q$
),
(
    'UpdateMembershipKey',
    $q$SELECT orleans_membership_update(@DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes,
    @IAmAliveTime, @Version) AS Result;$q$
),
(
    'UpdateIAmAlivetimeKey',
    $q$UPDATE OrleansMembershipTable
SET IAmAliveTime = GREATEST(IAmAliveTime, @IAmAliveTime)
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;$q$
),
(
    'GatewaysQueryKey',
    $q$SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;$q$
),
(
    'DeleteMembershipTableEntriesKey',
    $q$DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;$q$
),
(
    -- Rows of silos that are not active and have shown no sign of life since the cutoff (by default a week ago).
    'CleanupDefunctSiloEntriesKey',
    $q$DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status <> 3 AND GREATEST(StartTime, IAmAliveTime) < @IAmAliveTime;$q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
