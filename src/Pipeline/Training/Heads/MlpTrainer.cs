using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Data;
using Pipeline.Training.Numerics;
using Pipeline.Training.Optimizers;
using Pipeline.Training.Randomness;

namespace Pipeline.Training.Heads;

/// <summary>
/// Trains the MLP head: shuffled mini-batches, inverted dropout, AdamW with a learning-rate schedule, and early
/// stopping on the validation loss with patience (the best epoch's weights are restored). Every random draw comes
/// from streams of <see cref="HeadOptions.Seed"/>, drawn on the training thread in a fixed order.
/// </summary>
internal static class MlpTrainer
{
    /// <summary>
    /// The fewest rows worth holding out for early stopping. On fewer, the validation loss is too coarse to stop on:
    /// MobileNetV2 features of flowers-small (160 training images, 16 held out) cross-validate at 0.81 with early
    /// stopping and 0.845 training every epoch on all rows.
    /// </summary>
    internal const int MinimumHoldout = 50;

    // Independent random streams of one seed.
    private const ulong InitStream = 1, ShuffleStream = 2, DropoutStream = 3, SplitStream = 4;

    public static (HeadModel Model, TrainingSummary Summary) Train(FeatureSet train, FeatureSet? validation, HeadOptions options,
        HeadModel? previous, FrozenParameters? frozen, WorkerPool pool, TrainingContext context, VectorWidth width)
    {
        if (validation is null && options.Patience > 0 && options.ValidationFraction > 0 && train.Count * options.ValidationFraction >= MinimumHoldout)
        {
            DataSplit split = StratifiedSplits.TrainValidation(train.Labels.Span, train.ClassCount, options.ValidationFraction,
                unchecked((int)((uint)options.Seed ^ (uint)SplitStream * 0x9E3779B9u)));
            if (split.Validation.Length > 0 && split.Train.Length > 0)
            {
                validation = train.Subset(split.Validation);
                train = train.Subset(split.Train);
            }
        }

        bool standardize = previous?.Standardized ?? options.Standardize;
        (float[]? mean, float[]? scale) = standardize ? Standardizer.Fit(train) : (null, null);
        float[] classWeights = ClassWeights.Resolve(options, train);
        float[] rowWeights = ClassWeights.PerRow(classWeights, train);
        int[] sizes = [train.Dimension, .. previous is null ? options.HiddenSizes : previous.Spec().HiddenSizes, train.ClassCount];
        var layout = new DenseLayout(sizes);
        ulong seed = (ulong)(uint)options.Seed;
        float[] parameters = previous is null ? Initialize(layout, seed) : WarmStart.Parameters(previous, layout, mean, scale);
        // AdamW's decoupled weight decay moves a parameter even where its gradient is zero, so frozen ones are put back.
        float[]? warmStart = frozen is null ? null : (float[])parameters.Clone();

        int n = train.Count, d = train.Dimension;
        int batchSize = Math.Min(options.BatchSize, n);
        int stepsPerEpoch = (n + batchSize - 1) / batchSize;
        var network = new MlpNetwork(layout, batchSize);
        var gradient = new float[layout.ParameterCount];
        var adam = new AdamW(layout);
        var schedule = LearningRateScheduler.From(options, stepsPerEpoch);
        var shuffleRandom = new Xoshiro256StarStar(seed, ShuffleStream);
        var dropoutRandom = new Xoshiro256StarStar(seed, DropoutStream);
        bool dropout = options.Dropout > 0 && layout.LayerCount > 1;

        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var batchLabels = new int[batchSize];
        var batchWeights = new float[batchSize];
        ReadOnlySpan<float> features = train.Features.Span;
        ReadOnlySpan<int> labels = train.Labels.Span;
        var current = new HeadModel(HeadKind.Mlp, layout, parameters, mean, scale); // a live view for validation

        var lossHistory = new List<double>();
        var validationHistory = new List<double>();
        float[]? best = validation is null ? null : (float[])parameters.Clone();
        double bestLoss = double.PositiveInfinity;
        int bestEpoch = 0, sinceBest = 0, step = 0, epoch = 0;
        string stop = "epochs";
        double rate = 0;
        while (epoch < options.Epochs)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            shuffleRandom.Shuffle(order);
            double epochLoss = 0, epochWeight = 0;
            for (int start = 0; start < n; start += batchSize)
            {
                int rows = Math.Min(batchSize, n - start);
                double batchWeight = 0;
                for (int r = 0; r < rows; r++)
                {
                    int row = order[start + r];
                    Span<float> target = network.Input.AsSpan(r * d, d);
                    if (mean is null) features.Slice(row * d, d).CopyTo(target);
                    else Standardizer.Apply(features.Slice(row * d, d), mean, scale, target);
                    batchLabels[r] = labels[row];
                    batchWeights[r] = rowWeights[row];
                    batchWeight += rowWeights[row];
                }
                if (dropout) network.DrawDropoutMasks(ref dropoutRandom, rows, options.Dropout);
                rate = schedule.At(step++);
                if (batchWeight <= 0) continue; // only zero-weight classes in this batch: nothing to learn from
                epochLoss += network.Forward(parameters, rows, batchLabels, batchWeights, dropout, pool, width);
                epochWeight += batchWeight;
                network.Backward(parameters, gradient, rows, batchLabels, batchWeights, batchWeight, dropout, pool, width);
                adam.Step(parameters, gradient, rate, options.WeightDecay);
                frozen?.Restore(parameters, warmStart!);
            }
            epoch++;
            double trainingLoss = epochWeight > 0 ? epochLoss / epochWeight : 0;
            lossHistory.Add(trainingLoss);
            double? validationLoss = null;
            if (validation is not null)
            {
                double loss = HeadLoss.WeightedCrossEntropy(current, validation, classWeights, pool, width);
                validationLoss = loss;
                validationHistory.Add(loss);
                if (loss < bestLoss)
                {
                    bestLoss = loss;
                    bestEpoch = epoch;
                    sinceBest = 0;
                    parameters.CopyTo(best!, 0);
                }
                else if (options.Patience > 0 && ++sinceBest >= options.Patience)
                {
                    stop = "earlyStopping";
                    context.Progress?.Report(new TrainingProgress(epoch, options.Epochs, trainingLoss, validationLoss, rate));
                    break;
                }
            }
            context.Progress?.Report(new TrainingProgress(epoch, options.Epochs, trainingLoss, validationLoss, rate));
        }

