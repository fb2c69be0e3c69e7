using System.CommandLine;
using Trainer.SampleData;

namespace Trainer.Commands;

/// <summary>
/// <c>make-sample-data [--out data/shapes] [--seed N]</c> (hidden): regenerates the committed sample dataset. A test
/// checks that the committed files hold exactly the pixels this command draws.
/// </summary>
internal static class MakeSampleDataCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "The folder to write (one subfolder per class).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("data", "shapes")) }.NotBlank("the folder to write");
        var seed = new Option<ulong>("--seed") { Description = "The generator's seed.", DefaultValueFactory = _ => ShapesDataset.DefaultSeed };
        var command = new Command("make-sample-data", "Regenerate the sample dataset in data/shapes (procedurally drawn shapes).") { Hidden = true };
        command.Options.Add(output);
        command.Options.Add(seed);
        command.SetAction(parse =>
        {
            DirectoryInfo folder = parse.GetValue(output)!;
            (int files, long bytes) = ShapesDataset.Write(folder.FullName, parse.GetValue(seed));
            parse.InvocationConfiguration.Output.WriteLine($"wrote {files} images ({bytes / 1024.0:0.#} KiB) to {folder.FullName}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
