package io.edgerent.hardware;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test only on a Raspberry Pi running as root (the device tree says "Raspberry Pi", the CPU
 * is aarch64); anywhere else the test is skipped and the reason is printed, so a skip is never silent.
 */
public class OnRaspberryPi implements ExecutionCondition {
    static final Path MODEL = Path.of("/proc/device-tree/model");

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            return ConditionEvaluationResult.enabled("checked per test");
        }
        String reason = whyNot();
        if (reason == null) {
            return ConditionEvaluationResult.enabled("on " + model());
        }
        String test = context.getRequiredTestClass().getSimpleName() + "."
                + context.getRequiredTestMethod().getName();
        System.out.println("SKIPPED " + test + ": " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }

    /** Why this machine is not one the hardware tests run on, or null when it is. */
    static String whyNot() {
        String arch = System.getProperty("os.arch");
        if (!model().startsWith("Raspberry Pi")) {
            return "not a Raspberry Pi (" + MODEL + ": " + (Files.exists(MODEL) ? "'" + model() + "'" : "missing")
                    + "; CPU " + arch + "); run ./edgerent hardware-test on the Pi";
        }
        if (!arch.equals("aarch64")) {
            return "the Pi runs a " + arch + " system; edgerent needs the 64-bit Raspberry Pi OS (aarch64)";
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return "needs root (Docker engine, dm-crypt, network interfaces): run as root";
        }
        return null;
    }

    static String model() {
        try {
            return new String(Files.readAllBytes(MODEL), StandardCharsets.UTF_8)
                    .replace("\0", "")
                    .strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** The value of a required environment variable, or a skip (printed) naming what to set. */
    static String requireEnv(String name, String what) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            String reason = "set " + name + " to " + what;
            System.out.println("SKIPPED: " + reason);
            org.junit.jupiter.api.Assumptions.abort(reason);
        }
        return value;
    }
}
