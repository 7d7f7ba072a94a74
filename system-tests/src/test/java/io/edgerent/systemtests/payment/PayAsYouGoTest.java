package io.edgerent.systemtests.payment;

import static io.edgerent.systemtests.support.World.awaitTrue;
import static io.edgerent.systemtests.support.World.containersOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pay as you go with every real part: stop paying and Docker shows the container paused; pay again and it runs. */
class PayAsYouGoTest {
    static final long PER_HOUR = 36_000; // 10 units a second
    static final long FEE_BPS = 500;

    @TempDir
    Path dir;

    @Test
    void stopping_payment_pauses_the_container_paying_resumes_it_and_the_end_settles_to_the_unit() throws Exception {
        try (World world = new World(dir)) {
            String device =
                    world.registeredDevice("--price-per-hour", String.valueOf(PER_HOUR), "--usage-seconds", "5");
            awaitTrue(
                    Duration.ofSeconds(20),
                    "the price on the listing",
                    () -> world.cli(dir, "market").out().contains(String.valueOf(PER_HOUR)));
            Renter renter = world.renter("rita");
            world.depositFor(renter, 100_000);

            World.Result tooDear = world.cli(
                    renter.home, "rent", device, "--key", renter.key + ".pub", "--max-price", "35999", "--detach");
            assertEquals(1, tooDear.code());
            assertTrue(tooDear.err().contains("above your maximum of 35999"), tooDear.err());

            World.Result rented = world.cli(
                            renter.home,
                            "rent",
                            device,
                            "--key",
                            renter.key + ".pub",
                            "--deposit",
                            "20000",
                            "--pay-every",
                            "1",
                            "--detach")
                    .assertOk();
            String rental = Renter.rentalName(rented);
            String container = containersOf(rental).get(0);
            assertEquals("balance: 80000", line(world.cli(renter.home, "wallet").out(), "balance: "));

            Process payer = payer(world, renter, rental);
            awaitTrue(
                    Duration.ofSeconds(30),
                    "vouchers to be accepted",
                    () -> channel(world, renter, rental).get("paid") > 0);
            renter.ssh(rental, "true").assertOk();

            payer.destroyForcibly(); // the renter's client dies: no more vouchers
            payer.waitFor(10, TimeUnit.SECONDS);
            awaitTrue(Duration.ofSeconds(60), "Docker to show the container paused", () -> paused(container));
            assertNotEquals(0, renter.ssh(rental, "true").code(), "no ssh while paused");

            Process payerAgain = payer(world, renter, rental);
            awaitTrue(Duration.ofSeconds(60), "Docker to show the container running again", () -> !paused(container));
            awaitTrue(
                    Duration.ofSeconds(30),
                    "ssh to work again",
                    () -> renter.ssh(rental, "true").code() == 0);
            payerAgain.destroyForcibly();
            payerAgain.waitFor(10, TimeUnit.SECONDS);

            World.Result ended = renter.end(rental).assertOk();
            Map<String, Long> settled = channel(world, renter, rental);
            long charge = Math.min(settled.get("paid"), settled.get("due"));
            long fee = charge * FEE_BPS / 10_000;
            assertTrue(charge > 0, "something was paid");
            assertTrue(
                    ended.out()
                            .contains("owner " + (charge - fee) + ", hub fee " + fee + ", refunded to you "
                                    + (20_000 - charge)),
                    ended.out());
            assertEquals(
                    "balance: " + (100_000 - charge),
                    line(world.cli(renter.home, "wallet").out(), "balance: "));
            String earnings = world.cli(
                            dir,
                            "earnings",
                            "--owner",
                            "alice",
                            "--admin-secret",
                            dir.resolve("hub/admin.secret").toString())
                    .assertOk()
                    .out();
            assertEquals("balance: " + (charge - fee), line(earnings, "balance: "));
            assertTrue(earnings.contains(device), earnings);
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the container to be gone",
                    () -> containersOf(rental).isEmpty());
        }
    }

    private static Process payer(World world, Renter renter, String rental) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                        "java",
                        "-jar",
                        World.CLIENT_JAR.toString(),
                        "pay",
                        rental,
                        "--pay-every",
                        "1",
                        "--hub",
                        world.hubUri)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        world.dir.resolve("payer.log").toFile()));
        pb.environment().put("EDGERENT_HOME", renter.home.toString());
        return pb.start();
    }

    private static boolean paused(String container) {
        return World.run(Duration.ofSeconds(20), "docker", "inspect", "-f", "{{.State.Paused}}", container)
                .out()
                .strip()
                .equals("true");
    }

    /** The channel as `edgerent rentals`-style numbers, read through the renter's own signed request. */
    private static Map<String, Long> channel(World world, Renter renter, String rental) {
        String out = world.cli(renter.home, "status", rental).out();
        Matcher m = Pattern.compile("due (\\d+) \\| paid (\\d+)").matcher(out);
        if (!m.find()) {
            throw new AssertionError("no channel status in: " + out);
        }
        return Map.of("due", Long.parseLong(m.group(1)), "paid", Long.parseLong(m.group(2)));
    }

    private static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse("(no line " + prefix + ")");
    }
}
