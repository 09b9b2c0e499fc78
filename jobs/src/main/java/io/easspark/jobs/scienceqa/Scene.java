package io.easspark.jobs.scienceqa;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A picture for an IMG question: a tinted background, grey clutter (dots and strokes that are not objects), and a
 * few coloured shapes of varied sizes. Everything is drawn from the values here, so the same scene is the same PNG.
 */
record Scene(int size, Color background, List<Shape> shapes, long clutterSeed) {

    /** The object kinds and colours questions name; a colour is only ever asked about by its name here. */
    static final List<String> SHAPE_NAMES = List.of("circle", "square", "triangle");
    static final List<String> COLOR_NAMES = List.of("red", "green", "blue", "yellow", "purple", "orange");
    private static final Color[] COLORS = {new Color(220, 30, 30), new Color(30, 170, 50), new Color(40, 70, 220),
        new Color(235, 215, 20), new Color(140, 40, 170), new Color(245, 140, 20)};

    /** One object: centre (x, y) and side/diameter s in pixels. */
    record Shape(int shape, int color, int x, int y, int s) {

        String name() {
            return COLOR_NAMES.get(color) + " " + SHAPE_NAMES.get(shape);
        }
    }

    /**
     * The scene in words, objects in reading order (top row first, then left to right): "A small red circle at the
     * top left." The generator writes it to {@code captions.json} as ScienceQA ships image captions; {@code eas tune}
     * trains on it as the stand-in for the image-text pairs CLIP is pre-trained on (every word of it supervised, where
     * an IMG question supervises one letter). Sizes are named only when clearly small or large for a grid cell.
     */
    String caption() {
        int cell = size / 3;
        List<Shape> order = new java.util.ArrayList<>(shapes);
        order.sort(java.util.Comparator.comparingInt((Shape s) -> cellOf(s.y(), cell)).thenComparingInt(s -> cellOf(s.x(), cell)));
        StringBuilder out = new StringBuilder();
        for (Shape s : order) {
            String sizeWord = s.s() < cell / 2 ? "small " : s.s() * 5 > cell * 4 ? "large " : "";
            int row = cellOf(s.y(), cell);
            int col = cellOf(s.x(), cell);
            String where = row == 1 && col == 1 ? "the centre"
                    : "the " + List.of("top", "middle", "bottom").get(row) + " " + List.of("left", "centre", "right").get(col);
            if (out.length() > 0) {
                out.append(' ');
            }
            String noun = sizeWord + s.name();
            out.append("aeiou".indexOf(noun.charAt(0)) >= 0 ? "An " : "A ").append(noun).append(" at ").append(where).append('.');
        }
        return out.toString();
    }

    private static int cellOf(int centre, int cell) {
        return Math.min(2, Math.max(0, centre / cell));
    }

    BufferedImage render() {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(background);
        g.fillRect(0, 0, size, size);
        // clutter: grey marks small or thin enough not to read as an object, so a model must find the shapes
        SplittableRandom r = new SplittableRandom(clutterSeed);
        int marks = 2 + r.nextInt(5);
        for (int i = 0; i < marks; i++) {
            int grey = 90 + r.nextInt(100);
            g.setColor(new Color(grey, grey, grey));
            int x = r.nextInt(size);
            int y = r.nextInt(size);
            if (r.nextBoolean()) {
                g.fillOval(x, y, 2 + r.nextInt(2), 2 + r.nextInt(2));
            } else {
                g.setStroke(new BasicStroke(1f));
                g.drawLine(x, y, x + r.nextInt(-size / 4, size / 4 + 1), y + r.nextInt(-size / 4, size / 4 + 1));
            }
        }
        for (Shape s : shapes) {
            g.setColor(COLORS[s.color()]);
            int x0 = s.x() - s.s() / 2;
            int y0 = s.y() - s.s() / 2;
            switch (s.shape()) {
                case 0 -> g.fillOval(x0, y0, s.s(), s.s());
                case 1 -> g.fillRect(x0, y0, s.s(), s.s());
                default -> g.fillPolygon(new int[] {x0, x0 + s.s(), x0 + s.s() / 2}, new int[] {y0 + s.s(), y0 + s.s(), y0}, 3);
            }
        }
        g.dispose();
        return img;
    }
}
