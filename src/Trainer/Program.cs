using System.CommandLine;
using Trainer.Commands;

namespace Trainer;

/// <summary>The trainer's entry point: one subcommand per file under Commands/.</summary>
public static class Program
{
    /// <summary>Builds the command tree; tests call this to run commands in-process.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Pure-.NET image classification: train, evaluate, predict, retrain, inspect and benchmark.");
        foreach (Command command in CommandCatalog.All())
            root.Subcommands.Add(command);
        return root;
    }

    /// <summary>Runs the trainer; the exit code is 0 only on success.</summary>
    public static int Main(string[] args) => CommandKit.Invoke(BuildRoot(), args);
}
