package io.edgerent.hub.router.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Who a connection counts against in the router's per-client limit. */
class ClientLimitTest {
    @Test
    void ipv4_counts_per_address() throws Exception {
        assertEquals(InetAddress.getByName("127.0.0.2"), HttpRouter.client(InetAddress.getByName("127.0.0.2")));
        assertNotEquals(
                HttpRouter.client(InetAddress.getByName("203.0.113.1")),
                HttpRouter.client(InetAddress.getByName("203.0.113.2")));
    }

    @Test
    void ipv6_counts_per_64_so_one_network_cannot_pose_as_many_clients() throws Exception {
        InetAddress one = HttpRouter.client(InetAddress.getByName("2001:db8:1:2::1"));
        InetAddress other = HttpRouter.client(InetAddress.getByName("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assertEquals(one, other, "the same /64");
        assertEquals(InetAddress.getByName("2001:db8:1:2::"), one);
        assertNotEquals(one, HttpRouter.client(InetAddress.getByName("2001:db8:1:3::1")), "the next /64");
    }

    @Test
    void an_ipv4_client_on_a_dual_stack_socket_counts_as_its_ipv4_address() throws Exception {
        assertEquals(
                InetAddress.getByName("198.51.100.7"), HttpRouter.client(InetAddress.getByName("::ffff:198.51.100.7")));
    }
}
