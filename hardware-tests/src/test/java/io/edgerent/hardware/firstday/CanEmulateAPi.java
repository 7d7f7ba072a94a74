package io.edgerent.hardware.firstday;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs the virtual Pi where it can run: as root (network namespaces, debootstrap) with qemu-system-aarch64
 * installed (scripts/prereqs.sh installs it). Anywhere else the test is skipped and the reason printed.
 */
public class CanEmulateAPi implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String reason = !"root".equals(System.getProperty("user.name"))
                ? "needs root (a network namespace for the Pi, debootstrap for its image)"
                : !Files.isExecutable(Path.of("/usr/bin/qemu-system-aarch64"))
                        ? "qemu-system-aarch64 is not installed (scripts/prereqs.sh installs qemu-system-arm)"
                        : null;
        if (reason == null) {
            return ConditionEvaluationResult.enabled("qemu-system-aarch64 and root");
        }
        System.out.println("SKIPPED " + context.getDisplayName() + ": " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }
}
