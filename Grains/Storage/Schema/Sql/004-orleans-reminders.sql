-- Reminders for Microsoft.Orleans.Reminders.AdoNet (ServiceId = ClusterOptions.ServiceId).
--
-- GrainHash is the grain's uniform hash as a signed integer; each silo reads the reminders of its range of the
-- hash ring. Version is a reminder's ETag: 0 when inserted, one more at every update.

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    varchar(150)   NOT NULL,
    GrainId      varchar(150)   NOT NULL,
    ReminderName varchar(150)   NOT NULL,
    StartTime    timestamptz(3) NOT NULL,
    Period       bigint         NOT NULL,
    GrainHash    integer        NOT NULL,
    Version      integer        NOT NULL,
    CONSTRAINT PK_OrleansRemindersTable PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS IX_OrleansRemindersTable_GrainHash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    -- One statement, so two silos registering the same reminder cannot both insert.
    'UpsertReminderRowKey',
    $q$INSERT INTO OrleansRemindersTable (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT ON CONSTRAINT PK_OrleansRemindersTable DO UPDATE
SET StartTime = EXCLUDED.StartTime, Period = EXCLUDED.Period, GrainHash = EXCLUDED.GrainHash,
    Version = OrleansRemindersTable.Version + 1
RETURNING Version;$q$
),
(
    'ReadReminderRowsKey',
    $q$SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainId = @GrainId;$q$
),
(
    'ReadReminderRowKey',
    $q$SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName;$q$
),
(
    -- A range that does not wrap around the ring (BeginHash < EndHash as signed integers).
    'ReadRangeRows1Key',
    $q$SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainHash > @BeginHash AND GrainHash <= @EndHash;$q$
),
(
    -- A range that wraps around (or covers) the whole ring.
    'ReadRangeRows2Key',
    $q$SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);$q$
),
(
    'DeleteReminderRowKey',
    $q$WITH deleted AS (
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName AND Version = @Version
    RETURNING 1)
SELECT count(*)::integer FROM deleted;$q$
),
(
    'DeleteReminderRowsKey',
    $q$DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId;$q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
