-- Every signed request deletes the requests too old to be replayed (Replays): without an index on their age that
-- delete read the whole table, a cost that grew with the signed requests of the last ten minutes (issue 33).
CREATE INDEX seen_request_by_age ON seen_request(issued_at);
