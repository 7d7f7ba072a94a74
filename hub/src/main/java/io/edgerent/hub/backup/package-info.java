/**
 * Backups an operator can trust: the embedded database copied online and consistently, the hub's key and secrets,
 * a manifest with every file's hash; and restoring one into a new data directory, refused when damaged.
 */
package io.edgerent.hub.backup;
