using System.CommandLine;

namespace Trainer.Commands;

/// <summary>Every subcommand, in the order --help lists them. Add one line per command file.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return TrainCommand.Create();
        yield return CrossValidateCommand.Create();
        yield return EvaluateCommand.Create();
        yield return PredictCommand.Create();
        yield return RetrainCommand.Create();
        yield return PreviewCommand.Create();
        yield return CheckOnnxCommand.Create();
        yield return BenchCommand.Create();
        yield return InspectCommand.Create();
        yield return MakeSampleDataCommand.Create();
    }
}
