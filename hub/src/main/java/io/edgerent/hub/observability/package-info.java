/**
 * What an operator watches: /metrics and /health, the counters every adapter reports to, what log lines are about.
 */
package io.edgerent.hub.observability;
