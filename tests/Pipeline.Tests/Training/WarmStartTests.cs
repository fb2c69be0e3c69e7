using Pipeline.Training;
using Pipeline.Training.Heads;

namespace Pipeline.Tests.Training;

public sealed class WarmStartTests
{
    // Four well-separated classes; the first head only ever sees classes 0–2.
    private static readonly FeatureSet All = Synthetic.Blobs(n: 800, d: 24, k: 4, seed: 41, separation: 4, offset: 1);
    private static readonly FeatureSet Test = Synthetic.Blobs(n: 800, d: 24, k: 4, seed: 41, separation: 4, offset: 1);

    private static FeatureSet OldClassesOnly(FeatureSet data)
    {
        int[] rows = Enumerable.Range(0, data.Count).Where(i => data.Labels.Span[i] < 3).ToArray();
        FeatureSet subset = data.Subset(rows);
        return new FeatureSet(subset.Features, subset.Dimension, subset.Labels, 3);
    }

    public static TheoryData<int> Kinds() => [(int)HeadKind.Logistic, (int)HeadKind.Mlp];

    private static HeadOptions Options(HeadKind kind) => kind == HeadKind.Logistic
        ? new HeadOptions { L2Regularization = 1e-2 }
        : new HeadOptions { Kind = HeadKind.Mlp, HiddenSizes = [32], Epochs = 30, Seed = 5, LearningRate = 3e-3 };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AddingAClassKeepsTheOldOnesAndLearnsTheNewOne(int kindValue)
    {
        var kind = (HeadKind)kindValue;
        ClassifierHead old = ClassifierHead.Train(OldClassesOnly(All), Options(kind));
        MulticlassAccuracy(old, OldClassesOnly(Test), out double oldAccuracy);
        Assert.True(oldAccuracy >= 0.97, $"old head accuracy {oldAccuracy}");

        ClassifierHead retrained = old.Retrain(All, Options(kind));
        Assert.Equal(4, retrained.ClassCount);
        var metrics = retrained.Evaluate(Test);
        for (int c = 0; c < 3; c++) Assert.True(metrics.ConfusionMatrix.PerClassRecall[c] >= oldAccuracy - 0.03, $"old class {c} recall {metrics.ConfusionMatrix.PerClassRecall[c]}");
        Assert.True(metrics.ConfusionMatrix.PerClassRecall[3] >= 0.95, $"new class recall {metrics.ConfusionMatrix.PerClassRecall[3]}");

        // Evaluating the old head on data with the new class counts those rows as unknown-class errors, as ML.NET does.
        var oldOnNew = old.Evaluate(Test);
        Assert.Equal(200, oldOnNew.UnknownClassCount);
        Assert.True(oldOnNew.MicroAccuracy <= 0.75);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheWarmStartComputesTheOldFunctionUnderTheNewStandardization(int kindValue)
    {
        var kind = (HeadKind)kindValue;
        ClassifierHead old = ClassifierHead.Train(OldClassesOnly(All), Options(kind));
        // New statistics from a differently distributed set: the re-expressed first layer must absorb them exactly.
        FeatureSet shifted = Synthetic.Blobs(n: 400, d: 24, k: 4, seed: 42, separation: 4, offset: 3, featureScale: 2);
        (float[] mean, float[] scale) = Pipeline.Training.Data.Standardizer.Fit(shifted);
        var layout = new Pipeline.Training.Numerics.DenseLayout([24, .. old.Spec.HiddenSizes, 4]);
        float[] start = WarmStart.Parameters(old.Model, layout, mean, scale);
        var warm = new HeadModel(kind, layout, start, mean, scale);

        var oldLogits = new float[Test.Count * 3];
        var warmLogits = new float[Test.Count * 4];
        old.Model.Forward(Test.Features.Span, Test.Count, oldLogits, probabilities: false, null, Pipeline.Training.Numerics.VectorWidths.Best);
        warm.Forward(Test.Features.Span, Test.Count, warmLogits, probabilities: false, null, Pipeline.Training.Numerics.VectorWidths.Best);
        for (int i = 0; i < Test.Count; i++)
            for (int c = 0; c < 3; c++)
                Assert.True(Math.Abs(oldLogits[i * 3 + c] - warmLogits[i * 4 + c]) <= 1e-3 * (1 + Math.Abs(oldLogits[i * 3 + c])),
                    $"row {i} class {c}: {oldLogits[i * 3 + c]} vs {warmLogits[i * 4 + c]}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AClassMissingFromTheNewDataKeepsItsWeightsAndIsStillPredicted(int kindValue)
    {
        // Retraining the 3-class head on rows of classes 0 and 1 only. Trained freely, softmax pushes class 2 down on
        // every row and it is never predicted again; kept, it scores exactly as before.
        var kind = (HeadKind)kindValue;
        FeatureSet oldData = OldClassesOnly(All);
        ClassifierHead old = ClassifierHead.Train(oldData, Options(kind));
        FeatureSet withoutClass2 = oldData.Subset(Enumerable.Range(0, oldData.Count).Where(i => oldData.Labels.Span[i] != 2).ToArray());
        ClassifierHead retrained = old.Retrain(withoutClass2, Options(kind));
        Assert.Equal([2], retrained.Summary!.KeptClasses);

        var metrics = retrained.Evaluate(OldClassesOnly(Test));
        for (int c = 0; c < 3; c++)
            Assert.True(metrics.ConfusionMatrix.PerClassRecall[c] >= 0.9, $"class {c} recall {metrics.ConfusionMatrix.PerClassRecall[c]}");

        // The kept class's logit is the old head's, to float rounding (the first layer is re-expressed for the new
        // standardization), times the recalibration's 1/T, which scales every class alike.
        double beta = 1 / (retrained.Summary.Temperature ?? 1);
        var oldLogits = new float[Test.Count * 3];
        var newLogits = new float[Test.Count * 3];
        old.Model.Forward(Test.Features.Span, Test.Count, oldLogits, probabilities: false, null, Pipeline.Training.Numerics.VectorWidths.Best);
        retrained.Model.Forward(Test.Features.Span, Test.Count, newLogits, probabilities: false, null, Pipeline.Training.Numerics.VectorWidths.Best);
        for (int i = 0; i < Test.Count; i++)
            Assert.True(Math.Abs(beta * oldLogits[i * 3 + 2] - newLogits[i * 3 + 2]) <= 1e-3 * (1 + Math.Abs(beta * oldLogits[i * 3 + 2])),
                $"row {i}: {beta} × {oldLogits[i * 3 + 2]} vs {newLogits[i * 3 + 2]}");

        // With every old class present nothing is kept.
        Assert.Empty(old.Retrain(oldData, Options(kind)).Summary!.KeptClasses);
    }

    [Fact]
    public void RetrainingRejectsAnotherArchitecture()
    {
        ClassifierHead old = ClassifierHead.Train(OldClassesOnly(All), Options(HeadKind.Mlp) with { Epochs = 1 });
        Assert.Throws<ArgumentException>(() => old.Retrain(All, new HeadOptions()));
        Assert.Throws<ArgumentException>(() => old.Retrain(All, Options(HeadKind.Mlp) with { HiddenSizes = [16] }));
        Assert.Throws<ArgumentException>(() => old.Retrain(Synthetic.Blobs(40, 8, 4, 1), Options(HeadKind.Mlp)));
    }

    private static void MulticlassAccuracy(ClassifierHead head, FeatureSet data, out double accuracy)
        => accuracy = head.Evaluate(data).MicroAccuracy;
}
