using System.CommandLine;
using System.Text.Json;
using Google.Protobuf;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Imaging.Processing;
using Pipeline.Tensors;
using Pipeline.Tests.Graph;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// Option values are read while parsing, in the user's terms: numbers in the invariant culture with no thousands
/// separators (a decimal comma is refused, never read as 1000 times the number), integers and enum names with a message
/// naming the option, the value and what was expected (never a .NET type name), and the command's own error prefix and
/// --json shape.
/// </summary>
public sealed class OptionValueTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("option-values-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Every option of every command whose value (or its nullable form) is <paramref name="accepts"/>; not the hidden
    /// ones, which retrain refuses whatever their value.
    /// </summary>
    private static List<(string Command, string Option, Type Type)> Options(Func<Type, bool> accepts)
    {
        var found = new List<(string, string, Type)>();
        foreach (Command command in global::Trainer.Program.BuildRoot().Subcommands)
            foreach (Option option in command.Options)
            {
                Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                if (!option.Hidden && accepts(type)) found.Add((command.Name, option.Name, type));
            }
        return found;
    }

    private static void AssertParseError(string[] args, string expected)
    {
        (int exit, string output, string error) = TrainerCli.Run(args);
        Assert.True(exit == ExitCodes.BadArguments, $"{string.Join(' ', args)}: exit {exit}: {error}");
        Assert.Equal("", output);
        Assert.StartsWith($"{args[0]}: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("expected type", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_decimal_option_refuses_a_decimal_comma_naming_the_option_and_the_value()
    {
        List<(string Command, string Option, Type Type)> decimals = Options(t => t == typeof(double) || t == typeof(float));
        foreach (string expected in new[] { "train --l2", "train --learning-rate", "train --dropout", "train --weight-decay", "train --validation-fraction", "retrain --l2", "cv --dropout", "check-onnx --rtol", "check-onnx --atol" })
            Assert.Contains(expected, decimals.Select(d => $"{d.Command} {d.Option}"));
        foreach ((string command, string option, _) in decimals)
            AssertParseError([command, option, "0,5"], $"{option}: '0,5' is not a number (write decimals with a point, e.g. 0.001).");
    }

    [Theory]
    [InlineData("--l2", "0,001")]
    [InlineData("--validation-fraction", "0,2")]
    [InlineData("--l2", "1,000.5")]
    public void Train_refuses_a_decimal_comma_before_any_work(string option, string value)
    {
        string model = Path.Combine(_dir, "m.zip");
        AssertParseError(["train", "--data", Shapes, option, value, "--out", model], $"{option}: '{value}' is not a number");
        (_, _, string error) = TrainerCli.Run("train", "--data", Shapes, option, value, "--out", model);
        Assert.DoesNotContain("TrainerOptions", error, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void Check_onnx_refuses_a_decimal_comma_and_takes_a_point_or_an_exponent()
    {
        string dir = ConstantCase([1, 2, 3.5f]); // off by 0.5
        AssertParseError(["check-onnx", dir, "--atol", "0,5"], "--atol: '0,5' is not a number");
        AssertParseError(["check-onnx", dir, "--rtol", "0,5"], "--rtol: '0,5' is not a number");
        foreach (string atol in new[] { "0.5", "5e-1", "5E-1" })
        {
            (int exit, string output, string error) = TrainerCli.Run("check-onnx", dir, "--atol", atol, "--rtol", "0", "--json");
            Assert.True(exit == ExitCodes.Ok, $"--atol {atol}: exit {exit}: {error}{output}");
            JsonElement summary = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
            Assert.Equal(0.5, summary.GetProperty("atol").GetDouble());
            Assert.Equal(0, summary.GetProperty("rtol").GetDouble());
        }
    }

    [Theory]
    [InlineData("0.001")]
    [InlineData("1e-3")]
    public void Train_takes_a_decimal_point_or_an_exponent_into_the_model(string l2)
    {
        string data = SmallData(), model = Path.Combine(_dir, "m.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", data, "--l2", l2, "--validation-fraction", "0.25", "--out", model, "--no-cache", "--no-calibration", "--threads", "2");
        Assert.True(exit == ExitCodes.Ok, error);
        JsonElement options = Pipeline.Persistence.ModelPackage.Load(model).TrainingOptions!.Value;
        Assert.Equal(0.001, options.GetProperty("head").GetProperty("l2Regularization").GetDouble());
        Assert.Equal(0.25, options.GetProperty("validationFraction").GetDouble());
    }

    [Fact]
    public void Every_integer_option_says_an_integer_was_expected_without_a_type_name()
    {
        List<(string Command, string Option, Type Type)> integers = Options(t => t == typeof(int));
        foreach (string expected in new[] { "train --seed", "train --threads", "train --epochs", "cv --folds", "predict --top", "preview --size", "bench --batch" })
            Assert.Contains(expected, integers.Select(d => $"{d.Command} {d.Option}"));
        foreach ((string command, string option, _) in integers)
            AssertParseError([command, option, "abc"], $"{option}: 'abc' is not an integer");
        AssertParseError(["train", "--data", Shapes, "--seed", "1.5"], "--seed: '1.5' is not an integer");
        AssertParseError(["train", "--data", Shapes, "--seed", "99999999999"], "--seed 99999999999 is out of range: use -2147483648 to 2147483647.");
        AssertParseError(["train", "--data", Shapes, "--threads", "99999999999"], "--threads 99999999999 is out of range: use 0 (one per processor) to ");
    }

    [Fact]
    public void Every_enum_option_lists_the_values_it_takes()
    {
        List<(string Command, string Option, Type Type)> enums = Options(t => t.IsEnum);
        Assert.Contains(("preview", "--mode", typeof(ResizeMode)), enums);
        foreach ((string command, string option, Type type) in enums)
        {
            AssertParseError([command, option, "bogus"], $"{option}: 'bogus' is not one of {string.Join(", ", Enum.GetNames(type))}.");
            (_, _, string error) = TrainerCli.Run(command, option, "bogus");
            Assert.DoesNotContain(type.FullName!, error, StringComparison.Ordinal);
        }
        // By name, ignoring case; not by number.
        string image = Directory.GetFiles(Path.Combine(Shapes, "circles"))[0];
        (int exit, _, string message) = TrainerCli.Run("preview", image, "--out", Path.Combine(_dir, "p.png"), "--mode", "isopad", "--size", "32");
        Assert.True(exit == ExitCodes.Ok, message);
        AssertParseError(["preview", image, "--out", Path.Combine(_dir, "q.png"), "--mode", "1"], "--mode: '1' is not one of");
    }

    [Theory]
    [InlineData("--json")]
    [InlineData("--json=true")]
    [InlineData("--json:true")]
    public void A_value_that_does_not_read_is_a_json_error_with_json(string json)
    {
        (int exit, string output, string error) = TrainerCli.Run("train", "--data", Shapes, "--seed", "abc", json);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Equal("", output);
        JsonElement e = JsonDocument.Parse(error.Trim()).RootElement;
        Assert.Equal("--seed: 'abc' is not an integer (a whole number, e.g. 42).", e.GetProperty("error").GetString());
        Assert.Equal("train", e.GetProperty("command").GetString());
        Assert.Equal(ExitCodes.BadArguments, e.GetProperty("exitCode").GetInt32());

        (_, _, error) = TrainerCli.Run("train", "--data", Shapes, "--seed", "abc", "--json=false");
        Assert.StartsWith("train: --seed: 'abc' is not an integer", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_that_fails_on_its_data_lists_the_files_it_excluded()
    {
        // Four notes among the good images and a class whose three images are all truncated: seven files left out.
        string data = SmallData(notes: 4, brokenClass: true), model = Path.Combine(_dir, "m.zip");
        (int exit, string output, string error) = TrainerCli.Run("train", "--data", data, "--out", model, "--no-cache", "--threads", "2");
        Assert.True(exit == ExitCodes.InvalidInput, $"exit {exit}: {error}");
        Assert.Equal("", output);
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("train: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("class 'broken' has no usable image", lines[0], StringComparison.Ordinal);
        Assert.Equal("excluded 7 file(s) that could not be used:", lines[1]);
        Assert.Equal(MetricsText.ListedExclusions, lines.Count(l => l.StartsWith(data, StringComparison.Ordinal)));
        Assert.Equal("... and 2 more", lines[^1]);
        Assert.False(File.Exists(model));

        (exit, output, error) = TrainerCli.Run("train", "--data", data, "--out", model, "--no-cache", "--threads", "2", "--json");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Equal("", output);
        JsonElement e = JsonDocument.Parse(error.Trim()).RootElement;
        Assert.Contains("class 'broken' has no usable image", e.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(7, e.GetProperty("excludedCount").GetInt32());
        JsonElement[] excluded = [.. e.GetProperty("excluded").EnumerateArray()];
        Assert.Equal(7, excluded.Length);
        string[] paths = [.. excluded.Select(x => x.GetProperty("path").GetString()!)];
        for (int i = 0; i < 3; i++) Assert.Contains(Path.Combine(data, "broken", $"{i}.png"), paths);
        for (int i = 0; i < 4; i++) Assert.Contains(Path.Combine(data, "circles", $"note{i}.txt"), paths);
        Assert.All(excluded, x => Assert.False(string.IsNullOrEmpty(x.GetProperty("reason").GetString())));
    }

    /// <summary>
    /// Six circles and six squares from data/shapes; with <paramref name="notes"/> text files among the circles and, with
    /// <paramref name="brokenClass"/>, a class of three PNGs cut short (recognized as images, never decoded).
    /// </summary>
    private string SmallData(int notes = 0, bool brokenClass = false)
    {
        string root = Path.Combine(_dir, "data");
        foreach (string cls in new[] { "circles", "squares" })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            foreach (string file in Directory.GetFiles(Path.Combine(Shapes, cls), "*.png").Order(StringComparer.Ordinal).Take(6))
                File.Copy(file, Path.Combine(root, cls, Path.GetFileName(file)), overwrite: true);
        }
        for (int i = 0; i < notes; i++) File.WriteAllText(Path.Combine(root, "circles", $"note{i}.txt"), "not an image");
        if (brokenClass)
        {
            Directory.CreateDirectory(Path.Combine(root, "broken"));
            string[] pngs = [.. Directory.GetFiles(Path.Combine(Shapes, "circles"), "*.png").Order(StringComparer.Ordinal).Skip(6).Take(3)];
            for (int i = 0; i < pngs.Length; i++) File.WriteAllBytes(Path.Combine(root, "broken", $"{i}.png"), File.ReadAllBytes(pngs[i])[..300]);
        }
        return root;
    }

    /// <summary>A check-onnx case folder whose model outputs the constant [1,2,3] and whose reference output is <paramref name="expected"/>.</summary>
    private string ConstantCase(float[] expected)
    {
        var value = new TensorProto { DataType = (int)DataType.Float32 };
        value.Dims.Add(3);
        value.FloatData.AddRange([1, 2, 3]);
        string dir = Path.Combine(_dir, "case");
        Directory.CreateDirectory(Path.Combine(dir, "test_data_set_0"));
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), new OnnxBuilder()
            .Node("Constant", [], ["y"], "c", new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value }).Output("y").Build());
        var reference = new TensorProto { Name = "y", DataType = (int)DataType.Float32 };
        reference.Dims.Add(3);
        reference.FloatData.AddRange(expected);
        File.WriteAllBytes(Path.Combine(dir, "test_data_set_0", "output_0.pb"), reference.ToByteArray());
        return dir;
    }
}
