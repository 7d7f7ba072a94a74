package io.edgerent.edge.containers.docker;

import io.edgerent.edge.hostos.Host;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps rentals off this device and off the owner's network. Every device's rental bridge is named
 * {@code er-...}; new connections from such a bridge to this host (the Kura web UI, the Docker
 * engine, anything listening) are dropped, and so is forwarded traffic to private, shared,
 * link-local, loopback and multicast addresses. Replies to connections this host opened (the
 * tunnel to the container's sshd) pass. IPv6 from a rental is dropped entirely: rentals get none. That does not
 * rest on ip6tables alone: every container starts with IPv6 switched off inside it ({@code disable_ipv6}, which
 * its root cannot change), so a device without ip6tables still fences IPv6, and says which fence it has.
 */
final class HostFirewall {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HostFirewall.class);
    static final String BRIDGE_PREFIX = "er-";
    private static final String INTERFACES = BRIDGE_PREFIX + "+";
    private static final String INPUT_CHAIN = "EDGERENT-INPUT";
    private static final String FORWARD_CHAIN = "EDGERENT-FORWARD";
    /** Where a rental may not go: this host's and the owner's networks, and addresses that are not the internet. */
    static final List<String> PRIVATE_RANGES = List.of(
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.0.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "224.0.0.0/4",
            "240.0.0.0/4");

    private HostFirewall() {}

    /** Installs the rules unless exactly these are in place; cheap enough to call before every container start. */
    static synchronized void ensure() throws IOException {
        if (!Host.has("iptables")) {
            throw new IOException("iptables is not installed: rentals cannot be kept off this device's network");
        }
        ensure("iptables", true);
        if (Host.has("ip6tables")) {
            ensure("ip6tables", false);
        } else if (!saidNoIp6tables) {
            saidNoIp6tables = true;
            LOG.warn("ip6tables is not installed: rentals' IPv6 is fenced only by being off inside their containers"
                    + " (net.ipv6.conf.all.disable_ipv6=1); install ip6tables for the second fence");
        }
    }

    private static boolean saidNoIp6tables;

    private static void ensure(String tool, boolean ipv4) throws IOException {
        List<String> rules = Host.run(tool, "-w", "-S").lines().toList();
        // Docker jumps to DOCKER-USER first thing in FORWARD; without Docker's chains, FORWARD itself.
        String hook = rules.contains("-N DOCKER-USER") ? "DOCKER-USER" : "FORWARD";
        boolean installed = rules.contains("-A INPUT -i " + INTERFACES + " -j " + INPUT_CHAIN)
                && rules.contains("-A " + hook + " -i " + INTERFACES + " -j " + FORWARD_CHAIN)
                && chain(rules, INPUT_CHAIN).equals(expected(INPUT_CHAIN, ipv4))
                && chain(rules, FORWARD_CHAIN).equals(expected(FORWARD_CHAIN, ipv4));
        if (installed) {
            return;
        }
        for (String chain : List.of(INPUT_CHAIN, FORWARD_CHAIN)) {
            if (!Host.succeeds(tool, "-w", "-N", chain)) {
                Host.run(tool, "-w", "-F", chain);
            }
            for (String rule : expected(chain, ipv4)) {
                List<String> command = new ArrayList<>(List.of(tool, "-w"));
                command.addAll(List.of(rule.split(" ")));
                Host.run(command.toArray(String[]::new));
            }
        }
        hook(tool, "INPUT", INPUT_CHAIN);
        hook(tool, hook, FORWARD_CHAIN);
    }

    /** A chain's rules as {@code iptables -S} prints them. */
    private static List<String> expected(String chain, boolean ipv4) {
        List<String> rules = new ArrayList<>();
        rules.add("-A " + chain + " -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN");
        if (chain.equals(INPUT_CHAIN) || !ipv4) {
            rules.add("-A " + chain + " -j DROP");
        } else {
            PRIVATE_RANGES.forEach(range -> rules.add("-A " + chain + " -d " + range + " -j DROP"));
        }
        return rules;
    }

    private static List<String> chain(List<String> rules, String chain) {
        return rules.stream().filter(r -> r.startsWith("-A " + chain + " ")).toList();
    }

    private static void hook(String tool, String from, String to) throws IOException {
        if (!Host.succeeds(tool, "-w", "-C", from, "-i", INTERFACES, "-j", to)) {
            Host.run(tool, "-w", "-I", from, "1", "-i", INTERFACES, "-j", to);
        }
    }
}
