using Pipeline.Training;
using Pipeline.Training.Data;
using Pipeline.Training.Heads;
using Pipeline.Training.Numerics;

namespace Pipeline.Tests.Training.Heads;

public sealed class TemperatureScalingTests
{
    /// <summary>The weighted mean cross-entropy of β·z, from the definition.</summary>
    private static double Loss(float[] logits, int[] labels, float[] weights, int k, double beta)
    {
        double loss = 0, total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double sum = 0;
            for (int c = 0; c < k; c++) sum += Math.Exp(beta * logits[i * k + c]);
            loss += weights[i] * (Math.Log(sum) - beta * logits[i * k + labels[i]]);
            total += weights[i];
        }
        return loss / total;
    }

    /// <summary>Random logits, and labels drawn from softmax(β·logits).</summary>
    private static (float[] Logits, int[] Labels) Sample(int n, int k, double beta, int seed)
    {
        var random = new Random(seed);
        var logits = new float[n * k];
        var labels = new int[n];
        var p = new double[k];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                logits[i * k + c] = (float)(2 * Synthetic.Normal(random));
                p[c] = Math.Exp(beta * logits[i * k + c]);
                sum += p[c];
            }
            double u = random.NextDouble() * sum;
            int label = 0;
            while (label < k - 1 && (u -= p[label]) > 0) label++;
            labels[i] = label;
        }
        return (logits, labels);
    }

    [Theory]
    [InlineData(0.4)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    public void RecoversTheInverseTemperatureTheLabelsWereDrawnWith(double beta)
    {
        (float[] logits, int[] labels) = Sample(n: 20_000, k: 4, beta, seed: 3);
        double fitted = TemperatureScaling.FitInverseTemperature(logits, labels, Enumerable.Repeat(1f, labels.Length).ToArray(), 4);
        Assert.InRange(fitted, beta * 0.95, beta * 1.05);
    }

    [Fact]
    public void TheFitMinimizesTheWeightedLossAndAWeightOfTwoCountsARowTwice()
    {
        (float[] logits, int[] labels) = Sample(n: 300, k: 5, beta: 0.7, seed: 9);
        var random = new Random(4);
        float[] weights = labels.Select(_ => (float)random.Next(1, 3)).ToArray();
        double fitted = TemperatureScaling.FitInverseTemperature(logits, labels, weights, 5);
        double at = Loss(logits, labels, weights, 5, fitted);
        Assert.True(at <= Loss(logits, labels, weights, 5, fitted * 1.001) && at <= Loss(logits, labels, weights, 5, fitted / 1.001), $"β = {fitted} is not the minimum");

        // The same data with each weight-2 row written out twice at weight 1.
        var rows = Enumerable.Range(0, labels.Length).SelectMany(i => Enumerable.Repeat(i, (int)weights[i])).ToArray();
        float[] repeatedLogits = rows.SelectMany(i => logits.Skip(i * 5).Take(5)).ToArray();
        int[] repeatedLabels = rows.Select(i => labels[i]).ToArray();
        double repeated = TemperatureScaling.FitInverseTemperature(repeatedLogits, repeatedLabels, Enumerable.Repeat(1f, rows.Length).ToArray(), 5);
        Assert.Equal(fitted, repeated, 1e-6);
    }

    [Fact]
    public void PerfectlySeparatedLogitsSharpenOnlyUpToTheLimit()
    {
        float[] logits = [3, 0, 0, 0, 2, 1, 1, 0, 4];
        int[] labels = [0, 1, 2];
        double fitted = TemperatureScaling.FitInverseTemperature(logits, labels, [1, 1, 1], 3);
        Assert.Equal(TemperatureScaling.MaxInverseTemperature, fitted, 1e-9);
    }

    [Fact]
    public void FlatLogitsKeepTheHeadAsItIs()
    {
        Assert.Equal(1, TemperatureScaling.FitInverseTemperature([2, 2, 2, -1, -1, -1], [0, 2], [1, 1], 3));
        Assert.Equal(1, TemperatureScaling.FitInverseTemperature([5, -3, 0.5f], [0, 0, 0], [1, 1, 1], 1));
    }

    [Theory]
    [InlineData(HeadKind.Logistic)]
    [InlineData(HeadKind.Mlp)]
    public void TheTemperatureIsFittedToTheHeldOutLogitsOfThreeFoldFitsWeightedByClass(HeadKind kind)
    {
        // The documented procedure, assembled from its parts: 3 stratified folds from the seed, each fitted without
        // calibration, the held-out rows' logits, each row weighted by its class.
        FeatureSet data = Synthetic.Blobs(n: 150, d: 40, k: 3, seed: 8, separation: 2);
        var options = new HeadOptions { Kind = kind, HiddenSizes = [16], Epochs = 20, Seed = 5, ClassWeighting = ClassWeighting.Explicit, ClassWeights = [2, 1, 0.5f] };
        var logits = new float[data.Count * 3];
        foreach (DataSplit split in StratifiedSplits.KFold(data.Labels.Span, 3, 3, options.Seed))
        {
            HeadModel fold = ClassifierHead.Train(data.Subset(split.Train), options with { Calibrate = false }).Model;
            var held = new float[split.Validation.Length * 3];
            fold.Forward(data.Subset(split.Validation).Features.Span, split.Validation.Length, held, probabilities: false, pool: null, VectorWidths.Best);
            for (int i = 0; i < split.Validation.Length; i++) held.AsSpan(i * 3, 3).CopyTo(logits.AsSpan(split.Validation[i] * 3));
        }
        float[] weights = data.Labels.ToArray().Select(y => options.ClassWeights![y]).ToArray();
        double expected = 1 / TemperatureScaling.FitInverseTemperature(logits, data.Labels.Span, weights, 3);

        Assert.Equal(expected, ClassifierHead.Train(data, options).Summary!.Temperature!.Value, 1e-12);
    }

    [Theory]
    [InlineData(HeadKind.Logistic)]
    [InlineData(HeadKind.Mlp)]
    public void RetrainingOnRowsTheOldHeadHasSeenCalibratesAsAFreshFitDoes(HeadKind kind)
    {
        // The fold fits start from scratch: warm-started from the old head, which saw every held-out row, the MLP's
        // held-out logits looked perfect and the temperature fell to its 0.01 floor (a sharpened, far worse head).
        FeatureSet train = Synthetic.Blobs(n: 90, d: 200, k: 3, seed: 12, separation: 2.5);
        var options = new HeadOptions { Kind = kind, L2Regularization = 1e-4, Seed = 1 };
        ClassifierHead fresh = ClassifierHead.Train(train, options);
        ClassifierHead retrained = fresh.Retrain(train, options);
        Assert.Equal(fresh.Summary!.Temperature, retrained.Summary!.Temperature);
        Assert.True(retrained.Summary.Temperature > 1, $"T = {retrained.Summary.Temperature}");
    }

    [Theory]
    [InlineData(HeadKind.Logistic)]
    [InlineData(HeadKind.Mlp)]
    public void ScalingMultipliesEveryLogitAndLeavesTheRestOfTheHeadAlone(HeadKind kind)
    {
        FeatureSet data = Synthetic.Blobs(n: 120, d: 12, k: 3, seed: 6);
        HeadModel model = ClassifierHead.Train(data, new HeadOptions { Kind = kind, HiddenSizes = [8], Epochs = 5, Seed = 1, Calibrate = false }).Model;
        HeadModel scaled = TemperatureScaling.Scale(model, 0.37);
        var before = new float[data.Count * 3];
        var after = new float[data.Count * 3];
        model.Forward(data.Features.Span, data.Count, before, probabilities: false, pool: null, VectorWidth.Scalar);
        scaled.Forward(data.Features.Span, data.Count, after, probabilities: false, pool: null, VectorWidth.Scalar);
        for (int i = 0; i < before.Length; i++) Assert.Equal(0.37 * before[i], after[i], 1e-5 * (1 + Math.Abs(before[i])));
        Assert.Same(model.Mean, scaled.Mean);
        if (kind == HeadKind.Mlp)
            Assert.Equal(model.Parameters.AsSpan(0, model.Layout.WeightOffset(1)).ToArray(), scaled.Parameters.AsSpan(0, scaled.Layout.WeightOffset(1)).ToArray());
    }

    [Theory]
    [InlineData(HeadKind.Logistic)]
    [InlineData(HeadKind.Mlp)]
    public void CalibrationLowersTheHeldOutLossOfAnOverfittedHeadWithoutChangingAnyClass(HeadKind kind)
    {
        // 200 features and 90 training rows: the head separates its training rows and is overconfident beyond them.
        FeatureSet all = Synthetic.Blobs(n: 690, d: 200, k: 3, seed: 12, separation: 2.5);
        FeatureSet train = all.Subset(Enumerable.Range(0, 90).ToArray());
        FeatureSet test = all.Subset(Enumerable.Range(90, 600).ToArray());
        var options = new HeadOptions { Kind = kind, L2Regularization = 1e-4, Seed = 1 };
        ClassifierHead raw = ClassifierHead.Train(train, options with { Calibrate = false });
        ClassifierHead calibrated = ClassifierHead.Train(train, options);

        Assert.Equal("off", raw.Summary!.Calibration);
        Assert.Null(raw.Summary.Temperature);
        Assert.Equal("temperature scaling (3-fold)", calibrated.Summary!.Calibration);
        Assert.True(calibrated.Summary.Temperature > 1, $"an overconfident head is softened, not sharpened (T = {calibrated.Summary.Temperature})");
        for (int i = 0; i < test.Count; i++) Assert.Equal(raw.PredictClass(test.Row(i)), calibrated.PredictClass(test.Row(i)));
        double before = raw.Evaluate(test).LogLoss, after = calibrated.Evaluate(test).LogLoss;
        // L2-regularized logistic regression on 200 features is far more overconfident than the MLP, whose dropout,
        // weight decay and early stopping already temper it.
        Assert.True(after < (kind == HeadKind.Logistic ? 0.9 : 1.0) * before, $"held-out log-loss {before:F4} -> {after:F4}");
    }

    [Fact]
    public void PerfectlySeparatedHeldOutRowsLeaveTheHeadUnsharpened()
    {
        // Far-apart blobs: every out-of-fold row is right with a wide margin, so the fitted β runs to its bound.
        FeatureSet data = Synthetic.Blobs(n: 30, d: 4, k: 3, seed: 3, separation: 50);
        ClassifierHead head = ClassifierHead.Train(data, new HeadOptions { Seed = 1 });
        Assert.Equal("skipped: every held-out row is separated, so no finite temperature fits them", head.Summary!.Calibration);
        Assert.Null(head.Summary.Temperature);
        Assert.Equal(ClassifierHead.Train(data, new HeadOptions { Seed = 1, Calibrate = false }).Serialize(), head.Serialize());
    }

    [Fact]
    public void AClassWithTooFewRowsSkipsCalibrationAndSaysWhy()
    {
        FeatureSet blobs = Synthetic.Blobs(n: 60, d: 8, k: 3, seed: 2);
        // Keep only two rows of class 2.
        int[] rows = Enumerable.Range(0, blobs.Count).Where(i => blobs.Labels.Span[i] != 2 || i < 8).ToArray();
        FeatureSet data = blobs.Subset(rows);
        ClassifierHead head = ClassifierHead.Train(data, new HeadOptions { Seed = 1 });
        Assert.Equal("skipped: class 2 has 2 training rows; calibration needs 3", head.Summary!.Calibration);
        Assert.Null(head.Summary.Temperature);
        Assert.Equal(ClassifierHead.Train(data, new HeadOptions { Seed = 1, Calibrate = false }).Serialize(), head.Serialize());

        // With the class names at hand, the reason names the class.
        var named = new TrainingContext { ClassNames = ["daisy", "rose", "tulip"] };
        Assert.Equal("skipped: class 'tulip' has 2 training rows; calibration needs 3",
            ClassifierHead.Train(data, new HeadOptions { Seed = 1 }, context: named).Summary!.Calibration);

        // A class weighted 0 does not count.
        var ignored = new HeadOptions { Seed = 1, ClassWeighting = ClassWeighting.Explicit, ClassWeights = [1, 1, 0] };
        Assert.StartsWith("temperature scaling", ClassifierHead.Train(data, ignored).Summary!.Calibration, StringComparison.Ordinal);
    }
}
