-- A rental name a linked hub asked about (federation/settlement) before any rental of that name
-- opened here. From then on no rental opens under it: a rent request under that name arriving late is
-- refused, so the asking hub may give its renter's deposit back at once.
CREATE TABLE given_up_rental (
    name         VARCHAR(16) PRIMARY KEY,
    hub          VARCHAR(32) NOT NULL,
    given_up_at  BIGINT NOT NULL
);
