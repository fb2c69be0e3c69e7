using System.Text.Json;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>cv takes train's options that mean something for cross-validation, and refuses the one that does not.</summary>
public sealed class CrossValidateCommandTests
{
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    [Theory]
    [InlineData("0.5")]
    [InlineData("0")]
    [InlineData("2")]
    public void Validation_fraction_is_refused_with_the_reason_instead_of_being_ignored(string value)
    {
        // It was accepted and changed nothing: 0.2, 0.5 and 0 gave the same folds and metrics.
        foreach (bool json in new[] { false, true })
        {
            (int exit, string output, string error) = TrainerCli.Run(["cv", "--data", Shapes, "--folds", "2", "--no-cache", "--validation-fraction", value, .. json ? (string[])["--json"] : []]);
            Assert.Equal(ExitCodes.BadArguments, exit);
            Assert.Equal("", output);
            string message = json ? JsonDocument.Parse(error.Split('\n')[0]).RootElement.GetProperty("error").GetString()! : error;
            Assert.StartsWith((json ? "" : "cv: ") + "--validation-fraction does not apply to cv: ", message, StringComparison.Ordinal);
            Assert.Contains("use --folds", message, StringComparison.Ordinal);
            Assert.DoesNotContain("out of range", error, StringComparison.Ordinal);
            Assert.DoesNotContain("Unrecognized", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Help_does_not_offer_validation_fraction()
    {
        (int exit, string help, _) = TrainerCli.Run("cv", "--help");
        Assert.Equal(0, exit);
        Assert.DoesNotContain("--validation-fraction", help, StringComparison.Ordinal);
        Assert.Contains("--folds", help, StringComparison.Ordinal);
        (_, string trainHelp, _) = TrainerCli.Run("train", "--help");
        Assert.Contains("--validation-fraction", trainHelp, StringComparison.Ordinal);
    }
}
