namespace Pipeline.Imaging.Png;

/// <summary>IHDR's colour type: bit 0 palette used, bit 1 colour used, bit 2 alpha channel used.</summary>
internal enum PngColorType : byte
{
    /// <summary>One grey sample per pixel; bit depths 1, 2, 4, 8, 16.</summary>
    Grayscale = 0,

    /// <summary>Red, green, blue samples; bit depths 8, 16.</summary>
    Truecolor = 2,

    /// <summary>One palette index per pixel; bit depths 1, 2, 4, 8.</summary>
    Indexed = 3,

    /// <summary>Grey and alpha samples; bit depths 8, 16.</summary>
    GrayscaleAlpha = 4,

    /// <summary>Red, green, blue and alpha samples; bit depths 8, 16.</summary>
    TruecolorAlpha = 6,
}
