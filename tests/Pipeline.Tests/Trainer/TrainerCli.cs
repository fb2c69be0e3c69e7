using System.CommandLine;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>Runs the trainer's command line in-process, capturing stdout, stderr and the exit code.</summary>
internal static class TrainerCli
{
    public static (int Exit, string Out, string Err) Run(params string[] args) => Run(TestContext.Current.CancellationToken, args);

    /// <summary>Runs with <paramref name="cancellation"/> standing in for Ctrl-C.</summary>
    public static (int Exit, string Out, string Err) Run(CancellationToken cancellation, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = CommandKit.Invoke(global::Trainer.Program.BuildRoot(), args, new InvocationConfiguration { Output = output, Error = error }, cancellation);
        return (exit, output.ToString(), error.ToString());
    }
}
