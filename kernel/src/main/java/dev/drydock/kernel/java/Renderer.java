package dev.drydock.kernel.java;

import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Turns a value into a Jupyter MIME bundle. {@code text/plain} is always there; images become
 * {@code image/png}; any object with a public {@code Map<String, ?> toMimeBundle()} method supplies its
 * own representations (a duck-typed hook, so types in modules that cannot see this class can use it).
 */
public final class Renderer {

    public static final String TEXT = "text/plain";
    public static final String PNG = "image/png";

    private Renderer() {}

    public static Map<String, Object> render(Object value) {
        Map<String, Object> bundle = new LinkedHashMap<>();
        if (value instanceof RenderedImage image) {
            bundle.put(PNG, png(image));
            // An image's toString is a dump of its raster; a console shows what it is instead, as IPython does.
            bundle.put(TEXT, "<image/png " + image.getWidth() + "×" + image.getHeight() + ">");
        }
        ownBundle(value).forEach(bundle::put);
        bundle.putIfAbsent(TEXT, text(value));
        return bundle;
    }

    /** The value as a person reads it: strings raw (unlike JShell's quoted form), arrays by content. */
    public static String text(Object value) {
        if (value != null && value.getClass().isArray()) {
            String inBrackets = Arrays.deepToString(new Object[] {value});
            return inBrackets.substring(1, inBrackets.length() - 1);
        }
        return String.valueOf(value);
    }

    static String png(RenderedImage image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", bytes)) {
                throw new IllegalArgumentException("No PNG writer accepts this image (" + image.getClass().getName() + ")");
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    private static Map<String, Object> ownBundle(Object value) {
        if (value == null) {
            return Map.of();
        }
        Method method;
        try {
            method = value.getClass().getMethod("toMimeBundle");
        } catch (NoSuchMethodException ex) {
            return Map.of();
        }
        if (!Map.class.isAssignableFrom(method.getReturnType())) {
            return Map.of();
        }
        // Classes declared in a cell are not public members of an exported package.
        method.trySetAccessible();
        Object bundle;
        try {
            bundle = method.invoke(value);
        } catch (InvocationTargetException ex) {
            throw ex.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(ex.getCause());
        } catch (IllegalAccessException ex) {
            return Map.of();
        }
        Map<String, Object> own = new LinkedHashMap<>();
        if (bundle instanceof Map<?, ?> map) {
            map.forEach((mime, data) -> {
                if (mime != null && data != null) {
                    own.put(mime.toString(), data);
                }
            });
        }
        return own;
    }
}
