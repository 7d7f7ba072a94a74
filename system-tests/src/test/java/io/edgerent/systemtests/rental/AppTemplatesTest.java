package io.edgerent.systemtests.rental;

import static io.edgerent.systemtests.support.Curl.curl;
import static io.edgerent.systemtests.support.World.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app templates, rented and used for real: the static web server through the hub's router with
 * curl, and the file host (upload, download, share link, quota, password) with its downloads billed
 * per GB while the renter pays as they go with `edgerent pay`.
 */
class AppTemplatesTest {
    @TempDir
    Path dir;

    @Test
    void web_template_serves_data_www_and_a_template_the_device_does_not_offer_is_refused() throws Exception {
        try (World world = new World(dir)) {
            String device = world.registeredDevice("--templates", "base,web");
            assertTrue(
                    world.cli(dir, "market").out().contains(" base,web "),
                    world.cli(dir, "market").out());
            Renter renter = world.renter("wendy");

            World.Result refused = renter.rent(device, "--template", "files");
            assertEquals(1, refused.code(), refused.out() + refused.err());
            assertTrue(refused.err().contains("does not offer the files template (it offers base,web)"), refused.err());
            World.Result unknown = renter.rent(device, "--template", "wordpress");
            assertEquals(2, unknown.code());
            assertTrue(unknown.err().contains("--template takes base, web or files, got 'wordpress'"), unknown.err());

            World.Result rented = renter.rent(device, "--template", "web").assertOk();
            String rental = Renter.rentalName(rented);
            assertTrue(rented.out().contains("template: web"), rented.out());
            String page = "http://" + rental + ".localhost:" + world.httpPort + "/";
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the web template's server to answer through the router",
                    () -> curl("-s", page).out().contains("This rental's web server is up"));

            // The renter publishes through ssh, as they would with scp or rsync.
            renter.ssh(
                            rental,
                            "printf '<h1>wendy was here</h1>\\n' > /data/www/index.html && mkdir -p /data/www/docs"
                                    + " && echo notes > /data/www/docs/a.txt")
                    .assertOk();
            assertEquals("<h1>wendy was here</h1>\n", curl("-s", page).out());
            assertEquals("notes\n", curl("-s", page + "docs/a.txt").out());
            assertEquals(
                    "404",
                    curl("-s", "-o", "/dev/null", "-w", "%{http_code}", page + "missing.html")
                            .out());
            World.Result rentals = world.cli(renter.home, "rentals").assertOk();
            assertTrue(rentals.out().contains(" web "), rentals.out());
            renter.end(rental).assertOk();
        }
    }

    @Test
    void file_host_uploads_downloads_shares_keeps_its_quota_and_bills_downloads_per_gb() throws Exception {
        try (World world = new World(dir)) {
            // 1,000,000 per GB is 1 per kB; 16 MiB of storage make a quota of 16 MB.
            String device = world.registeredDevice(
                    "--price-per-hour",
                    "3600",
                    "--price-per-gb",
                    "1000000",
                    "--usage-seconds",
                    "5",
                    "--storage-mib",
                    "16");
            Renter renter = world.renter("fred");
            world.depositFor(renter, 1_000_000);
            World.Result rented = renter.rent(device, "--template", "files", "--deposit", "500000", "--pay-every", "1")
                    .assertOk();
            String rental = Renter.rentalName(rented);
            Matcher shown = Pattern.compile("files: (\\S+) \\(user renter, password (\\S+), kept in (\\S+)\\)")
                    .matcher(rented.out());
            assertTrue(shown.find(), rented.out());
            String base = shown.group(1).replace(World.DOMAIN, "localhost");
            String password = shown.group(2);
            Path kept = Path.of(shown.group(3));
            assertEquals(password, Files.readString(kept).strip());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(kept)));
            assertFalse(world.deviceLog().contains(password), "the device never sees the password");
            CompletableFuture<World.Result> paying =
                    CompletableFuture.supplyAsync(() -> world.cli(renter.home, "pay", rental, "--pay-every", "1"));

            String auth = "renter:" + password;
            awaitTrue(
                    Duration.ofSeconds(30),
                    "the file host to answer through the router",
                    () -> code("-u", auth, base).equals("200"));
            assertEquals("401", code(base), "no password");
            assertEquals("401", code("-u", "renter:wrong", base), "a wrong password");
            assertEquals(
                    "401", code("-u", "renter:wrong", "-T", "/etc/hostname", base + "files/x"), "no upload without it");

            Path file = dir.resolve("photo.bin");
            byte[] bytes = new byte[6_000_000];
            new Random(7).nextBytes(bytes);
            Files.write(file, bytes);
            assertEquals("201", code("-u", auth, "-T", file.toString(), base + "files/photo.bin"));
            Path back = dir.resolve("back.bin");
            assertEquals("200", download(back, "-u", auth, base + "files/photo.bin"));
            assertEquals(-1, Files.mismatch(file, back), "downloaded whole");
            assertEquals("400", code("-u", auth, "-T", file.toString(), base + "files/..%2F..%2Fetc%2Fpasswd"));

            World.Result shared = curl("-s", "-u", auth, "-X", "POST", base + "share/photo.bin");
            String link = shared.out().strip().replace(World.DOMAIN, "localhost");
            assertTrue(link.startsWith(base + "s/"), shared.out());
            Path viaLink = dir.resolve("link.bin");
            assertEquals("200", download(viaLink, link), "a share link needs no password");
            assertEquals(-1, Files.mismatch(file, viaLink));

            // The quota: 6 MB stored of 16; 12 more do not fit and change nothing, 6 more do.
            Path big = dir.resolve("big.bin");
            Files.write(big, new byte[12_000_000]);
            World.Result tooBig =
                    curl("-s", "-u", auth, "-w", "\n%{http_code}", "-T", big.toString(), base + "files/big.bin");
            assertTrue(tooBig.out().endsWith("413") && tooBig.out().contains("do not fit"), tooBig.out());
            assertEquals("201", code("-u", auth, "-T", file.toString(), base + "files/copy.bin"));
            String listing = curl("-s", "-u", auth, base + "api/files").out();
            assertTrue(
                    listing.contains("\"used\": 12000000")
                            && listing.contains("\"quota\": 16000000")
                            && !listing.contains("big.bin"),
                    listing);

            // Revoking the link and deleting the file.
            String token = link.substring(link.lastIndexOf('/') + 1);
            assertEquals("204", code("-u", auth, "-X", "DELETE", base + "s/" + token));
            assertEquals("404", code(link));
            assertEquals("204", code("-u", auth, "-X", "DELETE", base + "files/copy.bin"));

            // 12 MB went out through the router (two downloads): at 1 per kB at least 12,000 is due for
            // egress, and the renter's pay loop pays it with its next vouchers.
            awaitTrue(Duration.ofSeconds(40), "12 MB of downloads to be billed and paid", () -> {
                Matcher status = Pattern.compile("due (\\d+) \\| paid (\\d+) .* egress (\\d+) bytes")
                        .matcher(world.cli(renter.home, "status", rental).out());
                return status.find()
                        && Long.parseLong(status.group(3)) >= 12_000_000
                        && Long.parseLong(status.group(2)) >= Long.parseLong(status.group(1));
            });
            renter.end(rental).assertOk();
            World.Result settled = paying.get(60, TimeUnit.SECONDS);
            Matcher split = Pattern.compile(
                            "settled: due (\\d+), paid (\\d+); owner (\\d+), hub fee (\\d+), refunded to you (\\d+)"
                                    + " \\(of deposit 500000\\)")
                    .matcher(settled.out());
            assertTrue(split.find(), settled.out() + settled.err());
            long due = Long.parseLong(split.group(1));
            assertTrue(due >= 12_000, "egress billed: " + settled.out());
            // The end may come a unit of time after the last voucher: what is charged is what was due, at most
            // what the renter signed.
            long charged = Math.min(due, Long.parseLong(split.group(2)));
            assertTrue(due - charged <= 10, "at most the last moments unpaid: " + settled.out());
            assertEquals(
                    charged,
                    Long.parseLong(split.group(3)) + Long.parseLong(split.group(4)),
                    "owner and hub got what was charged: " + settled.out());
            assertEquals(500_000 - charged, Long.parseLong(split.group(5)), "the rest went back to the renter");
        }
    }

    /** The HTTP status curl gets, the body thrown away. */
    private static String code(String... args) {
        return download(Path.of("/dev/null"), args);
    }

    /** The HTTP status curl gets, the body written to {@code to}. */
    private static String download(Path to, String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "-s";
        all[1] = "-o";
        all[2] = to.toString();
        all[3] = "-w%{http_code}";
        System.arraycopy(args, 0, all, 4, args.length);
        return curl(all).out();
    }

    private static long egress(World world, Renter renter, String rental) {
        Matcher m = Pattern.compile("egress (\\d+) bytes")
                .matcher(world.cli(renter.home, "status", rental).out());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
