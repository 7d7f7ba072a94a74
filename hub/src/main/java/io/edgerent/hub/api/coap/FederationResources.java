package io.edgerent.hub.api.coap;

import io.edgerent.hub.api.coap.Resources.Handler;
import io.edgerent.hub.api.coap.Resources.Peer;
import io.edgerent.hub.federation.Federation;
import io.edgerent.hub.identity.AuthorizedKeys;
import io.edgerent.hub.rental.Services;
import io.edgerent.protocol.Cbor;
import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.Fields;
import io.edgerent.protocol.MalformedMessageException;
import io.edgerent.protocol.Names;
import io.edgerent.protocol.Paths;
import io.edgerent.protocol.RefusedException;
import io.edgerent.protocol.RentRequest;
import io.edgerent.protocol.RentalRef;
import io.edgerent.protocol.RentalView;
import io.edgerent.protocol.SignedRequest;
import org.eclipse.californium.core.CoapResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code federation/*}: what linked hubs ask of this one over their own DTLS sessions, and the operator's {@code peers}. */
final class FederationResources {
    private static final Logger LOG = LoggerFactory.getLogger(FederationResources.class);

    private final Services services;
    private final Federation federation;
    private final RenterResources renters;

    FederationResources(Services services, Federation federation, RenterResources renters) {
        this.services = services;
        this.federation = federation;
        this.renters = renters;
    }

    CoapResource resource(CoapResource links) {
        CoapResource fed = new Handler(Paths.FEDERATION);
        fed.add(new Handler(Paths.LISTINGS).onGet(peer -> {
            linkedHub(peer);
            return federation.signedListings(services.market().listings());
        }));
        fed.add(new Handler(Paths.RENT).onPost((payload, peer) -> {
            Federation.LinkedHub from = linkedHub(peer);
            Fields f = Cbor.decodeMap(payload);
            String name = f.text("name");
            if (!Names.isRentalName(name)) {
                throw new MalformedMessageException("field 'name' is not a rental name");
            }
            SignedRequest request = SignedRequest.decode(f.bytes("request"));
            RentRequest rent = RentRequest.from(renters.verified(request, Paths.RENTALS));
            RentalView rental = services.rentals()
                    .rent(request.renterKey(), rent, AuthorizedKeys.normalize(rent.sshKey()), name, from.name());
            LOG.info(
                    "rental {} of device {} for {} h, passed on by hub {}",
                    rental.name(),
                    rental.deviceId(),
                    rent.hours(),
                    from.name());
            return rental.encode();
        }));
        fed.add(new Handler(Paths.RELAY).onPost((payload, peer) -> {
            linkedHub(peer);
            Fields f = Cbor.decodeMap(payload);
            String path = f.text("path");
            if (!Federation.RELAYED.contains(path)) {
                throw new RefusedException(ErrorCode.BAD_REQUEST, "a linked hub passes on only " + Federation.RELAYED);
            }
            SignedRequest request = SignedRequest.decode(f.bytes("request"));
            return renters.handle(path, request, renters.verified(request, path));
        }));
        fed.add(new Handler(Paths.SETTLEMENT)
                .onPost((payload, peer) -> services.payments()
                        .passedSettlement(
                                RentalRef.from(Cbor.decodeMap(payload)).rental(),
                                linkedHub(peer).name())));
        fed.add(links);
        return fed;
    }

    /** The linked hub a request comes from, by the key of its DTLS session. */
    private Federation.LinkedHub linkedHub(Peer peer) {
        return federation
                .linkedByKey(peer.key())
                .orElseThrow(() -> new RefusedException(
                        ErrorCode.FORBIDDEN,
                        "only hubs linked with this one may ask this, over DTLS with their own keys"));
    }
}
