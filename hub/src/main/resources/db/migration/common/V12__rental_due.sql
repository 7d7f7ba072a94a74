-- The hub looks for rentals whose time is up every few seconds: by state and end time, without
-- reading every rental ever made.
CREATE INDEX rental_due ON rental(state, ends_at);
