using System.CommandLine;
using System.Globalization;
using Pipeline.Graph;

namespace Trainer.Commands;

/// <summary>
/// <c>inspect --model &lt;file&gt;</c>: lists a model's inputs and outputs, its operators (a histogram), the parameter
/// count and the FLOPs of one run; <c>--values</c> also lists every value with its shape, for choosing a tap.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "The .onnx model.", Required = true };
        var batch = new Option<int>("--batch") { Description = "Batch size for shapes and FLOPs.", DefaultValueFactory = _ => 1 };
        var values = new Option<bool>("--values") { Description = "Also list every value (intermediates included) with its shape." };
        var command = new Command("inspect", "Show a model's inputs, outputs, op histogram, parameter count and FLOPs.");
        command.Options.Add(model);
        command.Options.Add(batch);
        command.Options.Add(values);
        CommandKit.SetAction(command, (output, parse) =>
        {
            FileInfo file = parse.GetValue(model)!;
            int b = parse.GetValue(batch);
            if (b < 1) throw new ArgumentException("--batch must be at least 1.");
            using Network network = Network.Load(file.FullName, new NetworkOptions { Threads = 1 });
            NetworkSummary summary = NetworkSummary.Create(network, b);

            var text = new System.Text.StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"{file.Name} ({network.Format})");
            foreach (TensorDeclaration input in network.Inputs) text.AppendLine(CultureInfo.InvariantCulture, $"  input   {input}");
            foreach (TensorDeclaration o in network.Outputs) text.AppendLine(CultureInfo.InvariantCulture, $"  output  {o}");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  nodes   {summary.FileNodes} in the file, {summary.NodesAfterFolding} after constant folding, {summary.NodesAfterRewrites} after fusion");
            foreach ((string op, int count) in summary.OpHistogram.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal))
                text.AppendLine(CultureInfo.InvariantCulture, $"    {count,5}  {op}");
            text.AppendLine(CultureInfo.InvariantCulture, $"  parameters  {summary.Parameters:N0} ({summary.ParameterBytes / 1048576.0:0.0} MiB)");
            text.Append(summary.Flops is { } f
                ? string.Create(CultureInfo.InvariantCulture, $"  FLOPs       {f / 1e9:0.###} G at batch {b}")
                : $"  FLOPs       unknown ({summary.FlopsUnavailableReason})");
            output.Write(text.ToString(), new
            {
                model = file.Name,
                format = network.Format,
                inputs = network.Inputs.Select(Declaration).ToArray(),
                outputs = network.Outputs.Select(Declaration).ToArray(),
                ops = summary.OpHistogram,
                nodes = summary.FileNodes,
                nodesAfterFolding = summary.NodesAfterFolding,
                nodesAfterFusion = summary.NodesAfterRewrites,
                parameters = summary.Parameters,
                parameterBytes = summary.ParameterBytes,
                batch = b,
                flops = summary.Flops,
            });

            if (parse.GetValue(values))
            {
                output.Text("values:");
                foreach (NetworkValue v in network.DescribeValues(b))
                    output.Write($"  {v}{(v.IsConstant ? " [constant]" : "")}", new
                    {
                        value = v.Name,
                        type = v.Type.ToString(),
                        shape = v.Shape,
                        opType = v.OpType,
                        node = v.NodeName,
                        constant = v.IsConstant,
                    });
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static object Declaration(TensorDeclaration d) => new
    {
        name = d.Name,
        type = d.Type.ToString(),
        shape = d.Shape,
        dimensionNames = d.DimensionNames,
    };
}
