using Pipeline.Imaging.Processing;

namespace Pipeline.Tests.Imaging.Processing;

/// <summary>Where each mode puts the picture: sizes, crop windows, padding and anchors.</summary>
public sealed class ResizePlanTests
{
    private static ResizePlan Plan(ResizeMode mode, int sw, int sh, int w, int h, CropAnchor anchor = CropAnchor.Center, int shorter = 256)
        => ResizePlan.Create(mode, anchor, sw, sh, w, h, shorter);

    [Theory]
    [InlineData(3000, 2000, 224, 224)]
    [InlineData(1, 1, 224, 224)]
    [InlineData(1, 1000, 7, 5)]
    [InlineData(17, 3, 300, 301)]
    public void FillStretchesBothAxesOverTheWholeOutput(int sw, int sh, int w, int h)
    {
        ResizePlan plan = Plan(ResizeMode.Fill, sw, sh, w, h);
        Assert.Equal(new AxisMapping(w, 0, w, 0, (double)sw / w), plan.X);
        Assert.Equal(new AxisMapping(h, 0, h, 0, (double)sh / h), plan.Y);
    }

    [Theory]
    // Landscape onto a square: the height fits, a centered 2000-wide window of the 3000 columns is kept.
    [InlineData(CropAnchor.Center, 500.0)]
    [InlineData(CropAnchor.Left, 0.0)]
    [InlineData(CropAnchor.TopLeft, 0.0)]
    [InlineData(CropAnchor.BottomLeft, 0.0)]
    [InlineData(CropAnchor.Right, 1000.0)]
    [InlineData(CropAnchor.TopRight, 1000.0)]
    [InlineData(CropAnchor.BottomRight, 1000.0)]
    // A vertical anchor does not move a horizontal crop (ML.NET behaves the same).
    [InlineData(CropAnchor.Top, 500.0)]
    [InlineData(CropAnchor.Bottom, 500.0)]
    public void IsoCropOfALandscapeImageKeepsTheAnchoredColumns(CropAnchor anchor, double start)
    {
        ResizePlan plan = Plan(ResizeMode.IsoCrop, 3000, 2000, 224, 224, anchor);
        Assert.Equal(new AxisMapping(224, 0, 224, start, 2000.0 / 224), plan.X);
        Assert.Equal(new AxisMapping(224, 0, 224, 0, 2000.0 / 224), plan.Y);
    }

    [Theory]
    [InlineData(CropAnchor.Center, 250.0)]
    [InlineData(CropAnchor.Top, 0.0)]
    [InlineData(CropAnchor.TopLeft, 0.0)]
    [InlineData(CropAnchor.TopRight, 0.0)]
    [InlineData(CropAnchor.Bottom, 500.0)]
    [InlineData(CropAnchor.BottomLeft, 500.0)]
    [InlineData(CropAnchor.BottomRight, 500.0)]
    [InlineData(CropAnchor.Left, 250.0)]
    [InlineData(CropAnchor.Right, 250.0)]
    public void IsoCropOfAPortraitImageKeepsTheAnchoredRows(CropAnchor anchor, double start)
    {
        // 500x750 onto 200x100: the width fits (scale 0.4), a 250-row window of 750 is kept.
        ResizePlan plan = Plan(ResizeMode.IsoCrop, 500, 750, 200, 100, anchor);
        Assert.Equal(new AxisMapping(200, 0, 200, 0, 2.5), plan.X);
        Assert.Equal(new AxisMapping(100, 0, 100, start, 2.5), plan.Y);
    }

    [Fact]
    public void IsoCropKeepsFractionalWindowsInsteadOfSnappingToPixels()
    {
        // 5x3 onto 2x2: the height fits (scale 2/3), a 3-column window centered in 5 starts at 1.
        ResizePlan plan = Plan(ResizeMode.IsoCrop, 5, 3, 2, 2);
        Assert.Equal(1.0, plan.X.SourceStart, 12);
        Assert.Equal(1.5, plan.X.Scale, 12);
        // 4x3 onto 2x2: the window is 3 columns of 4, centered at 0.5: a fractional start.
        plan = Plan(ResizeMode.IsoCrop, 4, 3, 2, 2);
        Assert.Equal(0.5, plan.X.SourceStart, 12);
    }

    [Fact]
    public void IsoCropWithTheSameAspectIsAFill()
    {
        Assert.Equal(Plan(ResizeMode.Fill, 640, 480, 320, 240), Plan(ResizeMode.IsoCrop, 640, 480, 320, 240, CropAnchor.BottomRight));
    }

    [Theory]
    [InlineData(CropAnchor.Center, 37)]
    [InlineData(CropAnchor.Top, 0)]
    [InlineData(CropAnchor.TopRight, 0)]
    [InlineData(CropAnchor.Bottom, 75)]
    [InlineData(CropAnchor.BottomLeft, 75)]
    [InlineData(CropAnchor.Left, 37)]
    public void IsoPadOfALandscapeImagePadsAboveAndBelow(CropAnchor anchor, int top)
    {
        // 3000x2000 into 224x224: 224 wide, round(2000·224/3000) = round(149.33) = 149 high, 75 rows of padding.
        ResizePlan plan = Plan(ResizeMode.IsoPad, 3000, 2000, 224, 224, anchor);
        Assert.Equal(new AxisMapping(224, 0, 224, 0, 3000.0 / 224), plan.X);
        Assert.Equal(new AxisMapping(224, top, 149, 0, 2000.0 / 149), plan.Y);
    }

