package io.edgerent.hub.router.http;

import io.edgerent.hub.observability.LogContext;
import io.edgerent.hub.rental.Access;
import io.edgerent.hub.store.DatabaseUnavailable;
import io.edgerent.protocol.RentalView;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Where a rental's requests go now: the loopback port of its tunnel, or the page that says why not. */
record Route(RouterPage refusal, int port) {
    private static final Logger LOG = LoggerFactory.getLogger(Route.class);

    /** Asks the registry (blocking: called on a worker) once per connection and rental; logs name the rental. */
    static Route lookup(HttpRouter router, String name) {
        try (LogContext.Scope scope = LogContext.open()) {
            LogContext.rental(name);
            return find(router, name);
        }
    }

    private static Route find(HttpRouter router, String name) {
        try {
            Optional<Access.HttpRoute> found = router.services.access().httpRoute(name);
            if (found.isEmpty()) {
                return new Route(
                        RouterPage.of(404, "No such rental", "There is no rental " + name + " on this hub."), 0);
            }
            Access.HttpRoute r = found.get();
            switch (r.state()) {
                case RentalView.PREPARING:
                    return new Route(
                            RouterPage.of(
                                    503,
                                    "Being prepared",
                                    "Rental " + name + " is being prepared; try again in a few seconds."),
                            0);
                case RentalView.ENDING:
                case RentalView.ENDED:
                    return new Route(RouterPage.of(410, "Rental ended", "Rental " + name + " has ended."), 0);
                default:
                    break;
            }
            if (r.paused()) {
                return new Route(
                        RouterPage.of(
                                503,
                                "Rental suspended",
                                "Rental " + name + " is suspended: its payment stopped. It serves again"
                                        + " as soon as payment catches up."),
                        0);
            }
            if (!r.online()) {
                return new Route(
                        RouterPage.of(
                                502,
                                "Device offline",
                                "The device serving " + name + " is offline; the rental's web server"
                                        + " cannot be reached until it is back."),
                        0);
            }
            if (r.httpTunnelPort() == 0) {
                return new Route(
                        RouterPage.of(
                                502,
                                "No web tunnel",
                                "The device serving " + name + " registered before this hub routed HTTP;"
                                        + " it has no web tunnel."),
                        0);
            }
            return new Route(null, router.tunnels.target(r.tunnelAt(), r.httpTunnelPort()));
        } catch (IOException e) {
            return new Route(
                    RouterPage.of(
                            502,
                            "Bad gateway",
                            "The tunnel of " + name + " is at another hub, which cannot be reached: " + e.getMessage()),
                    0);
        } catch (RuntimeException e) {
            if (!(e instanceof DatabaseUnavailable)) { // said once for the whole outage
                LOG.warn("routing {} failed", name, e);
            }
            return new Route(RouterPage.of(503, "Unavailable", "The hub cannot look up " + name + " right now."), 0);
        }
    }
}
