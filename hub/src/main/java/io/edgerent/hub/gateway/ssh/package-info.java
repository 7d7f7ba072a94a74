/**
 * The SSH gateway (MINA SSHD): devices hold exactly their reserved reverse forwards, renters jump to their
 * rental's sshd, relays reach a device whose tunnel is at another hub of the fleet. Deny by default.
 */
package io.edgerent.hub.gateway.ssh;
