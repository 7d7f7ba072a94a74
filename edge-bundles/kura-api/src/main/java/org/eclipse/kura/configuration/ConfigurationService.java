package org.eclipse.kura.configuration;

import java.util.Map;
import org.eclipse.kura.KuraException;

/**
 * Stand-in for the one method of Kura's {@code ConfigurationService} our components call: Kura keeps its snapshots
 * of what was applied through it, and pushes the latest one back at every start, so a setting written back without
 * it (straight to ConfigAdmin) is forgotten at the next reboot. Same package and name as Kura's.
 */
public interface ConfigurationService {
    void updateConfiguration(String pid, Map<String, Object> properties) throws KuraException;
}
