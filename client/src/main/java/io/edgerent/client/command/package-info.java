/**
 * The {@code edgerent} commands on picocli: one class per command (Edgerent lists them), shared options as
 * mixins (--hub, --admin-secret, -o), exit codes and errors mapped once in Edgerent.
 */
package io.edgerent.client.command;
