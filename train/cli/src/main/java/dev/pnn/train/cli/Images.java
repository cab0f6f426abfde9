package dev.pnn.train.cli;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/**
 * Turns a picture of a digit into an MNIST input the way MNIST was made: greyscale, white on
 * black, the digit fitted into a 20x20 box keeping its aspect ratio, then placed in a 28x28 field
 * so that its centre of mass is the field's centre.
 */
final class Images {

    static final int SIDE = 28;
    private static final int BOX = 20;
    private static final String SHADES = " .:-=+*#%@";

    private Images() {}

    /** {@code file} read (PNG, JPEG, GIF, BMP) and prepared as 784 bytes, row-major. */
    static byte[] mnistInput(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null,
                    Files.exists(file) ? "not a regular file" : "no such file");
        }
        BufferedImage image = ImageIO.read(file.toFile());
        if (image == null) {
            throw new IOException(file + ": expected an image that Java reads (PNG, JPEG, GIF, BMP), found another "
                    + "kind of file");
        }
        return mnistInput(image);
    }

    static byte[] mnistInput(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        double[] grey = new double[w * h];
        double border = 0;
        int borderCount = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = image.getRGB(x, y);
                double a = (argb >>> 24) / 255.0;
                double lum = 0.299 * (argb >> 16 & 0xff) + 0.587 * (argb >> 8 & 0xff) + 0.114 * (argb & 0xff);
                double v = a * lum + (1 - a) * 255; // transparent pixels are paper: white
                grey[y * w + x] = v;
                if (x == 0 || y == 0 || x == w - 1 || y == h - 1) {
                    border += v;
                    borderCount++;
                }
            }
        }
        boolean lightBackground = border / borderCount > 127;
        int minX = w;
        int minY = h;
        int maxX = -1;
        int maxY = -1;
        for (int i = 0; i < grey.length; i++) {
            double v = lightBackground ? 255 - grey[i] : grey[i];
            grey[i] = v;
            if (v > 32) {
                minX = Math.min(minX, i % w);
                maxX = Math.max(maxX, i % w);
                minY = Math.min(minY, i / w);
                maxY = Math.max(maxY, i / w);
            }
        }
        byte[] out = new byte[SIDE * SIDE];
        if (maxX < 0) {
            return out; // a blank picture: a blank input
        }
        int bw = maxX - minX + 1;
        int bh = maxY - minY + 1;
        BufferedImage crop = new BufferedImage(bw, bh, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < bh; y++) {
            for (int x = 0; x < bw; x++) {
                int v = (int) Math.round(grey[(minY + y) * w + minX + x]);
                crop.getRaster().setSample(x, y, 0, v);
            }
        }
        double scale = (double) BOX / Math.max(bw, bh);
        int sw = Math.max(1, (int) Math.round(bw * scale));
        int sh = Math.max(1, (int) Math.round(bh * scale));
        BufferedImage fitted = new BufferedImage(sw, sh, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = fitted.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(crop, 0, 0, sw, sh, null);
        g.dispose();
        double mass = 0;
        double cx = 0;
        double cy = 0;
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < sw; x++) {
                double v = fitted.getRaster().getSample(x, y, 0);
                mass += v;
                cx += v * x;
                cy += v * y;
            }
        }
        int ox = (int) Math.round(SIDE / 2.0 - (mass > 0 ? cx / mass : sw / 2.0) - 0.5);
        int oy = (int) Math.round(SIDE / 2.0 - (mass > 0 ? cy / mass : sh / 2.0) - 0.5);
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < sw; x++) {
                int tx = x + ox;
                int ty = y + oy;
                if (tx >= 0 && ty >= 0 && tx < SIDE && ty < SIDE) {
                    out[ty * SIDE + tx] = (byte) fitted.getRaster().getSample(x, y, 0);
                }
            }
        }
        return out;
    }

    /** The 28x28 input as text, two characters a pixel, darker to brighter: " .:-=+*#%@". */
    static String ascii(byte[] pixels) {
        StringBuilder s = new StringBuilder();
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                int v = Byte.toUnsignedInt(pixels[y * SIDE + x]);
                char c = SHADES.charAt(v * (SHADES.length() - 1) / 255);
                s.append(c).append(c);
            }
            s.append('\n');
        }
        return s.toString();
    }
}
