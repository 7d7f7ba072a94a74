package io.edgerent.edge.settings;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/**
 * A component's settings as the typed view Declarative Services gives it (the OCD annotation type), made from a map:
 * a method {@code hub_uri} reads the property {@code hub.uri}, a missing one its default. Used to start a component
 * with settings other than those stored, when it refused the stored ones.
 */
public final class TypedSettings {
    private TypedSettings() {}

    /** The property a method of an OCD reads, by Declarative Services' rule for names with single underscores. */
    public static String key(Method method) {
        return method.getName().replace('_', '.');
    }

    /** Every setting of {@code type} with a default, by property name. */
    public static Map<String, Object> defaults(Class<?> type) {
        Map<String, Object> defaults = new HashMap<>();
        for (Method m : type.getDeclaredMethods()) {
            if (m.getDefaultValue() != null) {
                defaults.put(key(m), m.getDefaultValue());
            }
        }
        return defaults;
    }

    /** {@code properties} seen through {@code type}; values are converted to each method's type. */
    @SuppressWarnings("unchecked")
    public static <A> A of(Class<A> type, Map<String, ?> properties) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "toString":
                    return type.getSimpleName() + properties;
                case "hashCode":
                    return properties.hashCode();
                case "equals":
                    return proxy == args[0];
                case "annotationType":
                    return type;
                default:
                    Object value = properties.get(key(method));
                    return value == null ? method.getDefaultValue() : convert(value, method.getReturnType());
            }
        });
    }

    private static Object convert(Object value, Class<?> to) {
        if (to.isInstance(value)) {
            return value;
        }
        String text = String.valueOf(value).strip();
        if (to == int.class || to == Integer.class) {
            return Integer.valueOf(text);
        }
        if (to == long.class || to == Long.class) {
            return Long.valueOf(text);
        }
        if (to == boolean.class || to == Boolean.class) {
            return Boolean.valueOf(text);
        }
        return text;
    }
}
