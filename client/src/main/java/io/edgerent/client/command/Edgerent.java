package io.edgerent.client.command;

import io.edgerent.client.HubClient;
import io.edgerent.client.Payer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The {@code edgerent} command line for owners, renters and hub operators: one class per command, each named here once. */
@Command(
        name = "edgerent",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = Edgerent.Version.class,
        usageHelpAutoWidth = true,
        description =
                "Rents out Raspberry Pis and other Docker hosts as small VPSes: talks to a hub for owners, renters and hub operators.",
        subcommands = {
            TokenCommand.class,
            LinkCommand.class,
            MarketCommand.class,
            RentCommand.class,
            PayCommand.class,
            StatusCommand.class,
            WipeCommand.class,
            ExtendCommand.class,
            RentalsCommand.class,
            EndCommand.class,
            WalletCommand.class,
            WebCommand.class,
            EarningsCommand.class
        })
public final class Edgerent implements Callable<Integer> {
    public static final int DONE = 0;
    public static final int REFUSED = 1;
    public static final int USAGE = 2;
    public static final int UNREACHABLE = 3;
    public static final int HUB_FAILED = 4;
    public static final int OVERCHARGED = 5;

    private static final Map<String, String> EXIT_CODES = exitCodes();

    @Spec
    CommandSpec spec;

    private final Context context;

    Edgerent(Context context) {
        this.context = context;
    }

    /** Without a command: what the commands are, on standard error, and the usage exit code. */
    @Override
    public Integer call() {
        context.err().println("edgerent: which command? (edgerent --help lists them)");
        spec.commandLine().usage(context.err());
        return USAGE;
    }

    /** The whole command line, printing to the context's streams, with edgerent's exit codes and errors. */
    public static CommandLine commandLine(Context context) {
        CommandLine cli = new CommandLine(new Edgerent(context), new Factory(context));
        cli.addSubcommand("completion", new AutoComplete.GenerateCompletion());
        CommandLine completion = cli.getSubcommands().get("completion");
        completion
                .getCommandSpec()
                .usageMessage()
                .hidden(false)
                .header("a completion script for bash and zsh")
                .description(
                        "Prints a completion script for bash and zsh. Install it with:",
                        "  edgerent completion > /etc/bash_completion.d/edgerent",
                        "or for the current shell (in zsh, after autoload -U +X bashcompinit && bashcompinit):",
                        "  source <(edgerent completion)");
        // As before picocli, an option given twice takes its last value (scripts append --hub to what they were given).
        cli.setOverwrittenOptionsAllowed(true);
        cli.setOut(new PrintWriter(context.out(), true));
        cli.setErr(new PrintWriter(context.err(), true));
        describeExits(cli);
        cli.setParameterExceptionHandler((e, args) -> {
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            context.err().println(name + ": " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, context.err());
            context.err().println("(" + name + " --help says how to use it)");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            String name = command.getCommandSpec().qualifiedName();
            if (e instanceof UsageException) {
                context.err().println(name + ": " + e.getMessage());
                return USAGE;
            }
            if (e instanceof HubClient.HubRefusedException refused) {
                context.err().println(name + ": refused: " + e.getMessage());
                return refused.codeClass == 5 ? HUB_FAILED : REFUSED;
            }
            if (e instanceof HubClient.HubUnreachableException) {
                context.err().println(name + ": " + e.getMessage());
                return UNREACHABLE;
            }
            if (e instanceof Payer.Overcharged) {
                context.err().println(name + ": stopped paying: " + e.getMessage());
                return OVERCHARGED;
            }
            throw e;
        });
        return cli;
    }

    private static void describeExits(CommandLine command) {
        command.getCommandSpec()
                .usageMessage()
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(EXIT_CODES)
                .footerHeading("%n")
                .footer("Files live under $EDGERENT_HOME (default ~/.edgerent).");
        command.getSubcommands().values().forEach(Edgerent::describeExits);
    }

    private static Map<String, String> exitCodes() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(" " + DONE, "done");
        codes.put(" " + REFUSED, "the hub refused (the message says why)");
        codes.put(" " + USAGE, "wrong use of the command");
        codes.put(" " + UNREACHABLE, "the hub did not answer");
        codes.put(" " + HUB_FAILED, "the hub failed");
        codes.put(
                " " + OVERCHARGED, "stopped paying: the hub asked for more than you agreed to (the message says what)");
        return codes;
    }

    /** Commands get the context through their constructor; picocli's own classes are made as usual. */
    private record Factory(Context context) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            try {
                Constructor<K> constructor = type.getDeclaredConstructor(Context.class);
                constructor.setAccessible(true);
                return constructor.newInstance(context);
            } catch (NoSuchMethodException none) {
                return CommandLine.defaultFactory().create(type);
            }
        }
    }

    /** The version this jar was built as (Maven's project version). */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Edgerent.class.getResourceAsStream("/io/edgerent/client/version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"edgerent " + p.getProperty("version", "unknown")};
        }
    }
}
