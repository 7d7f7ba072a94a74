/**
 * Who this hub is and who may act: the hub key (SSH host key and DTLS raw public key), the operator's admin
 * secret, the HTTPS router's certificate, renters' SSH keys as the gateway compares them, and the digest of secrets kept.
 */
package io.edgerent.hub.identity;
