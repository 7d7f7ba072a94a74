/**
 * Money: the double-entry ledger, payment channels and their rules (due, paid, pause, end), settlement, and the
 * rail that records money coming in and going out. No transport; called by the rental service.
 */
package io.edgerent.hub.payment;
