/** What the hub's tests share: a clock moved by hand. */
package io.edgerent.hub.testing;
