using Pipeline.Imaging;

namespace Pipeline.Tests.Featurizers;

/// <summary>Procedural test images: random coloured rectangles and discs on a gradient, various sizes.</summary>
internal static class SyntheticImages
{
    public static Image[] Make(int count, int seed)
    {
        var random = new Random(seed);
        var images = new Image[count];
        for (int n = 0; n < count; n++)
        {
            int w = random.Next(24, 80), h = random.Next(24, 80);
            var image = new Image(w, h, PixelFormat.Rgb24);
            byte[] p = image.Pixels;
            int r0 = random.Next(256), g0 = random.Next(256), b0 = random.Next(256);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int i = (y * w + x) * 3;
                    p[i] = (byte)((r0 + x * 3) & 255);
                    p[i + 1] = (byte)((g0 + y * 2) & 255);
                    p[i + 2] = (byte)b0;
                }
            for (int s = 0; s < 6; s++)
            {
                int cx = random.Next(w), cy = random.Next(h), radius = random.Next(3, 15);
                byte r = (byte)random.Next(256), g = (byte)random.Next(256), b = (byte)random.Next(256);
                bool disc = random.Next(2) == 0;
                for (int y = Math.Max(0, cy - radius); y < Math.Min(h, cy + radius); y++)
                    for (int x = Math.Max(0, cx - radius); x < Math.Min(w, cx + radius); x++)
                    {
                        if (disc && (x - cx) * (x - cx) + (y - cy) * (y - cy) > radius * radius) continue;
                        int i = (y * w + x) * 3;
                        p[i] = r; p[i + 1] = g; p[i + 2] = b;
                    }
            }
            images[n] = image;
        }
        return images;
    }
}
