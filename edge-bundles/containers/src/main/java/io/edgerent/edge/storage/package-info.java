/** Encrypted storage for rentals, and its crypto-erase; the backends stay behind it. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package io.edgerent.edge.storage;
