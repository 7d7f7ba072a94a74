-- On the embedded database V20 moves device_heard into memory with a journal on disk. PostgreSQL's write-ahead log
-- already appends each change, so here the table stays as it is; this version says so.
COMMENT ON TABLE device_heard IS 'each device''s liveness and meter, written at every heartbeat';
