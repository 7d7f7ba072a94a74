package io.edgerent.edge.containers.docker;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The name servers a rental's queries go to. Docker's embedded resolver would otherwise forward them to this
 * device's own resolvers, usually the home router, which answers for the owner's LAN names (the NAS, the printer);
 * so an owner names public resolvers, and a private, loopback or link-local address is refused for the same reason.
 */
final class Resolvers {
    private Resolvers() {}

    static final String DEFAULT = "9.9.9.9,1.1.1.1";

    /** The addresses, or why they cannot be used (IllegalArgumentException). */
    static List<String> parse(String text) {
        List<String> servers = new ArrayList<>();
        for (String part : (text == null ? "" : text).split(",")) {
            String s = part.strip();
            if (s.isEmpty()) {
                continue;
            }
            if (!s.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") && !s.matches("[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
                throw new IllegalArgumentException("name servers must be IP addresses, got '" + s + "'");
            }
            InetAddress address;
            try {
                address = InetAddress.getByName(s); // a literal: no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("name servers must be IP addresses, got '" + s + "'");
            }
            if (!isPublic(address)) {
                throw new IllegalArgumentException("name server " + s + " is not a public address: a resolver on your"
                        + " network would answer rentals for its names; name a public one such as 9.9.9.9");
            }
            servers.add(address.getHostAddress());
        }
        if (servers.isEmpty() || servers.size() > 3) {
            throw new IllegalArgumentException(
                    "name servers: one to three public IP addresses, comma-separated, got '" + text + "'");
        }
        return servers;
    }

    static boolean isPublic(InetAddress a) {
        if (a.isAnyLocalAddress()
                || a.isLoopbackAddress()
                || a.isLinkLocalAddress()
                || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address) {
            return (b[0] & 0xfe) != 0xfc; // fc00::/7, unique local
        }
        for (String range : HostFirewall.PRIVATE_RANGES) {
            if (within(b, range)) {
                return false;
            }
        }
        return true;
    }

    private static boolean within(byte[] address, String cidr) {
        String[] parts = cidr.split("/");
        byte[] net;
        try {
            net = InetAddress.getByName(parts[0]).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        int bits = Integer.parseInt(parts[1]);
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >> (i % 8);
            if ((address[i / 8] & mask) != (net[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }
}
