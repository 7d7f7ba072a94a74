/** The tunnels service the agent uses; JSch stays behind it. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package io.edgerent.edge.tunnels;