    [Theory]
    [InlineData(CropAnchor.Center, 2)]
    [InlineData(CropAnchor.Left, 0)]
    [InlineData(CropAnchor.Right, 5)]
    public void IsoPadOfAPortraitImagePadsLeftAndRight(CropAnchor anchor, int left)
    {
        // 2x3 into 7x3: the height fits (3), width round(2) = 2, 5 columns of padding.
        ResizePlan plan = Plan(ResizeMode.IsoPad, 2, 3, 7, 3, anchor);
        Assert.Equal(new AxisMapping(7, left, 2, 0, 1.0), plan.X);
        Assert.Equal(new AxisMapping(3, 0, 3, 0, 1.0), plan.Y);
    }

    [Theory]
    [InlineData(10000, 1)]
    [InlineData(1, 10000)]
    [InlineData(100000, 3)]
    public void ExtremeAspectRatiosKeepAtLeastOnePixelOfPicture(int sw, int sh)
    {
        ResizePlan pad = Plan(ResizeMode.IsoPad, sw, sh, 224, 224);
        Assert.True(pad.X.ContentCount >= 1 && pad.Y.ContentCount >= 1);
        Assert.True(pad.X.ContentStart + pad.X.ContentCount <= 224 && pad.Y.ContentStart + pad.Y.ContentCount <= 224);
        ResizePlan crop = Plan(ResizeMode.IsoCrop, sw, sh, 224, 224);
        // The crop window stays inside the source.
        Assert.InRange(crop.X.SourceStart, 0, sw);
        Assert.InRange(crop.X.SourceStart + 224 * crop.X.Scale, 0, sw + 1e-9);
        Assert.InRange(crop.Y.SourceStart + 224 * crop.Y.Scale, 0, sh + 1e-9);
    }

    [Theory]
    // torchvision: the shorter side becomes s, the longer int(s·long/short).
    [InlineData(500, 375, 256, 341, 256)]
    [InlineData(375, 500, 256, 256, 341)]
    [InlineData(333, 500, 256, 256, 384)]
    [InlineData(3000, 2000, 256, 384, 256)]
    [InlineData(256, 256, 256, 256, 256)]
    [InlineData(1, 1000, 256, 256, 256000)]
    [InlineData(640, 427, 342, 512, 342)]
    public void ShorterSideSizeTruncatesTheLongerSideLikeTorchvision(int sw, int sh, int s, int rw, int rh)
    {
        Assert.Equal((rw, rh), ResizePlan.ShorterSideSize(sw, sh, s));
    }

    [Fact]
    public void ShorterSideThenCenterCropRoundsTheOffsetHalfToEven()
    {
        // 500x375 -> 341x256; crop 224: left = round(117 / 2) = round(58.5) = 58 (Python rounds halves to even), top = 16.
        ResizePlan plan = Plan(ResizeMode.ShorterSideThenCenterCrop, 500, 375, 224, 224);
        Assert.Equal(224, plan.X.ContentCount);
        Assert.Equal(500.0 / 341, plan.X.Scale, 12);
        Assert.Equal(58 * 500.0 / 341, plan.X.SourceStart, 9);
        Assert.Equal(16 * 375.0 / 256, plan.Y.SourceStart, 9);
        // 1000x767 -> 333x256: left = round(109 / 2) = round(54.5) = 54.
        Assert.Equal(54 * 1000.0 / 333, Plan(ResizeMode.ShorterSideThenCenterCrop, 1000, 767, 224, 224).X.SourceStart, 9);
        // 341 + 2 = 343 wide: round(119 / 2) = round(59.5) = 60.
        Assert.Equal(60 * 1029.0 / 343, Plan(ResizeMode.ShorterSideThenCenterCrop, 1029, 768, 224, 224).X.SourceStart, 9);
    }

    [Fact]
    public void ShorterSideThenCenterCropPadsWhenTheCropIsLarger()
    {
        // 100x50 -> shorter side 20: 40x20; a 30x30 crop keeps columns 5..35 and pads rows: (30 - 20) // 2 = 5 on top.
        ResizePlan plan = Plan(ResizeMode.ShorterSideThenCenterCrop, 100, 50, 30, 30, shorter: 20);
        Assert.Equal(new AxisMapping(30, 0, 30, 5 * 2.5, 2.5), plan.X);
        Assert.Equal(new AxisMapping(30, 5, 20, 0, 2.5), plan.Y);
    }

    [Fact]
    public void UpscalingPlansHaveScalesBelowOne()
    {
        ResizePlan plan = Plan(ResizeMode.Fill, 10, 1, 224, 224);
        Assert.Equal(10.0 / 224, plan.X.Scale, 12);
        Assert.Equal(1.0 / 224, plan.Y.Scale, 12);
    }
}
