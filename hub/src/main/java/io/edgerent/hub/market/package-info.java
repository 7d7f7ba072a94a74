/**
 * What renters search the market with: the filter over listings the pages and the command line apply.
 */
package io.edgerent.hub.market;
