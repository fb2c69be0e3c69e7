using System.CommandLine;
using System.Text.Json;
using Google.Protobuf;
using Pipeline.Graph.Onnx;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Tensors;
using Pipeline.Tests.Graph;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>The engine's CLI commands run in-process: check-onnx, bench, inspect; --json lines and exit codes.</summary>
public sealed class EngineCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("engine-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args) => TrainerCli.Run(args);

    private static JsonElement[] JsonLines(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

    /// <summary>A case folder whose model outputs a constant [1,2,3]; the reference output is <paramref name="expected"/>.</summary>
    private string ConstantCase(string name, float[] expected)
    {
        var value = new TensorProto { DataType = (int)DataType.Float32 };
        value.Dims.Add(3);
        value.FloatData.AddRange([1, 2, 3]);
        var builder = new OnnxBuilder().Node("Constant", [], ["y"], "c", new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value }).Output("y");
        string dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.Combine(dir, "test_data_set_0"));
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), builder.Build());
        var reference = new TensorProto { Name = "y", DataType = (int)DataType.Float32 };
        reference.Dims.Add(3);
        reference.FloatData.AddRange(expected);
        File.WriteAllBytes(Path.Combine(dir, "test_data_set_0", "output_0.pb"), reference.ToByteArray());
        return dir;
    }

    [Fact]
    public void CheckOnnxPassesAndFailsCasesWithTheirErrors()
    {
        string good = ConstantCase("good", [1, 2, 3.0002f]);
        string bad = ConstantCase("bad", [1, 2, 4]);

        var (exit, output, _) = Run("check-onnx", good);
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.StartsWith("pass good", output);

        (exit, output, _) = Run("check-onnx", "--json", good, bad);
        Assert.Equal(ExitCodes.CheckFailed, exit);
        JsonElement[] lines = JsonLines(output);
        Assert.Equal(3, lines.Length);
        Assert.True(lines[0].GetProperty("passed").GetBoolean());
        Assert.Equal(0.0002, lines[0].GetProperty("maxAbsError").GetDouble(), 1e-6);
        Assert.False(lines[1].GetProperty("passed").GetBoolean());
        Assert.Contains("element 2: got 3, expected 4", lines[1].GetProperty("message").GetString());
        Assert.Equal(1, lines[2].GetProperty("failed").GetInt32());

        // A folder of case folders runs them all.
        (exit, output, _) = Run("check-onnx", "--json", _dir);
        Assert.Equal(3, JsonLines(output).Length);
    }

    [Fact]
    public void CheckOnnxRunsASharedConformanceCase()
    {
        string dir = SharedData.Require("conformance/onnx-node/test_constant");
        var (exit, output, _) = Run("check-onnx", "--json", dir);
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("test_constant", JsonLines(output)[0].GetProperty("case").GetString());
    }

    [Fact]
    public void ErrorsNameTheFileAndUseTheExitCodes()
    {
        var (exit, _, error) = Run("check-onnx", Path.Combine(_dir, "missing"));
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("missing", error);

        string garbage = Path.Combine(_dir, "garbage.onnx");
        File.WriteAllBytes(garbage, [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2, 3]);
        (exit, _, error) = Run("bench", "--model", garbage, "--json");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        JsonElement e = JsonLines(error)[0];
        Assert.Equal("garbage.onnx", e.GetProperty("file").GetString());
        Assert.Contains("not a valid ONNX file", e.GetProperty("reason").GetString());

        (exit, _, error) = Run("inspect", "--model", garbage);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.StartsWith("inspect: garbage.onnx:", error);

        (exit, _, _) = Run("bench", "--model", Path.Combine(_dir, "none.onnx"));
        Assert.Equal(ExitCodes.BadArguments, exit);
        (exit, _, _) = Run("bench");
        Assert.Equal(ExitCodes.BadArguments, exit);
    }

    [Fact]
    public void InspectReportsInputsOutputsAndValues()
    {
        string model = Path.Combine(ConstantCase("inspect", [1, 2, 3]), "model.onnx");
        var (exit, output, _) = Run("inspect", "--model", model, "--json", "--values");
        Assert.Equal(ExitCodes.Ok, exit);
        JsonElement[] lines = JsonLines(output);
        Assert.Equal("y", lines[0].GetProperty("outputs")[0].GetProperty("name").GetString());
        Assert.Equal(0, lines[0].GetProperty("inputs").GetArrayLength());
        Assert.Equal(0, lines[0].GetProperty("flops").GetInt64());
        Assert.Equal("y", lines[1].GetProperty("value").GetString());
        Assert.Equal(3, lines[1].GetProperty("shape")[0].GetInt32());

        (exit, output, _) = Run("inspect", "--model", model);
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("output  y: Float32[?]", output);
    }

    [Fact]
    public void BenchTimesAModel()
    {
        if (OnnxOperatorTable.Find("Relu") is null) Assert.Skip("bench needs a real operator (Relu) from the ops work, not yet on this branch.");
        string model = Path.Combine(_dir, "relu.onnx");
        File.WriteAllBytes(model, new OnnxBuilder().SymbolicInput("x", DataType.Float32, "N", 8).Node("Relu", ["x"], ["y"]).Output("y").Build());
        var (exit, output, error) = Run("bench", "--model", model, "--batch", "3", "--iters", "5", "--warmup", "1", "--threads", "1", "--json");
        Assert.True(exit == ExitCodes.Ok, error);
        JsonElement line = JsonLines(output)[0];
        Assert.True(line.GetProperty("medianMs").GetDouble() >= line.GetProperty("minMs").GetDouble());
        Assert.True(line.GetProperty("imagesPerSecond").GetDouble() > 0);
        Assert.Equal(3, line.GetProperty("batch").GetInt32());
    }

    [Theory]
    [InlineData("--batch", "0", "1 to 256")]
    [InlineData("--batch", "100000", "1 to 256")]
    [InlineData("--iters", "0", "1 to 1000000")]
    [InlineData("--iters", "2147483647", "1 to 1000000")]
    [InlineData("--warmup", "-1", "0 to 100000")]
    [InlineData("--warmup", "2147483647", "0 to 100000")]
    public void BenchRefusesCountsOutOfRangeBeforeLoading(string option, string value, string range)
    {
        // A model that would fail to load (exit 3): the range check must come first, and no stack trace either way.
        string model = Path.Combine(_dir, "broken.onnx");
        File.WriteAllBytes(model, "not a network"u8.ToArray());
        var (exit, output, error) = Run("bench", "--model", model, option, value);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Equal("", output);
        Assert.Contains($"{option} {value} is out of range: use {range}.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchNamesAModelZipAsSuchAndAsksForANetwork()
    {
        string zip = Path.Combine(_dir, "model.zip");
        Pipeline.Tests.Persistence.PackageSamples.Full().Save(zip, TestContext.Current.CancellationToken);
        var (exit, _, error) = Run("bench", "--model", zip);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("model.zip: is a model.zip; bench times a network, an .onnx or .tflite file", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ONNX file", error, StringComparison.Ordinal);

        (_, string help, _) = Run("bench", "--help");
        Assert.Contains(".onnx or .tflite", help, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckOnnxReportsACaseWithoutReferenceOutputsAsNotCompared()
    {
        string dir = ConstantCase("no-outputs", [1, 2, 3]);
        File.Delete(Path.Combine(dir, "test_data_set_0", "output_0.pb"));
        var (exit, output, _) = Run("check-onnx", dir);
        Assert.Equal(ExitCodes.CheckFailed, exit);
        Assert.Contains("not compared: test_data_set_0 has no output_*.pb", output, StringComparison.Ordinal);
        Assert.Contains("0 of 1 cases passed", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--atol", "NaN")]
    [InlineData("--rtol", "Infinity")]
    [InlineData("--atol", "-1")]
    public void CheckOnnxTolerancesMustBeFiniteAndNonNegative(string option, string value)
    {
        string dir = ConstantCase("tolerance", [1, 2, 3]);
        var (exit, output, error) = Run("check-onnx", dir, option, value);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Equal("", output);
        Assert.Contains($"{option} {value} is out of range: use a finite number of 0 or more.", error, StringComparison.Ordinal);
    }
}
