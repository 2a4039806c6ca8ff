package dev.drydock.kernel.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PlainTextTest {

    private static Object plain(Map<String, Object> bundle) {
        return PlainText.withFallback(bundle).get("text/plain");
    }

    @Test
    void aBundleWithTextIsLeftAsItIs() {
        Map<String, Object> bundle = Map.of("text/plain", "x", "text/html", "<b>x</b>");
        assertSame(bundle, PlainText.withFallback(bundle));
    }

    @Test
    void markdownIsItsOwnText() {
        assertEquals("**dock**", plain(Map.of("text/markdown", "**dock**")));
    }

    @Test
    void anHtmlTableReadsAsOneRowALine() {
        String html = "<table><tr><th>name</th><th>score</th></tr><tr><td>svm &amp; rbf</td><td>0.97</td></tr></table>"
                + "<style>td { color: red }</style>";
        assertEquals("name\tscore\nsvm & rbf\t0.97", plain(Map.of("text/html", html)));
        assertEquals("<HTML output>", plain(Map.of("text/html", "<img src='x.png'>")));
    }

    @Test
    void aPngIsNamedWithItsSizeAndJsonIsPrinted() throws Exception {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB), "png", png);
        String data = Base64.getEncoder().encodeToString(png.toByteArray());

        assertEquals("<image/png 640×480>", plain(Map.of("image/png", data)));
        assertEquals("<image/png>", plain(Map.of("image/png", "bm90IGEgcG5n")));
        assertEquals("{\n  \"a\" : 1\n}", plain(Map.of("application/json", Map.of("a", 1))));
        assertEquals("<application/pdf output>", plain(Map.of("application/pdf", "JVBERi0=")));
    }
}
