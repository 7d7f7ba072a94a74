package io.edgerent.hub;

import io.edgerent.hub.config.ConfigFile;
import io.edgerent.hub.config.HubConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where {@code edgerent hub} takes its settings from besides the command line: the environment ({@code
 * EDGERENT_HUB_*}) and the settings file ({@link ConfigFile}); what is wrong in that file, line by line; and the file
 * {@code --print-config} writes from the options' own help and defaults.
 */
final class HubSettings {
    private static final String ENV_PREFIX = "EDGERENT_HUB_";

    private HubSettings() {}

    /** The settings file named by --config (also --config=FILE) or by EDGERENT_HUB_CONFIG, before picocli reads the rest. */
    static Path configPath(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        String fromEnvironment = System.getenv(ENV_PREFIX + "CONFIG");
        return fromEnvironment == null || fromEnvironment.isEmpty() ? null : Path.of(fromEnvironment);
    }

    /**
     * What is wrong in the settings file, each with its line: lines that are not settings, names no option has,
     * values an option does not take or the hub refuses (each checked alone, so that every one is found).
     */
    static List<String> problems(ConfigFile settings) {
        List<String> problems = new ArrayList<>(settings.problems());
        CommandSpec spec = new CommandLine(new HubMain()).getCommandSpec();
        for (ConfigFile.Entry entry : settings.entries().values()) {
            String where = settings.where(entry) + ": " + entry.name();
            OptionSpec option = spec.findOption("--" + entry.name());
            if (option == null
                    || NOT_SETTINGS.contains(option.longestName())
                    || !option.longestName().equals("--" + entry.name())) {
                problems.add(where + ": no such setting" + nearest(entry.name(), spec));
                continue;
            }
            if (entry.value().isEmpty()) {
                continue;
            }
            CommandLine alone = HubMain.commandLine(new HubMain(), new Defaults(ConfigFile.none(), false), System.err);
            try {
                alone.parseArgs("--" + entry.name(), entry.value());
                HubMain.checked(alone.getCommand());
            } catch (CommandLine.ParameterException | IllegalArgumentException | IllegalStateException e) {
                problems.add(where + ": " + e.getMessage());
            }
        }
        return problems;
    }

    static final Set<String> NOT_SETTINGS =
            Set.of("--config", "--check-config", "--print-config", "--help", "--version");

    /** " (did you mean fee-bps?)" when a setting's name is one or two letters off. */
    private static String nearest(String name, CommandSpec spec) {
        return spec.options().stream()
                .map(o -> o.longestName().substring(2))
                .filter(n -> !NOT_SETTINGS.contains("--" + n) && distance(n, name) <= 2)
                .findFirst()
                .map(n -> " (did you mean " + n + "?)")
                .orElse("");
    }

    private static int distance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(
                        Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }

    /** A settings file: every setting's help as comments, then the setting commented out with its default. */
    static String settingsFile(CommandSpec spec) {
        Defaults defaults = new Defaults(ConfigFile.none(), false);
        StringBuilder text = new StringBuilder("""
                # edgerent hub settings: one "name = value" per line; a line starting with # is a comment, and an
                # empty value leaves the setting at its default. The environment (EDGERENT_HUB_FEE_BPS for
                # fee-bps) and the command line win over this file. Check it: edgerent hub --config FILE --check-config
                """);
        for (OptionSpec option : spec.options()) {
            if (NOT_SETTINGS.contains(option.longestName())) {
                continue;
            }
            String value = Objects.requireNonNullElse(defaults.defaultValue(option), "");
            String help = String.join(" ", option.description()).replace(" (default " + value + ")", "");
            text.append('\n');
            wrap(help, 100).forEach(line -> text.append("# ").append(line).append('\n'));
            text.append(("#" + option.longestName().substring(2) + " = " + value).strip())
                    .append('\n');
        }
        return text.toString();
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split("\\s+")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.length() > 0 ? " " : "").append(word);
        }
        lines.add(line.toString());
        return lines;
    }

    /** An option's value from the environment (EDGERENT_HUB_NAME), else the settings file, else HubConfig's default. */
    static final class Defaults implements IDefaultValueProvider {
        private static final HubConfig DEFAULTS = HubConfig.builder().build();
        private static final Map<String, Function<HubConfig, Object>> OF_CONFIG = Map.ofEntries(
                Map.entry("--data", HubConfig::dataDir),
                Map.entry("--bind", HubConfig::bindAddress),
                Map.entry("--coaps-port", HubConfig::coapsPort),
                Map.entry("--coap-port", HubConfig::coapPort),
                Map.entry("--ssh-port", HubConfig::sshPort),
                Map.entry("--metrics", c -> c.metricsBind() + ":" + c.metricsPort()),
                Map.entry("--tunnel-ports", c -> c.tunnelPortMin() + "-" + c.tunnelPortMax()),
                Map.entry("--http-port", HubConfig::httpPort),
                Map.entry("--https-port", HubConfig::httpsPort),
                Map.entry("--domain", HubConfig::domain),
                Map.entry("--fee-bps", HubConfig::feeBasisPoints),
                Map.entry("--payment-grace", c -> c.paymentGrace().toSeconds()),
                Map.entry("--suspend-limit", c -> c.suspendLimit().toSeconds()),
                Map.entry("--federation-refresh", c -> c.federationRefresh().toSeconds()));

        private final ConfigFile settings;
        private final boolean environment;

        /** The environment and HubConfig's defaults: what a subcommand's annotation names; run() sets the file's. */
        Defaults() {
            this(ConfigFile.none(), true);
        }

        Defaults(ConfigFile settings, boolean environment) {
            this.settings = settings;
            this.environment = environment;
        }

        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec option)
                    || option.usageHelp()
                    || option.versionHelp()
                    || "restore".equals(option.command().name())) {
                return null; // where a restore goes is the operator's to say, never the running hub's --data
            }
            String name = option.longestName();
            String fromEnvironment = environment
                    ? System.getenv(
                            ENV_PREFIX + name.substring(2).replace('-', '_').toUpperCase(Locale.ROOT))
                    : null;
            if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
                return fromEnvironment;
            }
            ConfigFile.Entry fromFile = settings.entries().get(name.substring(2));
            if (fromFile != null && !fromFile.value().isEmpty() && !NOT_SETTINGS.contains(name)) {
                return fromFile.value();
            }
            Function<HubConfig, Object> of = OF_CONFIG.get(name);
            return of == null ? null : String.valueOf(of.apply(DEFAULTS));
        }
    }
}
