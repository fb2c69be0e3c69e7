using System.Text.Json;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// evaluate on data whose classes are not all the model's: the unknown images are reported (they are in no per-class
/// metric), the metrics they count in are named, and data with no class of the model is an error, not a run of zeros.
/// </summary>
public sealed class EvaluateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evaluate-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement Last(string text) => JsonDocument.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

    /// <summary>A copy of some of the shape classes (<paramref name="take"/> images of each).</summary>
    private string Subset(string name, int take, params string[] classes)
    {
        string root = Path.Combine(_dir, name);
        foreach (string label in classes)
        {
            string target = Directory.CreateDirectory(Path.Combine(root, label)).FullName;
            foreach (string file in Directory.GetFiles(Path.Combine(Shapes, label)).Order(StringComparer.Ordinal).Take(take)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        return root;
    }

    private string TwoClassModel()
    {
        string model = Path.Combine(_dir, "two.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Subset("two", 32, "circles", "squares"), "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        return model;
    }

    [Fact]
    public void Images_of_classes_the_model_does_not_know_are_counted_per_class_and_the_classes_are_named()
    {
        string model = TwoClassModel();
        // 32 circles and 32 squares the model knows; 5 stripes and 3 triangles it does not.
        string data = Subset("mixed", 32, "circles", "squares");
        Subset("mixed", 5, "stripes");
        Subset("mixed", 3, "triangles");

        (int exit, string output, string error) = TrainerCli.Run("evaluate", "--model", model, "--data", data, "--no-cache", "--json");
        Assert.True(exit == 0, error);
        JsonElement record = Last(output);
        Assert.Equal(["circles", "squares"], record.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, record.GetProperty("perClassLogLoss").GetArrayLength());
        Assert.Equal(["stripes", "triangles"], record.GetProperty("unknownClasses").EnumerateArray().Select(e => e.GetString()));
        JsonElement perClass = record.GetProperty("unknownClassImages");
        Assert.Equal(5, perClass.GetProperty("stripes").GetInt32());
        Assert.Equal(3, perClass.GetProperty("triangles").GetInt32());
        Assert.Equal(8, record.GetProperty("unknownImages").GetInt32());
        Assert.Equal(8, record.GetProperty("metrics").GetProperty("unknownClassCount").GetInt32());
        Assert.Equal(72, record.GetProperty("images").GetInt32());
        // They are in no row of the confusion matrix: its counts add up to the known images only.
        Assert.Equal(64, record.GetProperty("confusionMatrix").GetProperty("counts").EnumerateArray().Sum(row => row.EnumerateArray().Sum(c => c.GetInt32())));
        // Errors for microAccuracy (at most 64 of 72 right), not for macroAccuracy (over the model's classes).
        Assert.True(record.GetProperty("microAccuracy").GetDouble() <= 64.0 / 72);
        double[] recall = [.. record.GetProperty("confusionMatrix").GetProperty("perClassRecall").EnumerateArray().Select(e => e.GetDouble())];
        Assert.Equal(recall.Average(), record.GetProperty("macroAccuracy").GetDouble(), 12);

        (exit, output, error) = TrainerCli.Run("evaluate", "--model", model, "--data", data, "--no-cache");
        Assert.True(exit == 0, error);
        Assert.Contains("classes the model does not know: stripes (5 images), triangles (3 images). These 8 of the 72 images count as errors in microAccuracy and top-K accuracy", output, StringComparison.Ordinal);
        Assert.Contains("macroAccuracy, the per-class rows and the confusion matrix below cover the model's classes only", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_with_no_class_of_the_model_is_a_data_error_naming_both_class_lists()
    {
        string model = TwoClassModel();
        string other = Subset("other", 4, "stripes", "triangles");
        foreach (bool json in new[] { false, true })
        {
            (int exit, string output, string error) = TrainerCli.Run(["evaluate", "--model", model, "--data", other, "--no-cache", .. json ? (string[])["--json"] : []]);
            Assert.Equal(ExitCodes.InvalidInput, exit);
            Assert.Equal("", output);
            string message = json ? JsonDocument.Parse(error).RootElement.GetProperty("error").GetString()! : error;
            Assert.Contains("none of its classes (stripes, triangles) is a class of the model (circles, squares)", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Help_says_exactly_which_metrics_unknown_classes_count_in()
    {
        (int exit, string help, _) = TrainerCli.Run("evaluate", "--help");
        Assert.Equal(0, exit);
        string flat = string.Join(" ", help.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("they count as errors in microAccuracy and top-K accuracy", flat, StringComparison.Ordinal);
        Assert.Contains("macroAccuracy, perClassLogLoss and the confusion matrix cover the model's classes only", flat, StringComparison.Ordinal);
        Assert.Contains("Data with no class of the model is refused (exit 3)", flat, StringComparison.Ordinal);
    }
}
