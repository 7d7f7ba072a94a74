package io.edgerent.edge.containers.docker;

import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import io.edgerent.edge.containers.ContainerSpec;
import io.edgerent.edge.containers.docker.DockerContainers.Config;
import io.edgerent.edge.storage.RentalVolumes;
import io.edgerent.protocol.Template;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The shape of a rental's container: what it mounts, what its entrypoint reads, and how it is held in. */
final class ContainerShape {
    private static final long MIB = 1024L * 1024L;

    private ContainerShape() {}

    /**
     * What the container mounts: each top-level directory of its root (the overlay on the rental's volume)
     * at its own place, so that the root the engine made stays read-only and empty of renter files, and
     * /data.
     */
    static List<Bind> binds(RentalVolumes.Root root, Path data) {
        List<Bind> binds = new ArrayList<>();
        for (String dir : root.directories()) {
            binds.add(new Bind(
                    root.dir().resolve(dir).toString(), new com.github.dockerjava.api.model.Volume("/" + dir)));
        }
        binds.add(new Bind(data.toString(), new com.github.dockerjava.api.model.Volume("/data")));
        return binds;
    }

    /**
     * What the image's entrypoint reads: the SSH keys and the template; the file host also gets its
     * password's SHA-256 and a quota of the rental's storage in MB (10^6 bytes).
     */
    static List<String> environment(ContainerSpec spec, Config c) {
        List<String> env = new ArrayList<>();
        env.add("EDGERENT_AUTHORIZED_KEYS=" + String.join("\n", spec.authorizedKeys()));
        env.add("EDGERENT_TEMPLATE=" + spec.template().id());
        if (spec.template() == Template.FILES) {
            env.add("EDGERENT_FILES_PASSWORD_SHA256=" + spec.passwordSha256());
            env.add("EDGERENT_FILES_QUOTA_MB=" + c.storage_mib() * MIB / 1_000_000);
        }
        return env;
    }

    /**
     * Least privilege for a box whose only daemon is sshd: every capability dropped, then only those
     * sshd and a root login need, no new privileges, bounded memory, CPU, processes and logs; the
     * device's fenced bridge, no namespace shared with the host, no port published, a read-only root
     * with nothing of the host mounted on it but the rental's own encrypted files.
     */
    static HostConfig hostConfig(Config c, List<String> nameServers, String network, List<Bind> binds) {
        long memory = c.memory_mib() * MIB;
        return HostConfig.newHostConfig()
                .withPrivileged(false)
                .withNetworkMode(network)
                .withIpcMode("private")
                .withPublishAllPorts(false)
                .withReadonlyRootfs(true)
                .withBinds(binds)
                .withCapDrop(Capability.ALL)
                .withCapAdd(
                        Capability.CHOWN, // sshd chowns the session's pty
                        Capability.DAC_OVERRIDE, // root reads and writes files it does not own, as on any Linux box
                        Capability.FOWNER, // root changes modes of files it does not own
                        Capability.SETUID,
                        Capability.SETGID, // sshd drops privileges to the sshd user for pre-auth
                        Capability.SYS_CHROOT, // sshd chroots its pre-auth child into /run/sshd
                        Capability.KILL, // sshd signals its children
                        Capability.AUDIT_WRITE, // sshd records logins
                        Capability.NET_BIND_SERVICE) // sshd listens on port 22
                .withSecurityOpts(List.of("no-new-privileges"))
                .withMemory(memory)
                .withMemorySwap(memory)
                .withNanoCPUs(c.cpu_millicores() * 1_000_000L)
                .withPidsLimit((long) c.pids_limit())
                .withDns(nameServers)
                // No IPv6 inside, whatever the host's firewall can do: the fence fails closed (HostFirewall).
                .withSysctls(Map.of("net.ipv6.conf.all.disable_ipv6", "1", "net.ipv6.conf.default.disable_ipv6", "1"))
                .withLogConfig(
                        new LogConfig(LogConfig.LoggingType.JSON_FILE, Map.of("max-size", "10m", "max-file", "2")));
    }
}
