namespace Pipeline.Imaging.Processing;

/// <summary>
/// One axis of a resize. The output has <see cref="OutSize"/> pixels; those in
/// [<see cref="ContentStart"/>, <see cref="ContentStart"/> + <see cref="ContentCount"/>) sample the source and the rest
/// are padding. Content pixel i (counted from <see cref="ContentStart"/>) is centered at source coordinate
/// <c>SourceStart + (i + 0.5) × Scale</c>, where source pixel x covers [x, x + 1): PIL's convention, which a
/// fractional crop box (<see cref="SourceStart"/>) extends without snapping to whole pixels.
/// </summary>
internal readonly record struct AxisMapping(int OutSize, int ContentStart, int ContentCount, double SourceStart, double Scale)
{
    /// <summary>The whole source axis stretched over the whole output axis.</summary>
    public static AxisMapping Stretch(int sourceSize, int outSize) => new(outSize, 0, outSize, 0, (double)sourceSize / outSize);
}

/// <summary>The geometry of one resize: where every output pixel samples the source, per axis.</summary>
internal readonly record struct ResizePlan(AxisMapping X, AxisMapping Y)
{
    /// <summary>
    /// The plan that brings a <paramref name="sourceWidth"/> × <paramref name="sourceHeight"/> image to
    /// <paramref name="width"/> × <paramref name="height"/> in <paramref name="mode"/> (see <see cref="ResizeMode"/> for each
    /// mode's rounding). <paramref name="shorterSide"/> is used only by <see cref="ResizeMode.ShorterSideThenCenterCrop"/>.
    /// </summary>
    public static ResizePlan Create(ResizeMode mode, CropAnchor anchor, int sourceWidth, int sourceHeight, int width, int height, int shorterSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        (int horizontal, int vertical) = Direction(anchor);
        return mode switch
        {
            ResizeMode.Fill => new ResizePlan(AxisMapping.Stretch(sourceWidth, width), AxisMapping.Stretch(sourceHeight, height)),
            ResizeMode.IsoCrop => IsoCrop(horizontal, vertical, sourceWidth, sourceHeight, width, height),
            ResizeMode.IsoPad => IsoPad(horizontal, vertical, sourceWidth, sourceHeight, width, height),
            ResizeMode.ShorterSideThenCenterCrop => ShorterSideThenCenterCrop(sourceWidth, sourceHeight, width, height, shorterSide),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown resize mode."),
        };
    }

    /// <summary>The size torchvision's <c>Resize(shorterSide)</c> gives: the shorter side becomes <paramref name="shorterSide"/>, the longer <c>int(s·long/short)</c>.</summary>
    public static (int Width, int Height) ShorterSideSize(int sourceWidth, int sourceHeight, int shorterSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shorterSide);
        bool portrait = sourceWidth <= sourceHeight;
        int shortSide = portrait ? sourceWidth : sourceHeight, longSide = portrait ? sourceHeight : sourceWidth;
        // Python's int(s * long / short): an exact integer product, a correctly rounded division, then truncation.
        int newLong = Math.Max(1, (int)((double)((long)shorterSide * longSide) / shortSide));
        return portrait ? (shorterSide, newLong) : (newLong, shorterSide);
    }

    private static ResizePlan IsoCrop(int horizontal, int vertical, int sourceWidth, int sourceHeight, int width, int height)
    {
        // Compare width/sourceWidth with height/sourceHeight exactly, in integers.
        long byWidth = (long)width * sourceHeight, byHeight = (long)height * sourceWidth;
        if (byWidth == byHeight) return new ResizePlan(AxisMapping.Stretch(sourceWidth, width), AxisMapping.Stretch(sourceHeight, height));
        if (byWidth > byHeight)
        {
            // The width fits exactly; a window of the source's height is kept.
            double window = (double)height * sourceWidth / width;
            double start = Place(vertical, sourceHeight - window);
            return new ResizePlan(AxisMapping.Stretch(sourceWidth, width), new AxisMapping(height, 0, height, start, window / height));
        }
        else
        {
            double window = (double)width * sourceHeight / height;
            double start = Place(horizontal, sourceWidth - window);
            return new ResizePlan(new AxisMapping(width, 0, width, start, window / width), AxisMapping.Stretch(sourceHeight, height));
        }
    }

    private static ResizePlan IsoPad(int horizontal, int vertical, int sourceWidth, int sourceHeight, int width, int height)
    {
        long byWidth = (long)width * sourceHeight, byHeight = (long)height * sourceWidth;
        if (byWidth <= byHeight)
        {
            // The width is the limit; the picture is shorter than the output and padded above and below.
            int content = Math.Clamp((int)Math.Round((double)sourceHeight * width / sourceWidth), 1, height);
            int start = PlacePixels(vertical, height - content);
            return new ResizePlan(AxisMapping.Stretch(sourceWidth, width), new AxisMapping(height, start, content, 0, (double)sourceHeight / content));
        }
        else
        {
            int content = Math.Clamp((int)Math.Round((double)sourceWidth * height / sourceHeight), 1, width);
            int start = PlacePixels(horizontal, width - content);
            return new ResizePlan(new AxisMapping(width, start, content, 0, (double)sourceWidth / content), AxisMapping.Stretch(sourceHeight, height));
        }
    }

    private static ResizePlan ShorterSideThenCenterCrop(int sourceWidth, int sourceHeight, int width, int height, int shorterSide)
    {
        (int resizedWidth, int resizedHeight) = ShorterSideSize(sourceWidth, sourceHeight, shorterSide);
        return new ResizePlan(CenterCrop(sourceWidth, resizedWidth, width), CenterCrop(sourceHeight, resizedHeight, height));
    }

    /// <summary>One axis of resize-to-<paramref name="resized"/> then center-crop-to-<paramref name="crop"/>, as torchvision does it.</summary>
    private static AxisMapping CenterCrop(int sourceSize, int resized, int crop)
    {
        double scale = (double)sourceSize / resized;
        if (crop <= resized)
        {
            // torchvision: int(round((resized - crop) / 2.0)), and Python rounds halves to even (Math.Round's default).
            int offset = (int)Math.Round((resized - crop) / 2.0, MidpointRounding.ToEven);
            return new AxisMapping(crop, 0, crop, offset * scale, scale);
        }
        // torchvision pads the resized image by (crop - resized) // 2 on the leading side, then crops nothing.
        return new AxisMapping(crop, (crop - resized) / 2, resized, 0, scale);
    }

    /// <summary>The anchor as a direction per axis: −1 keeps the start (left/top), 0 the middle, +1 the end.</summary>
    private static (int Horizontal, int Vertical) Direction(CropAnchor anchor) => anchor switch
    {
        CropAnchor.Center => (0, 0),
        CropAnchor.Top => (0, -1),
        CropAnchor.Bottom => (0, 1),
        CropAnchor.Left => (-1, 0),
        CropAnchor.Right => (1, 0),
        CropAnchor.TopLeft => (-1, -1),
        CropAnchor.TopRight => (1, -1),
        CropAnchor.BottomLeft => (-1, 1),
        CropAnchor.BottomRight => (1, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(anchor), anchor, "Unknown anchor."),
    };

    private static double Place(int direction, double slack) => direction < 0 ? 0 : direction > 0 ? slack : slack / 2;

    private static int PlacePixels(int direction, int slack) => direction < 0 ? 0 : direction > 0 ? slack : slack / 2;
}
