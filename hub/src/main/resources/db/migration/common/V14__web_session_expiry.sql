-- The hub deletes expired web sessions and sign-in codes every few minutes (Accounts.pruneExpired);
-- this index keeps that a range read instead of a scan of every session.
CREATE INDEX web_session_by_expiry ON web_session(expires_at);
