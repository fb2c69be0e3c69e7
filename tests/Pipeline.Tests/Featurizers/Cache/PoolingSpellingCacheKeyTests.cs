using System.Text;
using Pipeline.Featurizers;
using Pipeline.Featurizers.Backbones;
using Pipeline.Featurizers.Cache;
using Pipeline.Graph;
using Pipeline.Graph.Onnx;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Tests.Featurizers.Backbones;
using Pipeline.Tests.Graph;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers.Cache;

/// <summary>
/// The cache key of a backbone's features depends on the pooling, not on how it was spelled: <c>gem</c> and
/// <c>gem:3</c> compute the same features, so they share entries; different poolings never do.
/// </summary>
public sealed class PoolingSpellingCacheKeyTests
{
    private static BackboneFeaturizer Create(string pooling)
        => BackboneFeaturizer.Create(Network.FromGraph(OnnxModelReader.Read(BackboneFeaturizerTests.SmallCnn(), "cnn.onnx", TestOperators.Resolve), new NetworkOptions { Threads = 2 }),
            ownsNetwork: true, "00", new BackboneSpec { Pooling = pooling }, entry: null, new FeaturizerOptions { Threads = 2 });

    private static string FingerprintOf(string pooling)
    {
        using BackboneFeaturizer featurizer = Create(pooling);
        return featurizer.Fingerprint;
    }

    [Theory]
    [InlineData("gem", "gem:3")]
    [InlineData("gem:4", "gem:4.0")]
    [InlineData("gem:4", "GEM:4")]
    [InlineData("gem:2.5", "gem:2.50")]
    [InlineData("gem:0.5", "gem:5e-1")]
    [InlineData("spp", "spp:1,2,4:max")]
    [InlineData("spp:1,2,4", "spp:1,2,4:max")]
    [InlineData("spp:1,3:avg", " SPP:1,3:AVG ")]
    [InlineData("gap", "Gap")]
    public void EquivalentSpellingsShareTheFingerprint(string one, string other)
        => Assert.Equal(FingerprintOf(one), FingerprintOf(other));

    [Theory]
    [InlineData("gem:3", "gem:4")]
    [InlineData("gem", "gem:3.5")]
    [InlineData("spp:1,2", "spp:1,2,4")]
    [InlineData("spp:1,2", "spp:2,1")]
    [InlineData("spp:1,2:max", "spp:1,2:avg")]
    [InlineData("gap", "gmp")]
    [InlineData("gap", "concat")]
    public void DifferentPoolingsDiffer(string one, string other)
        => Assert.NotEqual(FingerprintOf(one), FingerprintOf(other));

    /// <summary>A cache filled by an earlier build under a canonical spelling still hits: its fingerprint is unchanged.</summary>
    [Theory]
    [InlineData("gem:4")]
    [InlineData("gem:3")]
    [InlineData("gap")]
    [InlineData("spp:1,2,4:max")]
    [InlineData("concat")]
    public void ACanonicalSpellingKeepsTheFingerprintEarlierBuildsGaveIt(string pooling)
    {
        using BackboneFeaturizer featurizer = Create(pooling);
        string earlier = FeaturizerFingerprint.Compute("backbone", BackboneFeaturizer.AlgorithmVersion, Encoding.UTF8.GetBytes("00"), Encoding.UTF8.GetBytes(featurizer.Spec.ToJson()));
        Assert.Equal(earlier, featurizer.Fingerprint);
    }

    [Fact]
    public void FeaturesCachedUnderOneSpellingAreHitsUnderAnother()
    {
        using var folder = new ScratchFolder("pooling-spelling");
        Image[] images = SyntheticImages.Make(4, seed: 21);
        string[] paths = images.Select((image, i) => folder.File($"image{i}.png")).ToArray();
        for (int i = 0; i < images.Length; i++) PngEncoder.Save(images[i], paths[i]);
        var cache = new FeatureCache(folder.File("cache"));
        var options = new FeaturizerOptions { Threads = 2 };
        CancellationToken token = TestContext.Current.CancellationToken;

        using BackboneFeaturizer gem = Create("gem");
        ExtractedFeatures first = FeatureExtraction.FromFiles(gem, paths, cache, options, cancellation: token);
        using BackboneFeaturizer gem3 = Create("gem:3.0");
        ExtractedFeatures second = FeatureExtraction.FromFiles(gem3, paths, cache, options, cancellation: token);

        Assert.Equal((0, 4), (first.CacheHits, first.Computed));
        Assert.Equal((4, 0), (second.CacheHits, second.Computed));
        Assert.Equal(first.Features, second.Features);
    }
}
