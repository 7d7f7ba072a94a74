/**
 * What the adapters hear once a change committed, on this hub or another on its database: a device's new
 * assignment, a rental renters must lose access to. Typed listeners; the strings are only the database's.
 */
package io.edgerent.hub.events;
