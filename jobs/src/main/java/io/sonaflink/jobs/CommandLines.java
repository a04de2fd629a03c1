package io.sonaflink.jobs;

import picocli.CommandLine;

/** How the project's entry points read their command lines: help, and one-line usage errors. */
public final class CommandLines {

    /** The exit status of a usage error. */
    public static final int USAGE_ERROR = 2;

    private CommandLines() {}

    /**
     * Parses {@code args} into {@code command} (a picocli {@code @Command}). Returns false when help
     * or the version was asked for and printed: there is nothing to run. On a usage error prints
     * one line naming the problem and exits with {@link #USAGE_ERROR}.
     */
    public static boolean parse(Object command, String[] args) {
        CommandLine line = new CommandLine(command);
        try {
            line.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println(line.getCommandName() + ": " + reason(e) + " (--help lists the options)");
            System.exit(USAGE_ERROR);
        }
        if (line.isVersionHelpRequested()) {
            line.printVersionHelp(System.out);
            return false;
        }
        if (line.isUsageHelpRequested()) {
            line.usage(System.out);
            return false;
        }
        return true;
    }

    /**
     * Runs {@code command} with {@code args} and exits the JVM with its status: 0 after help, 2 on
     * a usage error, 1 when it throws (with the cause printed). Exiting matters: a MiniCluster's
     * threads would keep the JVM alive.
     */
    public static void runAndExit(java.util.concurrent.Callable<Integer> command, String[] args) {
        if (!parse(command, args)) {
            System.exit(0);
        }
        int status;
        try {
            status = command.call();
        } catch (Throwable t) {
            t.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    /** {@code command}'s help as {@code --help} prints it, without colours. */
    public static String usage(Object command) {
        return new CommandLine(command).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    /** What an option's own check said, rather than how picocli called it. */
    static String reason(CommandLine.ParameterException e) {
        String message = e.getMessage();
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof IllegalArgumentException) {
                message = c.getMessage();
            }
        }
        return message;
    }
}
