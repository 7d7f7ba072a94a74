/**
 * Devices, listings and rentals, and every transition between their states (Registry, one transaction per
 * use case); vouchers accepted at volume (VoucherDesk); the typed events adapters hear once a change committed.
 */
package io.edgerent.hub.rental;
