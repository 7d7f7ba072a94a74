/**
 * Threads that do not keep the hub's JVM alive. Below everything; imports nothing of the hub.
 */
package io.edgerent.hub.threads;
