using Pipeline.Graph.Conformance;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Graph.Conformance;

/// <summary>
/// The ONNX backend conformance cases in ../shared/conformance: one theory case per node-test folder (rtol 1e-3,
/// atol 1e-4), and the four whole models with the suite's fixed input (rtol 1e-3, atol 1e-7).
/// </summary>
public sealed class OnnxConformanceTests(ITestOutputHelper output)
{
    private const string NodeRoot = "conformance/onnx-node";
    private const string AbsentMarker = "(shared data absent)";

    public static TheoryData<string> NodeCases()
    {
        var data = new TheoryData<string>();
        string? root = SharedData.Root is { } shared ? Path.Combine(shared, NodeRoot) : null;
        if (root is null || !Directory.Exists(root))
        {
            data.Add(AbsentMarker);
            return data;
        }
        foreach (string dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(NodeCases))]
    public void NodeCase(string name)
    {
        if (name == AbsentMarker) SharedData.Require(NodeRoot);
        string dir = SharedData.Require(Path.Combine(NodeRoot, name));
        CaseResult result = ConformanceRunner.RunCase(dir, Tolerance.NodeCases);
        output.WriteLine(result.ToString());
        Assert.True(result.Passed, result.ToString());
    }

    [Theory]
    [InlineData("light_resnet50")]
    [InlineData("light_inception_v1")]
    [InlineData("light_squeezenet")]
    [InlineData("light_shufflenet")]
    public void WholeModel(string name)
    {
        string model = SharedData.Require($"conformance/onnx-models/{name}.onnx");
        string reference = SharedData.Require($"conformance/onnx-models/{name}_output_0.pb");
        CaseResult result = ConformanceRunner.RunModel(model, reference, Tolerance.ModelCases);
        output.WriteLine(result.ToString());
        Assert.True(result.Passed, result.ToString());
    }
}
