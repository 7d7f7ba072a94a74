package io.edgerent.systemtests.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.edgerent.systemtests.support.Renter;
import io.edgerent.systemtests.support.World;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The marketplace pages in a real browser (Debian's headless Chromium, driven through chromium-driver):
 * a renter signs up, filters the market, rents with a key the page makes, pays from the page, reaches
 * the container with the ssh command the page shows, extends, ends and reads the wipe record; the
 * owner signs up with an invitation and sees the dashboard. Another account's rental is not found,
 * and a form without its token changes nothing. Screenshots of each page go to target/screenshots.
 */
class WebMarketplaceTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = World.ROOT.resolve("system-tests/target/screenshots");

    @TempDir
    Path dir;

    World world;
    final List<WebDriver> browsers = new ArrayList<>();
    final HttpClient http =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeEach
    void start() throws IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail(
                    "headless Chromium is missing: apt-get install chromium chromium-driver (or run ./edgerent test as root)");
        }
        Files.createDirectories(SHOTS);
        world = new World(dir);
    }

    @AfterEach
    void stop() throws Exception {
        browsers.forEach(WebDriver::quit);
        world.close();
    }

    @Test
    void a_renter_rents_pays_reaches_extends_and_ends_in_the_browser_and_the_owner_sees_it_on_the_dashboard()
            throws Exception {
        String device = world.registeredDevice("--price-per-hour", "3600", "--region", "Berlin (eu-test)");
        String site = "http://127.0.0.1:" + world.httpPort;

        WebDriver renter = browser(1280, 900);
        renter.get(site + "/signup");
        shot(renter, "signup");
        renter.findElement(By.id("name")).sendKeys("rita");
        renter.findElement(By.id("password")).sendKeys("a long passphrase");
        renter.findElement(By.id("password2")).sendKeys("a long passphrase");
        renter.findElement(By.cssSelector("form.account button")).click();
        awaitText(renter, By.tagName("h1"), "Devices for rent");

        // The market: the device is listed with its region and uptime, and filters show or hide it.
        WebElement row = renter.findElement(By.cssSelector("tr[data-device='" + device + "']"));
        assertTrue(row.getText().contains("Berlin (eu-test)"), row.getText());
        assertTrue(row.getText().contains("free"), row.getText());
        new Select(renter.findElement(By.id("sort"))).selectByValue("cpus");
        renter.findElement(By.id("minCpus")).sendKeys("4096");
        renter.findElement(By.cssSelector("form.filters button")).click();
        awaitText(renter, By.id("count"), "0 of 1 devices");
        renter.get(site + "/?region=berlin&template=web&maxPrice=3600&minUptime=1&free=1");
        awaitText(renter, By.id("count"), "1 of 1 devices");
        renter.get(site + "/?minCpus=lots");
        assertTrue(
                renter.findElement(By.cssSelector("p.error")).getText().contains("Minimum CPUs"),
                "a bad filter is named");
        renter.get(site + "/?region=berlin");
        shot(renter, "market");
        phoneShot(site + "/?region=berlin", "market-phone");

        // Money in the wallet, as the hub operator records a payment received.
        renter.get(site + "/rentals");
        String wallet = renter.findElement(By.id("walletAccount")).getText();
        world.cli(
                        dir,
                        "wallet",
                        "deposit",
                        wallet,
                        "100000",
                        "--ref",
                        "bank-rita",
                        "--admin-secret",
                        dir.resolve("hub/admin.secret").toString())
                .assertOk();

        // Rent from the device page with an OpenSSH key.
        Renter keys = world.renter("rita");
        renter.findElement(By.linkText("Market")).click();
        renter.findElement(By.linkText(device)).click();
        awaitText(renter, By.tagName("h1"), "Device " + device);
        new WebDriverWait(renter, Duration.ofSeconds(10))
                .until(d -> !d.findElement(By.id("voucherKey"))
                        .getAttribute("value")
                        .isEmpty());
        WebElement hours = renter.findElement(By.id("hours"));
        hours.clear();
        hours.sendKeys("2");
        renter.findElement(By.id("sshKey"))
                .sendKeys(Files.readString(keys.key.resolveSibling("id.pub")).strip());
        shot(renter, "device");
        renter.findElement(By.id("rentButton")).click();
        new WebDriverWait(renter, Duration.ofSeconds(20))
                .until(d -> d.getCurrentUrl().contains("/rentals/r-"));
        String rental = renter.getCurrentUrl().substring(renter.getCurrentUrl().lastIndexOf('/') + 1);
        shot(renter, "rental-preparing");

        // The ssh command appears once the container is ready, and the real ssh client uses it.
        new WebDriverWait(renter, Duration.ofSeconds(120))
                .ignoring(StaleElementReferenceException.class)
                .until(d -> d.findElement(By.id("sshCommand")).isDisplayed());
        awaitText(renter, By.id("state"), "running");
        String command = renter.findElement(By.id("sshCommand")).getAttribute("value");
        Matcher m = Pattern.compile("ssh -J (r-[0-9a-f]{12})@([0-9.]+):(\\d+) root@(r-[0-9a-f]{12})")
                .matcher(command);
        assertTrue(m.matches(), "the page's ssh command: " + command);
        assertEquals(rental, m.group(1));
        World.Result ssh = World.run(
                Duration.ofSeconds(60),
                "ssh",
                "-F",
                keys.home.resolve("ssh_config").toString(),
                "-J",
                m.group(1) + "@" + m.group(2) + ":" + m.group(3),
                "root@" + m.group(4),
                "echo hello from $(hostname)");
        ssh.assertOk();
        assertTrue(ssh.out().contains("hello from"), ssh.out());

        // The page pays: the browser signed vouchers the hub accepted with the key the rent form made.
        new WebDriverWait(renter, Duration.ofSeconds(30))
                .ignoring(StaleElementReferenceException.class)
                .until(d -> Long.parseLong(d.findElement(By.id("paid")).getText()) > 0);
        assertTrue(
                renter.findElement(By.id("payment")).getText().contains("signed in this browser"),
                renter.findElement(By.id("payment")).getText());
        shot(renter, "rental-running");

        // Another account sees nothing of it, and a form without its token changes nothing.
        String mallory = signUpOverHttp(site, "mallory");
        HttpResponse<String> peek = http.send(
                HttpRequest.newBuilder(URI.create(site + "/rentals/" + rental))
                        .header("Cookie", "edgerent_session=" + mallory)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, peek.statusCode(), "another account's rental");
        HttpResponse<String> peekStatus = http.send(
                HttpRequest.newBuilder(URI.create(site + "/rentals/" + rental + "/status"))
                        .header("Cookie", "edgerent_session=" + mallory)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, peekStatus.statusCode(), "another account's rental status");
        Cookie session = renter.manage().getCookieNamed("edgerent_session");
        assertTrue(session.isHttpOnly(), "the session cookie is HttpOnly");
        assertEquals("Lax", session.getSameSite());
        HttpResponse<String> forged = http.send(
                HttpRequest.newBuilder(URI.create(site + "/rentals/" + rental + "/end"))
                        .header("Cookie", "edgerent_session=" + session.getValue())
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(""))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, forged.statusCode(), "an end without the CSRF token");
        HttpResponse<String> crossSite = http.send(
                HttpRequest.newBuilder(URI.create(site + "/rentals/" + rental + "/end"))
                        .header("Cookie", "edgerent_session=" + session.getValue())
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Origin", "http://evil.test")
                        .POST(HttpRequest.BodyPublishers.ofString("csrf=" + csrfOf(renter)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, crossSite.statusCode(), "an end posted from another site");
        renter.navigate().refresh();
        awaitText(renter, By.id("state"), "running");

        // Extend by an hour: the end moves and the deposit grows.
        long deposit = Long.parseLong(renter.findElement(By.id("deposit")).getText());
        WebElement more = renter.findElement(By.id("extendHours"));
        more.clear();
        more.sendKeys("1");
        renter.findElement(By.cssSelector("form[action$='/extend'] button")).click();
        new WebDriverWait(renter, Duration.ofSeconds(20))
                .ignoring(StaleElementReferenceException.class)
                .until(d -> Long.parseLong(d.findElement(By.id("deposit")).getText()) == deposit + 3600);
        assertTrue(
                renter.findElement(By.id("timeLeft")).getText().startsWith("2 h"),
                renter.findElement(By.id("timeLeft")).getText());

        // End: settled, and the wipe record shows once the device sends it.
        renter.findElement(By.id("endButton")).click();
        new WebDriverWait(renter, Duration.ofSeconds(120))
                .until(d -> !d.findElements(By.id("wipeVerdict")).isEmpty());
        assertTrue(
                renter.findElement(By.id("wipeVerdict")).getText().startsWith("Erased and verified"),
                renter.findElement(By.id("wipeVerdict")).getText());
        shot(renter, "rental-ended");
        renter.get(site + "/rentals");
        assertTrue(renter.findElement(By.cssSelector("tr[data-rental='" + rental + "']"))
                .getText()
                .contains("ended"));
        shot(renter, "my-rentals");

        // The owner: an invitation, then the dashboard with the device, its earnings and the wipe.
        String invitation = world.cli(
                        dir,
                        "token",
                        "--owner",
                        "alice",
                        "--dashboard",
                        "--admin-secret",
                        dir.resolve("hub/admin.secret").toString())
                .assertOk()
                .out();
        String link = invitation
                .lines()
                .filter(l -> l.contains("/signup?invite="))
                .findFirst()
                .orElseThrow();
        String signup = link.substring(link.indexOf("http://"));
        WebDriver owner = browser(1280, 1000);
        owner.get(signup);
        owner.findElement(By.id("name")).sendKeys("alice");
        owner.findElement(By.id("password")).sendKeys("owner passphrase");
        owner.findElement(By.id("password2")).sendKeys("owner passphrase");
        owner.findElement(By.cssSelector("form.account button")).click();
        awaitText(owner, By.tagName("h1"), "Owner alice");
        assertTrue(owner.findElement(By.cssSelector("table.devices tr[data-device='" + device + "']"))
                .getText()
                .contains("free"));
        // The owner's share is in once the channel has settled, which under load may come after the page first shows.
        new WebDriverWait(owner, Duration.ofSeconds(60))
                .ignoring(StaleElementReferenceException.class)
                .until(d -> {
                    WebElement earned =
                            d.findElement(By.cssSelector("table.earnings tr[data-device='" + device + "']"));
                    if (Long.parseLong(
                                    earned.findElements(By.tagName("td")).get(1).getText())
                            > 0) {
                        return true;
                    }
                    d.navigate().refresh();
                    return false;
                });
        assertFalse(
                owner.findElements(By.cssSelector("#incomeChart rect[data-amount]:not([data-amount='0'])"))
                        .isEmpty(),
                "today's income is a bar in the chart");
        assertTrue(owner.findElement(By.cssSelector("ul.wipes li[data-rental='" + rental + "']"))
                .getText()
                .contains("verified"));
        shot(owner, "owner-dashboard");

        // A command-line renter signs in with their key: the rental they made with `edgerent rent` is on the
        // pages, which say its payments come from the command line. The link works once.
        world.depositFor(keys, 10_000);
        String cliRental = Renter.rentalName(
                keys.rent(device, "--hours", "1", "--max-price", "3600").assertOk());
        String web =
                world.cli(keys.home, "web").assertOk().out().lines().findFirst().orElseThrow();
        assertTrue(web.matches("http://127\\.0\\.0\\.1:" + world.httpPort + "/signin/key/[A-Za-z0-9_-]{43}"), web);
        WebDriver cli = browser(1280, 900);
        cli.get(web);
        cli.findElement(By.id("keySignIn")).click();
        awaitText(cli, By.tagName("h1"), "My rentals");
        cli.findElement(By.linkText(cliRental)).click();
        awaitText(cli, By.id("payment"), "from the command line");
        shot(cli, "rental-paid-from-the-command-line");
        cli.manage().deleteAllCookies();
        cli.get(web);
        cli.findElement(By.id("keySignIn")).click();
        awaitText(cli, By.cssSelector("p.error"), "That sign-in link is used");
        world.cli(keys.home, "end", cliRental).assertOk();

        // The renter is not an owner: no dashboard.
        renter.get(site + "/owner");
        assertTrue(renter.findElement(By.cssSelector("p.error")).getText().contains("not an owner's"));
    }

    private WebDriver browser(int width, int height) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=" + width + "," + height);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .build();
        WebDriver driver = new ChromeDriver(service, options);
        driver.manage().window().setSize(new Dimension(width, height));
        browsers.add(driver);
        return driver;
    }

    /** The market at a phone's width (390 px): it must still show and scroll, not overflow the page. */
    private void phoneShot(String url, String name) throws IOException {
        WebDriver phone = browser(390, 844);
        phone.get(url);
        Number overflow = (Number) ((org.openqa.selenium.JavascriptExecutor) phone)
                .executeScript("return document.documentElement.scrollWidth - window.innerWidth;");
        assertTrue(overflow.intValue() <= 0, "the page is wider than a phone by " + overflow + " px");
        shot(phone, name);
    }

    private static void shot(WebDriver driver, String name) throws IOException {
        byte[] png = ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(SHOTS.resolve(name + ".png"), png);
    }

    private static void awaitText(WebDriver driver, By what, String text) {
        // A page may be replaced while it is read (a form sent, the rental page reloading): read it again then.
        new WebDriverWait(driver, Duration.ofSeconds(30))
                .ignoring(StaleElementReferenceException.class)
                .until(d ->
                        d.findElements(what).stream().anyMatch(e -> e.getText().contains(text)));
    }

    private static String csrfOf(WebDriver driver) {
        return driver.findElement(By.cssSelector("input[name='csrf']")).getAttribute("value");
    }

    /**
     * Guessing an account's password from one address: five failures are free, then that account is
     * held off from that address, and a sign-in to it meanwhile is refused unchecked (429, Retry-After),
     * even with the right password and even many at once; no page worker waits out the penalty. Another
     * account signs in from the same address meanwhile. Once the penalty passed, the right password works.
     */
    @Test
    void password_guessing_is_held_off_without_holding_the_pages() throws Exception {
        String site = "http://127.0.0.1:" + world.httpPort;
        signUpOverHttp(site, "alice");
        signUpOverHttp(site, "bob");
        // Nine wrong passwords, each checked: the first five free, then the address is held off (250 ms, doubling).
        int[] failed = {0};
        World.awaitTrue(Duration.ofSeconds(60), "nine wrong passwords checked", () -> {
            HttpResponse<String> guess = signInOverHttp(site, "alice", "guess" + failed[0]);
            if (guess.statusCode() == 401) {
                failed[0]++;
            } else {
                assertEquals(429, guess.statusCode(), guess.body());
                assertTrue(failed[0] > 5, "held off after " + failed[0] + " failures");
                assertTrue(retryAfter(guess) >= 1);
            }
            return failed[0] == 9;
        });
        // Held off for 2 s now: the right password is not even checked.
        HttpResponse<String> held = signInOverHttp(site, "alice", "another long pass");
        assertEquals(429, held.statusCode(), held.body());
        assertTrue(held.body().contains("Too many failed sign-ins from your address"), held.body());
        assertTrue(retryAfter(held) >= 1);
        assertEquals(
                303,
                signInOverHttp(site, "bob", "another long pass").statusCode(),
                "another account from the same address");
        // Sixteen guesses at once, twice the page workers: refused without a worker waiting out the penalty.
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> guesses = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            guesses.add(java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> signInOverHttp(site, "alice", "parallel guess")));
        }
        int checked = 0;
        for (var guess : guesses) {
            int status = guess.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode();
            assertTrue(status == 429 || status == 401, "answered " + status);
            checked += status == 401 ? 1 : 0;
        }
        // One may land after the 2 s: it counts as failed from its start and holds off the others, for 4 s.
        assertTrue(checked <= 1, checked + " of 16 parallel guesses were checked");
        // Once the penalty passed, the right password signs in (refused attempts meanwhile change nothing).
        List<HttpResponse<String>> in = new ArrayList<>(List.of(held));
        World.awaitTrue(Duration.ofSeconds(30), "the penalty to pass", () -> {
            in.set(0, signInOverHttp(site, "alice", "another long pass"));
            return in.get(0).statusCode() != 429;
        });
        assertEquals(303, in.get(0).statusCode(), in.get(0).body());
        assertTrue(
                in.get(0).headers().allValues("set-cookie").stream().anyMatch(c -> c.startsWith("edgerent_session=")),
                in.get(0).headers().toString());
    }

    private static int retryAfter(HttpResponse<String> answer) {
        return Integer.parseInt(answer.headers()
                .firstValue("retry-after")
                .orElseThrow(() -> new AssertionError("no Retry-After: " + answer.headers())));
    }

    /** Posts the sign-in form over plain HTTP as a browser would. */
    private HttpResponse<String> signInOverHttp(String site, String name, String password) {
        return postForm(
                site,
                "/signin",
                "name=" + name + "&password="
                        + java.net.URLEncoder.encode(password, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Posts a form over plain HTTP as a browser would: the form's page first, for its cookie and token. */
    private HttpResponse<String> postForm(String site, String path, String fields) {
        try {
            HttpResponse<String> form = http.send(
                    HttpRequest.newBuilder(URI.create(site + path)).build(), HttpResponse.BodyHandlers.ofString());
            String cookie =
                    form.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
            Matcher token = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(form.body());
            assertTrue(token.find(), form.body());
            return http.send(
                    HttpRequest.newBuilder(URI.create(site + path))
                            .header("Cookie", cookie)
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString("csrf=" + token.group(1) + "&" + fields))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Signs up over plain HTTP as a browser would (form cookie, its token, then the form); answers the session cookie. */
    private String signUpOverHttp(String site, String name) {
        HttpResponse<String> done =
                postForm(site, "/signup", "name=" + name + "&password=another+long+pass&password2=another+long+pass");
        assertEquals(303, done.statusCode(), done.body());
        String session = done.headers().allValues("set-cookie").stream()
                .filter(c -> c.startsWith("edgerent_session="))
                .findFirst()
                .orElseThrow();
        return session.substring("edgerent_session=".length(), session.indexOf(';'));
    }
}
