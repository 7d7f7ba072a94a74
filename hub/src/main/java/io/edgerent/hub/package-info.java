/**
 * The hub, wired together (Hub) and started from the command line (HubMain). Below it, adapters (api.coap,
 * gateway.ssh, router.http, web, observability) call services (identity, account, payment, market, rental,
 * federation), which use the store; LayeringTest keeps that direction.
 */
package io.edgerent.hub;
