using Pipeline.Tensors.Parallelism;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>Every command's --threads is range-checked while parsing: a huge count used to abort the runtime or hang.</summary>
public sealed class ThreadsOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("threads-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> CommandsAndCounts()
    {
        var data = new TheoryData<string, string>();
        foreach (string command in new[] { "train", "cv", "retrain", "evaluate", "predict", "bench", "check-onnx" })
            foreach (string threads in new[] { "-3", "257", "1000", "100000", "2147483647" })
                data.Add(command, threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(CommandsAndCounts))]
    public void An_out_of_range_count_exits_2_naming_the_option_and_the_range(string command, string threads)
    {
        string model = Path.Combine(_dir, "model.zip"), output = Path.Combine(_dir, "out.zip");
        string[] rest = command switch
        {
            "train" => ["--data", Shapes, "--out", output],
            "cv" => ["--data", Shapes],
            "retrain" => ["--model", model, "--data", Shapes, "--out", output],
            "evaluate" => ["--model", model, "--data", Shapes],
            "predict" => ["--model", model, Shapes],
            "bench" => ["--model", model],
            _ => [_dir],
        };
        (int exit, string stdout, string error) = TrainerCli.Run([command, .. rest, "--threads", threads]);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"--threads {threads} is out of range: use 0 (one per processor) to {ThreadLimits.Max}.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_count_that_is_not_a_number_is_a_parse_error_not_a_crash()
    {
        (int exit, _, string error) = TrainerCli.Run("bench", "--model", Path.Combine(_dir, "m.onnx"), "--threads", "many");
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("many", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void More_threads_than_processors_runs_with_a_note_on_stderr()
    {
        int threads = Environment.ProcessorCount + 1;
        Assert.SkipWhen(threads > ThreadLimits.Max, $"this machine has {Environment.ProcessorCount} processors: no count in range oversubscribes it");
        string model = Path.Combine(_dir, "relu.onnx");
        File.WriteAllBytes(model, new Graph.OnnxBuilder().Input("x", Pipeline.Tensors.DataType.Float32, [1, 4]).Node("Relu", ["x"], ["y"], "relu").Output("y").Build());
        (int exit, string stdout, string error) = TrainerCli.Run("bench", "--model", model, "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--iters", "1", "--warmup", "0");
        Assert.True(exit == ExitCodes.Ok, error);
        Assert.Contains($"{threads} threads", stdout, StringComparison.Ordinal);
        Assert.Contains($"warning: --threads {threads} is more than this machine's {Environment.ProcessorCount} processors", error, StringComparison.Ordinal);
    }
}
