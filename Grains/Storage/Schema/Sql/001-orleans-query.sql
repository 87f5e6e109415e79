-- The catalogue of SQL text that Orleans' ADO.NET providers read at start-up (written for this project from the
-- query contract in docs/postgres.md; the providers look queries up by key and send their parameters as @Name).
-- Identifiers are unquoted, so PostgreSQL folds them to lower case; Npgsql resolves the providers' column names
-- case-insensitively.
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL,
    QueryText varchar(8000) NOT NULL,
    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);
