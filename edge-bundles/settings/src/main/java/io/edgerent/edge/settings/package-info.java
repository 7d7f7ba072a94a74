/** How every edgerent component takes the owner's settings. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package io.edgerent.edge.settings;
