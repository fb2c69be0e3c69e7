using Pipeline.Training;
using Pipeline.Training.Heads;
using Pipeline.Training.Numerics;
using Pipeline.Training.Optimizers;

namespace Pipeline.Tests.Training.Heads;

public sealed class MlpTrainingTests
{
    private static FeatureSet Xor(int n, int seed)
    {
        var random = new Random(seed);
        var x = new float[n * 2];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            int a = i & 1, b = (i >> 1) & 1;
            x[2 * i] = (float)(2 * a - 1 + 0.2 * Synthetic.Normal(random));
            x[2 * i + 1] = (float)(2 * b - 1 + 0.2 * Synthetic.Normal(random));
            y[i] = a ^ b;
        }
        return new FeatureSet(x, 2, y, 2);
    }

    private static FeatureSet Spirals(int perClass, int classes, int seed)
    {
        var random = new Random(seed);
        int n = perClass * classes;
        var x = new float[n * 2];
        var y = new int[n];
        for (int c = 0; c < classes; c++)
        for (int i = 0; i < perClass; i++)
        {
            int row = c * perClass + i;
            double r = (double)i / perClass;
            double t = c * 2 * Math.PI / classes + 1.75 * 2 * Math.PI * r + 0.15 * Synthetic.Normal(random);
            x[2 * row] = (float)(r * Math.Cos(t));
            x[2 * row + 1] = (float)(r * Math.Sin(t));
            y[row] = c;
        }
        return new FeatureSet(x, 2, y, classes);
    }

    [Fact]
    public void LearnsXorWhichLogisticRegressionCannot()
    {
        FeatureSet data = Xor(200, 1);
        var mlp = new HeadOptions { Kind = HeadKind.Mlp, HiddenSizes = [16], Epochs = 150, LearningRate = 0.02, Dropout = 0, Patience = 0, BatchSize = 16, Seed = 3 };
        Assert.True(ClassifierHead.Train(data, mlp).Evaluate(data).MicroAccuracy >= 0.99);
        Assert.True(ClassifierHead.Train(data, new HeadOptions()).Evaluate(data).MicroAccuracy <= 0.8);
    }

    [Fact]
    public void LearnsThreeInterleavedSpirals()
    {
        FeatureSet data = Spirals(100, 3, 2);
        var options = new HeadOptions
        {
            Kind = HeadKind.Mlp, HiddenSizes = [64, 64], Epochs = 400, LearningRate = 0.01, Dropout = 0, WeightDecay = 0,
            Patience = 0, BatchSize = 32, Seed = 1,
        };
        ClassifierHead head = ClassifierHead.Train(data, options);
        double accuracy = head.Evaluate(data).MicroAccuracy;
        Assert.True(accuracy >= 0.95, $"spiral accuracy {accuracy}");
    }

    [Fact]
    public void EarlyStoppingRestoresTheBestEpoch()
    {
        // Few, noisy rows and many features: the MLP overfits, so the validation loss turns up after a few epochs.
        FeatureSet train = Synthetic.Blobs(n: 40, d: 200, k: 4, seed: 21, separation: 3);
        FeatureSet validation = Synthetic.Blobs(n: 200, d: 200, k: 4, seed: 22, separation: 3);
        var options = new HeadOptions
        {
            Kind = HeadKind.Mlp, HiddenSizes = [128], Epochs = 300, LearningRate = 0.01, Schedule = LearningRateSchedule.Constant,
            WarmupEpochs = 0, Dropout = 0, WeightDecay = 0, Patience = 5, BatchSize = 8, Seed = 4,
            Calibrate = false, // the kept weights themselves are checked; calibration would rescale their last layer
        };
        ClassifierHead head = ClassifierHead.Train(train, options, validation);
        TrainingSummary summary = head.Summary!;
        Assert.Equal("earlyStopping", summary.StopReason);
        double[] history = summary.ValidationLossHistory;
        int best = Array.IndexOf(history, history.Min()) + 1;
        Assert.Equal(best, summary.BestIteration);
        Assert.Equal(best + options.Patience, summary.Iterations);
        Assert.True(history[^1] > history[best - 1]);
        // The returned weights are the best epoch's: their validation loss is the minimum of the history.
        var probabilities = new float[validation.Count * 4];
        head.PredictProbabilities(validation.Features.Span, validation.Count, probabilities);
        double loss = 0;
        for (int i = 0; i < validation.Count; i++) loss -= Math.Log(probabilities[i * 4 + validation.Labels.Span[i]]);
        Assert.Equal(history[best - 1], loss / validation.Count, 4);
    }

    [Fact]
    public void HoldsOutAValidationSplitWhenNoneIsGiven()
    {
        FeatureSet data = Synthetic.Blobs(n: 600, d: 8, k: 2, seed: 23);
        ClassifierHead head = ClassifierHead.Train(data, new HeadOptions { Kind = HeadKind.Mlp, Epochs = 5, HiddenSizes = [8] });
        Assert.Equal(5, head.Summary!.ValidationLossHistory.Length);
        Assert.NotNull(head.Summary.ValidationLoss);
    }

    [Fact]
    public void A_small_training_set_is_not_split_and_runs_every_epoch()
    {
        // 10% of 300 rows is 30, under the 50-row minimum: no holdout, no early stopping, all epochs on all rows.
        FeatureSet data = Synthetic.Blobs(n: 300, d: 8, k: 3, seed: 24);
        ClassifierHead head = ClassifierHead.Train(data, new HeadOptions { Kind = HeadKind.Mlp, Epochs = 7, HiddenSizes = [8], Patience = 1 });
        Assert.Empty(head.Summary!.ValidationLossHistory);
        Assert.Null(head.Summary.ValidationLoss);
        Assert.Equal(7, head.Summary.Iterations);
        Assert.Equal("epochs", head.Summary.StopReason);
    }

    [Fact]
    public void SchedulesGiveTheDocumentedRates()
    {
        // 10 steps per epoch, 10 epochs, 2 warm-up epochs: steps 0..19 warm up, 20..99 follow the schedule.
        var cosine = new LearningRateScheduler(LearningRateSchedule.Cosine, 0.1, 0.001, warmupSteps: 20, totalSteps: 100, stepsPerEpoch: 10, stepEpochs: 3, gamma: 0.5);
        Assert.Equal(0.1 * 1 / 20, cosine.At(0), 12);
        Assert.Equal(0.1 * 10 / 20, cosine.At(9), 12);
        Assert.Equal(0.1, cosine.At(19), 12);
        Assert.Equal(0.1, cosine.At(20), 12);                       // t = 0: the peak
        Assert.Equal(0.001 + 0.099 * 0.5 * (1 + Math.Cos(Math.PI * 39 / 79.0)), cosine.At(59), 12);
        Assert.Equal(0.001, cosine.At(99), 12);                     // t = 1: the minimum at the last step

        var step = new LearningRateScheduler(LearningRateSchedule.Step, 0.1, 0, warmupSteps: 0, totalSteps: 100, stepsPerEpoch: 10, stepEpochs: 3, gamma: 0.5);
        Assert.Equal(0.1, step.At(0), 12);
        Assert.Equal(0.1, step.At(29), 12);     // epoch 2
        Assert.Equal(0.05, step.At(30), 12);    // epoch 3
        Assert.Equal(0.025, step.At(65), 12);   // epoch 6
        var constant = new LearningRateScheduler(LearningRateSchedule.Constant, 0.1, 0, 0, 100, 10, 3, 0.5);
        Assert.Equal(0.1, constant.At(77), 12);
    }

    [Fact]
    public void AdamWTakesTheTextbookStep()
    {
        // One weight and one bias, g = 0.5 for both, lr = 0.1, wd = 0.01, first step:
        // m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25, step = lr·m̂/(√v̂ + ε) = 0.1·0.5/0.5 = 0.1.
        // weight: 1·(1 − lr·wd) − 0.1 = 0.899;  bias (no decay): 1 − 0.1 = 0.9.
        var layout = new DenseLayout([1, 1]);
        float[] p = [1f, 1f];
        new AdamW(layout).Step(p, [0.5f, 0.5f], 0.1, 0.01);
        Assert.Equal(0.899f, p[0], 5);
        Assert.Equal(0.9f, p[1], 5);
    }
}
