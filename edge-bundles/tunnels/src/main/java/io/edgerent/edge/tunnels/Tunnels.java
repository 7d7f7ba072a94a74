package io.edgerent.edge.tunnels;

/** Reverse forwards from the hub's SSH gateway to services on this device, kept open until closed. */
public interface Tunnels {
    /** Opens the tunnel and keeps reconnecting it in the background; opening an open tunnel replaces it. */
    void open(TunnelSpec spec);

    /** Closes the rental's tunnel; closing one that is not open is not an error. */
    void close(String rental);

    /** Whether the rental's tunnel is connected and forwarding right now. */
    boolean isConnected(String rental);
}
