package io.edgerent.hub.testing;

import io.edgerent.hub.config.HubConfig;
import io.edgerent.hub.rental.Services;
import io.edgerent.hub.rental.VoucherDesk;
import io.edgerent.hub.store.Database;
import io.edgerent.hub.store.GroupCommit;
import io.edgerent.hub.store.Sql;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;

/**
 * Two hubs' services on one PostgreSQL database, without their network adapters: each its own connection, group
 * commit and voucher desk, as two hub processes of one fleet have. Rentals wait an hour for their first voucher.
 */
public record TwoHubs(
        Database[] databases, Sql[] sqls, Services[] services, GroupCommit[] commits, VoucherDesk[] desks) {
    public static TwoHubs on(String url, Path dir) throws SQLException {
        HubConfig config = HubConfig.builder()
                .dataDir(dir)
                .database(url)
                .paymentGrace(Duration.ofHours(1))
                .build();
        Database[] databases = {Database.postgres(url), Database.postgres(url)};
        Sql[] sqls = {new Sql(databases[0]), new Sql(databases[1])};
        Services[] services = {
            Services.on(sqls[0], config, Clock.systemUTC()), Services.on(sqls[1], config, Clock.systemUTC())
        };
        GroupCommit[] commits = {new GroupCommit(sqls[0]), new GroupCommit(sqls[1])};
        VoucherDesk[] desks = {new VoucherDesk(services[0], commits[0]), new VoucherDesk(services[1], commits[1])};
        return new TwoHubs(databases, sqls, services, commits, desks);
    }
}
