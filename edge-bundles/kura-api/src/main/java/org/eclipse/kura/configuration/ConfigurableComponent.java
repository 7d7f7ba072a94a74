package org.eclipse.kura.configuration;

/**
 * Stand-in for Kura's marker interface: a component whose configuration the Kura web UI renders
 * from its Metatype. Same package, name and version (1.2.0) as Kura's, empty like Kura's.
 */
public interface ConfigurableComponent {}
