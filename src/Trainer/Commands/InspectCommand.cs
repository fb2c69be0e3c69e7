using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Pipeline.Graph;
using Pipeline.Persistence;
using Pipeline.Persistence.Zip;
using Pipeline.Prediction;

namespace Trainer.Commands;

/// <summary>
/// <c>inspect --model &lt;file&gt;</c>: for an ONNX or TFLite network, its inputs and outputs, its operators (a
/// histogram), the parameter count and the FLOPs of one run (<c>--values</c> also lists every value with its shape,
/// for choosing a tap); for a trained model.zip, what its manifest records: labels, featurizer, backbone, head,
/// metrics and entries, and whether it loads (exit 3 with the reason when predict would refuse it).
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "An .onnx or .tflite network, or a trained model.zip.", Required = true }.NotBlank("an .onnx or .tflite network, or a model.zip");
        var batch = new Option<int>("--batch") { Description = "Batch size for shapes and FLOPs.", DefaultValueFactory = _ => 1 };
        var values = new Option<bool>("--values") { Description = "Also list every value (intermediates included) with its shape." };
        var command = new Command("inspect", "Show a network's inputs, outputs, op histogram, parameter count and FLOPs, or what a model.zip holds.");
        command.Options.Add(model);
        command.Options.Add(batch);
        command.Options.Add(values);
        CommandKit.SetAction(command, (output, parse, _) =>
        {
            FileInfo file = parse.GetValue(model)!;
            InputFiles.RequireNotFolder("--model", file.ToString(), "an .onnx or .tflite network, or a model.zip");
            InputFiles.RequireNotImage("--model", file.ToString(), "an .onnx or .tflite network, or a model.zip");
            int b = parse.GetValue(batch);
            if (b < 1) throw new ArgumentException("--batch must be at least 1.");
            if (IsZip(file))
            {
                if (parse.GetValue(values)) throw new ArgumentException("--values lists a network's values; a model.zip is described by its manifest.");
                return CheckLoads(output, InspectPackage(output, file), file);
            }
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

    private static bool IsZip(FileInfo file)
    {
        if (!file.Exists || Pipeline.Files.SpecialFiles.IsEmptyOrSpecial(file.FullName)) return false;
        Span<byte> head = stackalloc byte[sizeof(uint)];
        using FileStream stream = file.OpenRead();
        return ZipLayout.StartsWithLocalHeader(head[..stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)]);
    }

    /// <summary>Reads the package (every entry validated, as loading does) without building its featurizer, so a model
    /// whose backbone is referenced but not downloaded can still be inspected.</summary>
    private static ModelPackage InspectPackage(CommandOutput output, FileInfo file)
    {
        ModelPackage package = ModelPackage.Load(file.FullName);
        ModelMetrics? metrics = package.Metrics is { } m ? m.Deserialize<ModelMetrics>(ModelLayout.Json) : null;
        string featurizerKind = package.Featurizer is { ValueKind: JsonValueKind.Object } f && f.TryGetProperty("kind", out JsonElement kind) ? kind.ToString() : "none";
        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{file.Name} (model.zip format {package.FormatVersion}, written by Pipeline {package.LibraryVersion}{(package.CreatedUtc is { } created ? $" on {created:yyyy-MM-dd HH:mm} UTC" : "")}, {file.Length / 1024.0:0.#} KiB)");
        text.AppendLine(CultureInfo.InvariantCulture, $"  labels      {package.Labels.Count}: {string.Join(", ", package.Labels)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  featurizer  {featurizerKind} {Compact(package.Featurizer)}");
        string? storage = package.Backbone?.Storage.ToString().ToLowerInvariant();
        if (package.Backbone is { } backbone)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  backbone    {backbone.RegistryName ?? backbone.FileName} ({storage}, {backbone.Size:N0} bytes, sha256 {backbone.Sha256})");
        text.AppendLine(CultureInfo.InvariantCulture, $"  head        {Compact(package.Head)}");
        if (metrics?.Validation is { } v)
            text.AppendLine(MetricsText.Summary($"  validation ({metrics.TrainingImages} training images)", v));
        var entries = package.Entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new { name = e.Key, bytes = e.Value.Length }).ToArray();
        text.AppendLine("  entries");
        foreach (var entry in entries) text.AppendLine(CultureInfo.InvariantCulture, $"    {entry.bytes,12:N0}  {entry.name}");
        output.Write(text.ToString().TrimEnd(), new
        {
            model = file.Name,
            format = "model.zip",
            formatVersion = package.FormatVersion,
            libraryVersion = package.LibraryVersion,
            createdUtc = package.CreatedUtc,
            labels = package.Labels,
            featurizer = package.Featurizer,
            backbone = package.Backbone is { } bb ? new { name = bb.RegistryName, fileName = bb.FileName, storage, size = bb.Size, sha256 = bb.Sha256 } : null,
            head = package.Head,
            metrics,
            trainingOptions = package.TrainingOptions,
            entries,
            bytes = file.Length,
        });
        return package;
    }

    /// <summary>
    /// Builds the classifier as predict would, after the description is printed: a manifest can be well-formed and still
    /// not make a classifier (a head sized for other labels, no head, an impossible feature dimension), and inspect
    /// must not call fine a file that predict refuses.
    /// </summary>
    private static int CheckLoads(CommandOutput output, ModelPackage package, FileInfo file)
    {
        try
        {
            using ImageClassifier classifier = ImageClassifier.Open(package, new ImageClassifierOptions { Threads = 1, AllowBackboneDownload = false }, file.Name);
            return ExitCodes.Ok;
        }
        catch (Pipeline.Featurizers.Backbones.BackboneUnavailableException e)
        {
            // A referenced backbone that is not downloaded is no fault of the file; inspect never downloads.
            output.Warning($"whether the model loads was not checked: {e.Message}");
            return ExitCodes.Ok;
        }
        catch (InvalidModelPackageException e)
        {
            return output.Error(ExitCodes.InvalidInput, $"{e.Message} (predict and evaluate refuse this model.zip)", e.File, e.Reason);
        }
    }

    private static string Compact(JsonElement? element) => element is { } e ? JsonSerializer.Serialize(e) : "none";

    private static object Declaration(TensorDeclaration d) => new
    {
        name = d.Name,
        type = d.Type.ToString(),
        shape = d.Shape,
        dimensionNames = d.DimensionNames,
    };
}
