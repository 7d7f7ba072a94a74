/**
 * The HTTP router: a rental's subdomain goes through its device's HTTP tunnel, any other host to the hub's own
 * pages; framing, limits per address, and what each rental sent out.
 */
package io.edgerent.hub.router.http;
