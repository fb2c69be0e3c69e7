using Pipeline.Imaging.Webp;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// The Vector128 colour conversions (portable and SSE2) give the same bytes as the scalar one (libwebp's arithmetic) at every width from
/// 1 to 70 and a wide one, odd and even heights, on random planes (so the clamps at 0 and 255 are reached).
/// </summary>
public sealed class Vp8YuvToRgbTests
{
    [Theory]
    [InlineData("Vector128")]
    [InlineData("Sse2")]
    public void VectorMatchesScalar(string kernelName)
    {
        var kernel = Enum.Parse<Vp8YuvToRgb.Kernel>(kernelName);
        if (!Vp8YuvToRgb.UseVectors) Assert.Skip("128-bit vectors are not hardware accelerated here: only the scalar conversion runs.");
        if (kernel == Vp8YuvToRgb.Kernel.Sse2 && !System.Runtime.Intrinsics.X86.Sse2.IsSupported) Assert.Skip("no SSE2 here.");
        var random = new Random(3);
        foreach (int width in Enumerable.Range(1, 70).Append(501))
        {
            foreach (int height in new[] { 1, 2, 5, 8 })
            {
                int yStride = width + random.Next(3), uvWidth = (width + 1) / 2, uvStride = uvWidth + random.Next(3);
                var y = new byte[yStride * height];
                var u = new byte[uvStride * ((height + 1) / 2)];
                var v = new byte[u.Length];
                random.NextBytes(y);
                random.NextBytes(u);
                random.NextBytes(v);
                var scalar = new byte[3 * width * height];
                var vector = new byte[scalar.Length];
                Vp8YuvToRgb.Convert(y, yStride, u, v, uvStride, width, height, scalar, Vp8YuvToRgb.Kernel.Scalar);
                Vp8YuvToRgb.Convert(y, yStride, u, v, uvStride, width, height, vector, kernel);
                for (int i = 0; i < scalar.Length; i++)
                {
                    if (scalar[i] != vector[i])
                        Assert.Fail($"{width}x{height}: pixel ({i / 3 % width}, {i / 3 / width}) channel {i % 3}: scalar {scalar[i]}, vector {vector[i]}");
                }
            }
        }
    }
}
