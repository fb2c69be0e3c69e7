using System.Globalization;
using Pipeline.Graph;
using Pipeline.Graph.Tflite;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;
using Pipeline.Tensors;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Graph.Tflite;

/// <summary>
/// The real uint8 MobileNetV2 from ../shared: Coral's bar (cat.bmp → 286 "Egyptian cat" with score ≥ 0.70), the
/// three shared images' top-5, batching, and the quantization simulation's effect.
/// </summary>
public sealed class MobileNetV2QuantTests(ITestOutputHelper output)
{
    private const string ModelPath = "models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite";

    /// <summary>The model's own preprocessing: the whole image resized to 224 × 224, uint8 RGB, NHWC.</summary>
    internal static ImagePreprocessing Preprocessing(ResamplingFilter filter = ResamplingFilter.Bilinear) => new()
    {
        Width = 224, Height = 224, Mode = ResizeMode.Fill, Filter = filter, Layout = TensorLayout.Hwc, ElementType = TensorElementType.UInt8,
    };

    private static float[] Classify(Network network, string image, ResamplingFilter filter = ResamplingFilter.Bilinear)
    {
        Image decoded = ImageDecoder.Decode(SharedData.Require($"models/images/{image}"));
        Tensor input = Preprocessing(filter).ToTensor(decoded);
        return network.Run(input)[0].AsSpan<float>().ToArray();
    }

    private static int[] Top(float[] scores, int k)
        => Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();

    [Fact]
    public void CatIsAnEgyptianCatAtCoralsBar()
    {
        using Network network = Network.Load(SharedData.Require(ModelPath), new NetworkOptions { Threads = 2 });
        float[] scores = Classify(network, "cat.bmp");
        Assert.Equal(1001, scores.Length);
        int top = Top(scores, 1)[0];
        output.WriteLine($"cat.bmp: top-1 {top} score {scores[top]:0.0000}");
        Assert.Equal(286, top);
        Assert.True(scores[top] >= 0.70f, $"score {scores[top]} is below Coral's 0.70");
    }

    [Fact]
    public void ReportsTopFiveOfTheSharedImagesWithEachFilter()
    {
        string[] labels = File.ReadAllLines(SharedData.Require("models/mobilenet_v2_1.0_224_quant/imagenet_labels.txt"));
        using Network network = Network.Load(SharedData.Require(ModelPath), new NetworkOptions { Threads = 2 });
        foreach (ResamplingFilter filter in Enum.GetValues<ResamplingFilter>())
            foreach (string image in new[] { "cat.bmp", "grace_hopper.bmp", "parrot.jpg" })
            {
                float[] scores = Classify(network, image, filter);
                Assert.InRange(scores.Sum(v => (double)v), 0.999, 1.001);
                string top = string.Join("  ", Top(scores, 5).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i} {labels[i]} {scores[i]:0.0000}")));
                output.WriteLine($"{filter,-8} {image,-17} {top}");
            }
    }

    [Fact]
    public void ABatchOfSixteenEqualsSixteenSingleRuns()
    {
        using Network network = Network.Load(SharedData.Require(ModelPath), new NetworkOptions { Threads = 2 });
        Image cat = ImageDecoder.Decode(SharedData.Require("models/images/cat.bmp"));
        Image hopper = ImageDecoder.Decode(SharedData.Require("models/images/grace_hopper.bmp"));
        var images = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? cat : hopper).ToList();
        Tensor batch = Preprocessing().ToTensor(images);
        float[] all = network.Run(batch)[0].AsSpan<float>().ToArray();
        Assert.Equal(16 * 1001, all.Length);
        float[] catAlone = network.Run(Preprocessing().ToTensor(cat))[0].AsSpan<float>().ToArray();
        float[] hopperAlone = network.Run(Preprocessing().ToTensor(hopper))[0].AsSpan<float>().ToArray();
        for (int b = 0; b < 16; b++)
        {
            float[] single = b % 2 == 0 ? catAlone : hopperAlone;
            for (int i = 0; i < 1001; i++) Assert.Equal(single[i], all[b * 1001 + i], 1e-5f);
        }
    }

    [Fact]
    public void QuantizationSimulationKeepsTheAnswer()
    {
        byte[] bytes = File.ReadAllBytes(SharedData.Require(ModelPath));
        using Network plain = Network.FromGraph(TfliteModelReader.Read(bytes), new NetworkOptions { Threads = 2 });
        using Network simulated = Network.FromGraph(TfliteModelReader.Read(bytes, null, new TfliteImportOptions { SimulateQuantization = true }),
            new NetworkOptions { Threads = 2 });
        foreach (string image in new[] { "cat.bmp", "grace_hopper.bmp", "parrot.jpg" })
        {
            float[] a = Classify(plain, image), b = Classify(simulated, image);
            int topA = Top(a, 1)[0], topB = Top(b, 1)[0];
            float maxDiff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{image}: float graph top-1 {topA} ({a[topA]:0.0000}); simulated uint8 top-1 {topB} ({b[topB]:0.0000}); max |diff| {maxDiff:0.0000}"));
            Assert.Equal(topA, topB);
        }
    }

    /// <summary>
    /// TFLite's own uint8 output (score = q / 256) on the same preprocessed input bytes (bilinear resize), from LiteRT.js
    /// 2.5.3 (TFLite with XNNPACK, WebAssembly) run beside the tests: the largest scores of each image. With the
    /// quantization simulation the imported graph lands on exactly these values.
    /// </summary>
    [Theory]
    [InlineData("cat.bmp", new[] { 286, 282, 283, 420, 479 }, new[] { 191, 36, 12, 1, 1 })]
    [InlineData("grace_hopper.bmp", new[] { 653, 458, 668, 753, 835 }, new[] { 235, 2, 2, 2, 2 })]
    [InlineData("parrot.jpg", new[] { 89 }, new[] { 255 })]
    public void SimulatedQuantizationReproducesTflitesScores(string image, int[] indices, int[] expected)
    {
        using Network network = Network.Load(SharedData.Require(ModelPath), new NetworkOptions { Threads = 2, SimulateQuantization = true });
        using Network plain = Network.Load(SharedData.Require(ModelPath), new NetworkOptions { Threads = 2 });
        float[] scores = Classify(network, image), floats = Classify(plain, image);
        for (int i = 0; i < indices.Length; i++)
        {
            Assert.Equal(expected[i], (int)MathF.Round(scores[indices[i]] * 256));
            Assert.True(Math.Abs(floats[indices[i]] - expected[i] / 256f) < 0.04f, $"float score {floats[indices[i]]} vs TFLite {expected[i] / 256f}");
        }
        Assert.Equal(indices[0], Top(floats, 1)[0]);
    }
}
