using Pipeline.Training;

namespace Pipeline.Tests.Training;

/// <summary>Same seed and data → bit-identical heads whatever the thread count; another seed → another MLP.</summary>
public sealed class DeterminismTests
{
    // Big enough that the kernels really run in parallel (work per call above their inline threshold).
    private static readonly FeatureSet Data = Synthetic.Blobs(n: 1200, d: 384, k: 5, seed: 31, separation: 2.5);

    private static byte[] Train(HeadOptions options, int threads)
        => ClassifierHead.Train(Data, options, context: new TrainingContext { MaxThreads = threads }).Serialize();

    [Fact]
    public void LogisticRegressionIsBitIdenticalWithOneAndTwoThreads()
    {
        var options = new HeadOptions { L2Regularization = 1e-3, MaxIterations = 60 };
        byte[] one = Train(options, 1);
        Assert.Equal(one, Train(options, 2));
        Assert.Equal(one, Train(options, 3));
    }

    [Fact]
    public void MlpIsBitIdenticalWithOneAndTwoThreadsAndDependsOnTheSeed()
    {
        var options = new HeadOptions { Kind = HeadKind.Mlp, HiddenSizes = [256], Epochs = 3, BatchSize = 64, Seed = 7 };
        byte[] one = Train(options, 1);
        Assert.Equal(one, Train(options, 2));
        Assert.NotEqual(one, Train(options with { Seed = 8 }, 2));
    }

    [Fact]
    public void TheSummaryIsReproducibleToo()
    {
        var options = new HeadOptions { Kind = HeadKind.Mlp, HiddenSizes = [32, 16], Epochs = 4, Seed = 2 };
        FeatureSet small = Synthetic.Blobs(n: 300, d: 32, k: 3, seed: 5);
        TrainingSummary a = ClassifierHead.Train(small, options, context: new TrainingContext { MaxThreads = 1 }).Summary!;
        TrainingSummary b = ClassifierHead.Train(small, options, context: new TrainingContext { MaxThreads = 2 }).Summary!;
        Assert.Equal(a.LossHistory, b.LossHistory);
        Assert.Equal(a.ValidationLossHistory, b.ValidationLossHistory);
        Assert.NotNull(a.Temperature);
        Assert.Equal(a.Temperature, b.Temperature);
    }
}
