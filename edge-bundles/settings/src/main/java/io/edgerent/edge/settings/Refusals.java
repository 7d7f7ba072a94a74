package io.edgerent.edge.settings;

/** Collects every problem with a component's new settings, so the owner sees them all at once. */
public final class Refusals {
    private final String component;
    private final StringBuilder problems = new StringBuilder();
    private int count;

    /** Settings refused, with how many problems they had. */
    public static final class Refused extends IllegalArgumentException {
        public final int problems;

        Refused(String message, int problems) {
            super(message);
            this.problems = problems;
        }
    }

    /** {@code component} names the settings in the message, as in "containers settings refused: …". */
    public Refusals(String component) {
        this.component = component;
    }

    /** A number that must lie within [min, max]; {@code why} (may be null) explains a bound that comes from this machine. */
    public Refusals within(String what, long value, long min, long max, String unit, String why) {
        if (value < min || value > max) {
            add(what + " must be from " + min + " to " + max + " " + unit + (why == null ? "" : " (" + why + ")")
                    + ", got " + value);
        }
        return this;
    }

    public Refusals require(boolean ok, String problem) {
        if (!ok) {
            add(problem);
        }
        return this;
    }

    private void add(String problem) {
        count++;
        problems.append(problems.length() == 0 ? " " : "; ").append(problem);
    }

    /** Throws IllegalArgumentException naming every problem, if there is one. */
    public void throwIfAny() {
        if (problems.length() > 0) {
            throw new Refused(component + " settings refused:" + problems, count);
        }
    }
}
