/**
 * Owners' devices: registration with one-time tokens, tunnel ports, where each tunnel is held, heartbeats and
 * online time, the key devices pin. Rows read by column name in DeviceRow.
 */
package io.edgerent.hub.device;
