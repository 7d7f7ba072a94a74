-- Signed renter requests the hub accepted, kept while they are fresh enough to be replayed.
CREATE TABLE seen_request (
    digest     VARBINARY(32) PRIMARY KEY,
    issued_at  BIGINT        NOT NULL
);
