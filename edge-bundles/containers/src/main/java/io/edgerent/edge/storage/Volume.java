package io.edgerent.edge.storage;

import java.nio.file.Path;

/** A rental's volume, unlocked: the directory its container sees at /data, and how it is encrypted. */
public record Volume(String rental, Path dataDir, String method, long sizeBytes) {}
