/** What the hub's tests share: a clock moved by hand, a hub on free ports, two hubs on one PostgreSQL. */
package io.edgerent.hub.testing;
