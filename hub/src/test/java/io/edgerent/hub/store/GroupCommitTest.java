package io.edgerent.hub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.protocol.ErrorCode;
import io.edgerent.protocol.RefusedException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GroupCommit} on the embedded database: what it gathers into one commit, and what it keeps apart. */
class GroupCommitTest {
    @TempDir
    Path dir;

    @Test
    void requestsArrivingOneAtATimeShareACommit() throws Exception {
        try (Database db = Database.embedded(dir);
                GroupCommit commits = new GroupCommit(new Sql(db))) {
            Sql sql = new Sql(db);
            sql.transaction(() -> sql.update("CREATE TABLE piece (n INT PRIMARY KEY)"));
            List<CompletableFuture<Integer>> answers = new ArrayList<>();
            // Spread out as a fleet's requests are: without the gathering each would be a commit of its own.
            for (int n = 0; n < GroupCommit.GATHER; n++) {
                answers.add(commits.submit(insert(db, n)));
                Thread.sleep(1);
            }
            for (CompletableFuture<Integer> answer : answers) {
                assertEquals(1, answer.get(10, TimeUnit.SECONDS));
            }
            assertEquals(GroupCommit.GATHER, commits.pieces());
            // One commit; a few more if this loaded machine stalled the loop above for the gathering time (a full
            // test run beside a build made it three); without the gathering it would be one per piece.
            assertTrue(
                    commits.commits() <= GroupCommit.GATHER / 2,
                    commits.commits() + " commits for " + GroupCommit.GATHER + " pieces");
            assertEquals(GroupCommit.GATHER, count(db));
        }
    }

    @Test
    void clientsWaitingForTheirAnswersDoNotWaitOutTheGatheringEachTime() throws Exception {
        try (Database db = Database.embedded(dir);
                GroupCommit commits = new GroupCommit(new Sql(db))) {
            Sql setup = new Sql(db);
            setup.transaction(() -> setup.update("CREATE TABLE piece (n INT PRIMARY KEY)"));
            int rounds = 200;
            long started = System.nanoTime();
            // Two clients, each sending its next piece once the last is answered: fewer than GATHER ever wait.
            CompletableFuture<?>[] clients = new CompletableFuture<?>[2];
            for (int c = 0; c < clients.length; c++) {
                int client = c;
                clients[c] = CompletableFuture.runAsync(() -> {
                    for (int k = 0; k < rounds; k++) {
                        commits.submit(insert(db, k * 2 + client)).join();
                    }
                });
            }
            CompletableFuture.allOf(clients).get(60, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(2 * rounds, count(db));
            // Waiting out the gathering time each round would take rounds * GATHER_MILLIS = 2 s at least.
            assertTrue(millis < rounds * GroupCommit.GATHER_MILLIS / 2, millis + " ms for " + rounds + " rounds");
        }
    }

    @Test
    void aLonePieceIsCommittedWithoutWaitingForOthers() throws Exception {
        try (Database db = Database.embedded(dir);
                GroupCommit commits = new GroupCommit(new Sql(db))) {
            Sql setup = new Sql(db);
            setup.transaction(() -> setup.update("CREATE TABLE piece (n INT PRIMARY KEY)"));
            assertEquals(1, commits.submit(insert(db, 1)).get(10, TimeUnit.SECONDS));
            assertEquals(1, commits.commits());
            assertEquals(1, count(db));
        }
    }

    @Test
    void aRefusedPieceLeavesNoTraceAndTheOthersOfItsCommitStand() throws Exception {
        try (Database db = Database.embedded(dir);
                GroupCommit commits = new GroupCommit(new Sql(db))) {
            Sql setup = new Sql(db);
            setup.transaction(() -> setup.update("CREATE TABLE piece (n INT PRIMARY KEY)"));
            CompletableFuture<Integer> first = commits.submit(insert(db, 1));
            CompletableFuture<Integer> refused = commits.submit(() -> {
                insert(db, 2).run();
                throw new RefusedException(ErrorCode.CONFLICT, "no");
            });
            CompletableFuture<Integer> third = commits.submit(insert(db, 3));
            assertEquals(1, first.get(10, TimeUnit.SECONDS));
            assertEquals(1, third.get(10, TimeUnit.SECONDS));
            ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof RefusedException, e.toString());
            assertEquals(2, count(db));
        }
    }

    @Test
    void onPostgresAPieceThatFailedInTheDatabaseLeavesNoTraceAndTheOthersOfItsCommitStand() throws Exception {
        // PostgreSQL refuses every statement of a transaction after one failed, until it is rolled back to a
        // savepoint: the piece's own savepoint is what lets the rest of the commit go on.
        try (Postgres server = Postgres.start();
                Database db = Database.postgres(server.newDatabase())) {
            Sql sql = new Sql(db);
            GroupCommit commits = new GroupCommit(sql);
            sql.transaction(() -> sql.update("CREATE TABLE piece (n INT PRIMARY KEY)"));
            Sql.Work<Integer> duplicate = () -> {
                sql.update("INSERT INTO piece VALUES (2)");
                return sql.update("INSERT INTO piece VALUES (1)");
            };
            List<CompletableFuture<Integer>> answers = List.of(
                    commits.submit(() -> sql.update("INSERT INTO piece VALUES (1)")),
                    commits.submit(duplicate),
                    commits.submit(() -> sql.update("INSERT INTO piece VALUES (3)")));
            assertEquals(1, answers.get(0).get(10, TimeUnit.SECONDS));
            ExecutionException e =
                    assertThrows(ExecutionException.class, () -> answers.get(1).get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof Sql.DatabaseException, e.toString());
            assertEquals(1, answers.get(2).get(10, TimeUnit.SECONDS));
            assertEquals(
                    List.of(1L, 3L),
                    sql.transaction(() -> sql.all("SELECT n FROM piece ORDER BY n").stream()
                            .map(r -> r.integer(1))
                            .toList()));
            commits.close();
        }
    }

    private static Sql.Work<Integer> insert(Database db, int n) {
        return () -> {
            try (PreparedStatement s = db.connection().prepareStatement("INSERT INTO piece VALUES (?)")) {
                s.setInt(1, n);
                return s.executeUpdate();
            } catch (SQLException e) {
                throw new Sql.DatabaseException(e);
            }
        };
    }

    private static int count(Database db) throws Exception {
        try (ResultSet r = db.connection().createStatement().executeQuery("SELECT COUNT(*) FROM piece")) {
            r.next();
            return r.getInt(1);
        }
    }
}
