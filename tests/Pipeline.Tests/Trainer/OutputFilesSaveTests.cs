using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>A save that fails after the checks (a full disk, a folder made read-only meanwhile) is reported about --out, exit 2.</summary>
public sealed class OutputFilesSaveTests
{
    [Fact]
    public void A_failed_save_names_the_out_path_and_keeps_the_reason()
    {
        string target = Path.Combine(Path.GetTempPath(), "never-written", "m.zip");
        var e = Assert.Throws<CommandFailureException>(() => OutputFiles.Save(target,
            path => throw new IOException($"{path}: could not be written (No space left on device); the existing file, if any, is unchanged.")));
        Assert.Equal(ExitCodes.BadArguments, e.ExitCode);
        Assert.Equal(target, e.File);
        Assert.Equal($"--out {target}: could not be written (No space left on device); the existing file, if any, is unchanged.", e.Message);

        e = Assert.Throws<CommandFailureException>(() => OutputFiles.Save(target, _ => throw new UnauthorizedAccessException("Access to the path '/x/.m.zip.1234.tmp' is denied.")));
        Assert.Equal(target, e.File);
        Assert.StartsWith($"--out {target}: ", e.Message, StringComparison.Ordinal);
    }
}
