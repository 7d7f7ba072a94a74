package io.edgerent.edge.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JournalPrioritiesTest {
    @Test
    void each_slf4j_simple_line_gets_the_syslog_priority_of_its_level() {
        String at = "2026-12-04T21:00:00.000+0000 [main] ";
        assertEquals("<3>", JournalPriorities.priority(at + "ERROR io.edgerent.edge.agent.Governor - not talking"));
        assertEquals("<4>", JournalPriorities.priority(at + "WARN io.edgerent.edge.agent.Governor - will retry"));
        assertEquals("<6>", JournalPriorities.priority(at + "INFO io.edgerent.edge.agent.Governor - registered"));
        assertEquals("<7>", JournalPriorities.priority(at + "DEBUG x - y"));
        // A stack trace's lines and the launcher's own messages keep the unit's default priority.
        assertEquals("", JournalPriorities.priority("\tat java.base/java.lang.Thread.run(Thread.java:840)"));
        assertEquals("", JournalPriorities.priority("device running: data /var/lib/edgerent/device"));
        assertEquals("", JournalPriorities.priority(at + "ERRORS are not a level"));
    }
}
