namespace Pipeline.Training.Optimizers;

/// <summary>
/// The learning rate at each mini-batch step: linear warm-up over the first <c>warmupSteps</c> steps (from
/// base/warmupSteps up to base), then the chosen schedule over the remaining steps.
/// <list type="bullet">
/// <item>constant: base;</item>
/// <item>cosine: <c>min + (base − min) · (1 + cos(π · t)) / 2</c>, t going from 0 at the end of warm-up to 1 at the last step;</item>
/// <item>step: <c>base · γ^⌊epoch / stepEpochs⌋</c>.</item>
/// </list>
/// </summary>
internal sealed class LearningRateScheduler(LearningRateSchedule schedule, double baseRate, double minRate,
    int warmupSteps, int totalSteps, int stepsPerEpoch, int stepEpochs, double gamma)
{
    /// <summary>The schedule of <paramref name="options"/> for a run of <paramref name="stepsPerEpoch"/> steps per epoch.</summary>
    public static LearningRateScheduler From(HeadOptions options, int stepsPerEpoch)
        => new(options.Schedule, options.LearningRate, options.MinLearningRate, options.WarmupEpochs * stepsPerEpoch,
            options.Epochs * stepsPerEpoch, stepsPerEpoch, options.StepEpochs, options.StepGamma);

    /// <summary>The rate for 0-based step <paramref name="step"/>.</summary>
    public double At(int step)
    {
        if (step < warmupSteps) return baseRate * (step + 1) / warmupSteps;
        switch (schedule)
        {
            case LearningRateSchedule.Cosine:
                int span = Math.Max(1, totalSteps - warmupSteps - 1);
                double t = Math.Min(1.0, (double)(step - warmupSteps) / span);
                return minRate + (baseRate - minRate) * 0.5 * (1 + Math.Cos(Math.PI * t));
            case LearningRateSchedule.Step:
                int epoch = step / Math.Max(1, stepsPerEpoch);
                return baseRate * Math.Pow(gamma, epoch / stepEpochs);
            default:
                return baseRate;
        }
    }
}
