package io.edgerent.hub.rental;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.device.Devices;
import io.edgerent.hub.events.Events;
import io.edgerent.hub.identity.Replays;
import io.edgerent.hub.market.Market;
import io.edgerent.hub.payment.Books;
import io.edgerent.hub.payment.Channels;
import io.edgerent.hub.payment.Ledger;
import io.edgerent.hub.store.Sql;
import java.time.Clock;

/** The hub's services on one database, wired once; adapters take what they call from here. */
public record Services(
        Events events,
        Devices devices,
        Market market,
        Rentals rentals,
        RentalPayments payments,
        Access access,
        Wipes wipes,
        Books books,
        Ledger ledger,
        Replays replays) {
    public static Services on(Sql sql, HubConfig config, Clock clock) {
        Events events = new Events(sql);
        Devices devices = new Devices(sql, config, clock, events);
        Ledger ledger = new Ledger(sql, clock);
        Channels channels = new Channels(sql, ledger, config, clock);
        Rentals rentals = new Rentals(sql, config, clock, devices, ledger, channels, events);
        return new Services(
                events,
                devices,
                new Market(sql, devices, clock),
                rentals,
                new RentalPayments(sql, clock, channels, events, rentals, devices),
                new Access(sql, devices),
                new Wipes(sql, clock, devices, rentals),
                new Books(sql, ledger, channels, clock),
                ledger,
                new Replays(sql, clock));
    }
}
