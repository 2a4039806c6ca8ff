package dev.drydock.kernel.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class RendererTest {

    @Test
    void textIsToStringWithStringsRawAndArraysByContent() {
        assertEquals(Map.of("text/plain", "abc"), Renderer.render("abc"));
        assertEquals(Map.of("text/plain", "null"), Renderer.render(null));
        assertEquals("[1, 2, 3]", Renderer.text(new int[] {1, 2, 3}));
        assertEquals("[[a], [b, c]]", Renderer.text(new String[][] {{"a"}, {"b", "c"}}));
        assertEquals("[x, y]", Renderer.text(List.of("x", "y")));
    }

    @Test
    void imagesBecomePngs() throws Exception {
        BufferedImage image = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        image.setRGB(2, 1, 0xff0000);

        Map<String, Object> bundle = Renderer.render(image);

        BufferedImage back = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode((String) bundle.get("image/png"))));
        assertNotNull(back);
        assertEquals(3, back.getWidth());
        assertEquals(2, back.getHeight());
        assertEquals(0xff0000, back.getRGB(2, 1) & 0xffffff);
        assertEquals("<image/png 3×2>", bundle.get("text/plain"), "what it is, not a dump of its raster");
    }

    public record Chart(String name) {
        public Map<String, Object> toMimeBundle() {
            return Map.of("text/html", "<i>" + name + "</i>");
        }
    }

    public record NotABundle(String name) {
        public String toMimeBundle() {
            return "ignored";
        }
    }

    @Test
    void objectsMaySupplyTheirOwnBundle() {
        assertEquals(Map.of("text/html", "<i>sales</i>", "text/plain", "Chart[name=sales]"), Renderer.render(new Chart("sales")));
        assertEquals(Map.of("text/plain", "NotABundle[name=x]"), Renderer.render(new NotABundle("x")));
    }
}
