/**
 * Linked hubs: their links, their signed listings, rentals passed to a device's home hub and their settlement.
 * It reaches linked hubs through LinkedHubCalls, which the CoAP adapter implements.
 */
package io.edgerent.hub.federation;
