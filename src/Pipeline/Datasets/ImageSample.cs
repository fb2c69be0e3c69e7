using Pipeline.Imaging;

namespace Pipeline.Datasets;

/// <summary>One labelled image of an <see cref="ImageDataset"/>.</summary>
/// <param name="Path">The image file's full path.</param>
/// <param name="Label">The index of its class in <see cref="ImageDataset.Classes"/>.</param>
/// <param name="Format">The format its first bytes announce (the decoder may still refuse the rest).</param>
public sealed record ImageSample(string Path, int Label, ImageFormat Format);
