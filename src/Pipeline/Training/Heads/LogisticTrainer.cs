using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Data;
using Pipeline.Training.Numerics;
using Pipeline.Training.Optimizers;

namespace Pipeline.Training.Heads;

/// <summary>Fits multinomial logistic regression with L-BFGS on the full training set (see <see cref="LogisticObjective"/>).</summary>
internal static class LogisticTrainer
{
    public static (HeadModel Model, TrainingSummary Summary) Train(FeatureSet train, FeatureSet? validation, HeadOptions options,
        HeadModel? previous, FrozenParameters? frozen, WorkerPool pool, TrainingContext context, VectorWidth width)
    {
        bool standardize = previous?.Standardized ?? options.Standardize;
        (float[]? mean, float[]? scale) = standardize ? Standardizer.Fit(train) : (null, null);
        float[] classWeights = ClassWeights.Resolve(options, train);
        var layout = new DenseLayout([train.Dimension, train.ClassCount]);

        var theta = new double[layout.ParameterCount];
        if (previous is not null)
        {
            float[] start = WarmStart.Parameters(previous, layout, mean, scale);
            for (int i = 0; i < start.Length; i++) theta[i] = start[i];
        }

        var objective = new LogisticObjective(train, mean, scale, ClassWeights.PerRow(classWeights, train), options.L2Regularization, pool, width);
        var settings = new LbfgsSettings
        {
            History = options.HistorySize,
            MaxIterations = options.MaxIterations,
            RelativeTolerance = options.Tolerance,
            GradientTolerance = 100 * options.Tolerance,
        };
        IProgress<TrainingProgress>? progress = context.Progress;
        LbfgsResult result = Lbfgs.Minimize(frozen is null ? objective : frozen.Mask(objective), theta, settings,
            progress is null ? null : (iteration, loss, step) => progress.Report(new TrainingProgress(iteration, options.MaxIterations, loss, null, step)),
            context.CancellationToken);

        var parameters = new float[theta.Length];
        for (int i = 0; i < theta.Length; i++) parameters[i] = (float)theta[i];
        var model = new HeadModel(HeadKind.Logistic, layout, parameters, mean, scale);
        double? validationLoss = validation is null ? null : HeadLoss.WeightedCrossEntropy(model, validation, classWeights, pool, width);
        var summary = new TrainingSummary
        {
            Iterations = result.Iterations,
            Evaluations = result.Evaluations,
            StopReason = result.Stop switch
            {
                LbfgsStop.GradientTolerance => "gradientTolerance",
                LbfgsStop.Converged => "converged",
                LbfgsStop.MaxIterations => "maxIterations",
                _ => "lineSearchFailed",
            },
            FinalLoss = result.Value,
            BestIteration = result.Iterations,
            ValidationLoss = validationLoss,
            LossHistory = result.LossHistory,
        };
        return (model, summary);
    }
}