        if (best is not null) best.CopyTo(parameters, 0);
        else bestEpoch = epoch;
        var model = new HeadModel(HeadKind.Mlp, layout, parameters, mean, scale);
        var summary = new TrainingSummary
        {
            Iterations = epoch,
            Evaluations = step,
            StopReason = stop,
            FinalLoss = bestEpoch > 0 ? lossHistory[bestEpoch - 1] : double.NaN,
            BestIteration = bestEpoch,
            ValidationLoss = validation is null ? null : bestLoss,
            LossHistory = lossHistory.ToArray(),
            ValidationLossHistory = validationHistory.ToArray(),
        };
        return (model, summary);
    }

    /// <summary>He-uniform weights for the ReLU layers (bound √(6 / fan_in)), Glorot-uniform for the output layer
    /// (bound √(6 / (fan_in + fan_out))), zero biases.</summary>
    internal static float[] Initialize(DenseLayout layout, ulong seed)
    {
        var random = new Xoshiro256StarStar(seed, InitStream);
        var parameters = new float[layout.ParameterCount];
        for (int l = 0; l < layout.LayerCount; l++)
        {
            bool output = l == layout.LayerCount - 1;
            double bound = output ? Math.Sqrt(6.0 / (layout.In(l) + layout.Out(l))) : Math.Sqrt(6.0 / layout.In(l));
            Span<float> weights = layout.Weights(parameters, l);
            for (int i = 0; i < weights.Length; i++) weights[i] = (float)((2 * random.NextDouble() - 1) * bound);
        }
        return parameters;
    }
}
