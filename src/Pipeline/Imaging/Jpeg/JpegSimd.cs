using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// Which vector width the JPEG kernels use. The scalar code is always there and always gives the same bytes;
/// tests switch the vectors off to prove it.
/// </summary>
internal static class JpegSimd
{
    /// <summary>True when the Vector256 (AVX2) kernels run: the IDCT, color conversion and upsampling.</summary>
    public static bool Vector256 { get; set; } = Avx2.IsSupported;
}
