/**
 * Rentals and every transition of their states (Rentals, one transaction per use case), how renters reach them
 * (Access), the wipe records devices sign (Wipes), vouchers accepted at volume (VoucherDesk), and the services
 * wired on one database (Services). Rows read by column name in RentalRow.
 */
package io.edgerent.hub.rental;
