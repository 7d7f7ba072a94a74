/**
 * What an operator watches: /metrics and /health, the counters every adapter reports to, JSON log lines.
 */
package io.edgerent.hub.observability;
