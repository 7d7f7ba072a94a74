/** The containers service the agent uses; Docker stays behind it. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package io.edgerent.edge.containers;
