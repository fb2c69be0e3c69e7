using Pipeline.Classification;
using Pipeline.Featurizers;
using Pipeline.Graph;
using Pipeline.Prediction;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;
using Pipeline.Tests.Graph;

namespace Pipeline.Tests.Tensors;

/// <summary>Every options record that takes a thread count refuses one outside 0 to <see cref="ThreadLimits.Max"/> by name.</summary>
public sealed class ThreadLimitsTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(ThreadLimits.Max + 1)]
    [InlineData(100_000)]
    [InlineData(int.MaxValue)]
    public void Out_of_range_counts_are_refused_by_every_options_record(int threads)
    {
        AssertRefused("TrainerOptions.Threads", threads, () => new TrainerOptions { Threads = threads }.Validate());
        AssertRefused("FeaturizerOptions.Threads", threads, () => new FeaturizerOptions { Threads = threads }.Validate());
        AssertRefused("ImageClassifierOptions.Threads", threads, () => ImageClassifier.Load(new MemoryStream(), new ImageClassifierOptions { Threads = threads }));
        byte[] model = new OnnxBuilder().Input("x", DataType.Float32, [1, 4]).Node("TRelu", ["x"], ["y"], "relu").Output("y").Build();
        AssertRefused("NetworkOptions.Threads", threads, () => NetworkTests.Load(model, new NetworkOptions { Threads = threads }).Dispose());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ThreadLimits.Max)]
    public void Counts_in_range_are_accepted(int threads)
    {
        new TrainerOptions { Threads = threads }.Validate();
        new FeaturizerOptions { Threads = threads }.Validate();
        ThreadLimits.Validate(threads, "Threads");
    }

    private static void AssertRefused(string setting, int threads, Action action)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(action);
        Assert.Equal(setting, e.ParamName);
        Assert.Contains($"{setting} = {threads} is out of range: use 0 (one per processor) to {ThreadLimits.Max}", e.Message, StringComparison.Ordinal);
    }
}
