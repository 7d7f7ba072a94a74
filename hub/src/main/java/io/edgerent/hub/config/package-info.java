/**
 * The hub's settings (HubConfig) with their defaults and bounds, as the command line and the tests build them.
 */
package io.edgerent.hub.config;
