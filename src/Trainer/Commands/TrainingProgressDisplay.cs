using Pipeline.Classification;
using Spectre.Console;

namespace Trainer.Commands;

/// <summary>
/// Spectre.Console progress bars with ETA, one per training stage, while a command runs. Off with <c>--json</c> or when
/// stdout is redirected, so machine output stays clean.
/// </summary>
internal static class TrainingProgressDisplay
{
    /// <summary>Runs <paramref name="work"/>, handing it a progress sink that drives the bars (or null when they are off).</summary>
    public static T Run<T>(CommandOutput output, Func<IProgress<TrainerProgress>?, T> work)
    {
        if (output.Json || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive) return work(null);
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var sink = new Sink(context);
                result = work(sink);
                // A stage may finish before its bound (L-BFGS converges long before its iteration limit, the mlp stops
                // early): a finished run shows every bar full, not stuck at the last step reported.
                sink.Complete();
            });
        return result;
    }

    private sealed class Sink(ProgressContext context) : IProgress<TrainerProgress>
    {
        private readonly Dictionary<TrainerStage, ProgressTask> _tasks = [];

        public void Report(TrainerProgress value)
        {
            lock (_tasks)
            {
                if (!_tasks.TryGetValue(value.Stage, out ProgressTask? task))
                {
                    task = context.AddTask(Describe(value.Stage), maxValue: Math.Max(1, value.Total));
                    _tasks.Add(value.Stage, task);
                }
                task.MaxValue = Math.Max(1, value.Total);
                task.Value = Math.Min(value.Done, task.MaxValue);
            }
        }

        public void Complete()
        {
            lock (_tasks)
                foreach (ProgressTask task in _tasks.Values) task.Value = task.MaxValue;
        }

        private static string Describe(TrainerStage stage) => stage switch
        {
            TrainerStage.DownloadingBackbone => "Downloading backbone",
            TrainerStage.Decoding => "Decoding images",
            TrainerStage.LearningFeaturizer => "Learning filter bank",
            TrainerStage.Featurizing => "Featurizing",
            TrainerStage.TrainingHead => "Training head",
            TrainerStage.CrossValidating => "Cross-validating",
            _ => stage.ToString(),
        };
    }
}
