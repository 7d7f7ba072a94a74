/**
 * The CoAP API over DTLS (Californium, Scandium): devices register, heartbeat, observe and report; renters rent
 * and pay; linked hubs call each other. Decodes, calls a service, maps the answer to a code.
 */
package io.edgerent.hub.api.coap;
