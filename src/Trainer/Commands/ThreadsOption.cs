using System.CommandLine;
using Pipeline.Tensors.Parallelism;

namespace Trainer.Commands;

/// <summary>
/// The <c>--threads</c> option of every command that runs the engine, checked at parse time so an out-of-range count
/// exits with <see cref="ExitCodes.BadArguments"/> before any work (a huge count would abort the runtime or hang).
/// </summary>
internal static class ThreadsOption
{
    /// <summary>A <c>--threads</c> option limited to 0 (one per processor) to <see cref="ThreadLimits.Max"/>.</summary>
    public static Option<int> Create(string description, int defaultValue = 0)
    {
        var option = new Option<int>("--threads")
        {
            Description = $"{description} 0: one per processor; at most {ThreadLimits.Max}.",
            DefaultValueFactory = _ => defaultValue,
        };
        return option.Within(0, ThreadLimits.Max, "one per processor");
    }

    /// <summary>
    /// The parsed count; says on stderr when it exceeds the processors, because oversubscribed threads only take turns
    /// on the same cores and make every run slower.
    /// </summary>
    public static int Read(ParseResult parse, Option<int> option, CommandOutput output)
    {
        int threads = parse.GetValue(option);
        if (threads > Environment.ProcessorCount)
            output.Warning($"--threads {threads} is more than this machine's {Environment.ProcessorCount} processors: the extra threads share cores and usually make it slower.");
        return threads;
    }
}
