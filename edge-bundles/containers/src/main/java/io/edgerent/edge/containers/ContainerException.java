package io.edgerent.edge.containers;

/** The Docker engine refused or failed an operation on a rental's container. */
public class ContainerException extends RuntimeException {
    public ContainerException(String message, Throwable cause) {
        super(message, cause);
    }
}
