package io.edgerent.hardware.firstday;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The first day on a Raspberry Pi of a lab ({@link RealLab}: an SD mux, a power switch, a serial console), run
 * by {@code ./edgerent hardware-test} on the machine the Pi is wired to. Skipped, with the reason printed,
 * where the environment names no such lab.
 */
@ExtendWith(RealPiTest.HasALab.class)
class RealPiTest extends FirstDay {
    @Override
    Lab lab(Path dir, Path ownerKey) throws Exception {
        return new RealLab(dir, ownerKey, System.getenv());
    }

    @Override
    String what() {
        return "Pi";
    }

    static final class HasALab implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            String reason = !"root".equals(System.getProperty("user.name"))
                    ? "needs root (writes the Pi's card, a block device)"
                    : RealLab.whyNot(System.getenv());
            if (reason == null) {
                return ConditionEvaluationResult.enabled("a Pi lab: " + System.getenv("EDGERENT_PI_ADDRESS"));
            }
            System.out.println("SKIPPED " + context.getDisplayName() + ": " + reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }
}
