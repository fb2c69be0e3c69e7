using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Pipeline.Graph;
using Pipeline.Tensors;

namespace Trainer.Commands;

/// <summary>
/// <c>bench --model &lt;file&gt;</c>: times one forward pass on a fixed input (element i = sin(i·0.001), as the ONNX
/// Runtime anchor in shared/anchors/ort/bench.js does) and prints the min and median time and images per second.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "The network to time: an .onnx or .tflite file (not a model.zip).", Required = true }.NotBlank("an .onnx or .tflite network file");
        var batch = new Option<int>("--batch") { Description = $"Images per run (1 to {MaxBatch}).", DefaultValueFactory = _ => 1 }.Within(1, MaxBatch);
        var threads = ThreadsOption.Create("Threads per run.", defaultValue: 2);
        var iterations = new Option<int>("--iters") { Description = $"Timed runs (1 to {MaxIterations}).", DefaultValueFactory = _ => 20 }.Within(1, MaxIterations);
        var warmup = new Option<int>("--warmup") { Description = $"Untimed runs first (0 to {MaxWarmup}); warm-up also lasts at least one second, so the JIT has promoted the kernels to optimized code before timing.", DefaultValueFactory = _ => 3 }.Within(0, MaxWarmup);
        var profile = new Option<bool>("--profile") { Description = "Also time each node over the timed runs and print the total per op type." };
        var command = new Command("bench", "Time a network's forward pass (.onnx or .tflite) on a fixed input.");
        foreach (Option option in new Option[] { model, batch, threads, iterations, warmup, profile }) command.Options.Add(option);
        CommandKit.SetAction(command, (output, parse, cancellation) =>
        {
            FileInfo file = parse.GetValue(model)!;
            int b = parse.GetValue(batch), t = ThreadsOption.Read(parse, threads, output), n = parse.GetValue(iterations), w = parse.GetValue(warmup);
            InputFiles.RequireNotFolder("--model", file.ToString(), "an .onnx or .tflite network file");
            if (Pipeline.Persistence.ModelFormat.IsModelPackageFile(file.FullName))
                throw CommandFailureException.BadFile("--model", file.ToString(), "is a model.zip; bench times a network, an .onnx or .tflite file (such as the backbone the model was trained with).");

            using Network network = Network.Load(file.FullName, new NetworkOptions { Threads = t });
            DataType inputType = network.Inputs.Count == 1 ? network.Inputs[0].Type : DataType.Undefined;
            if (inputType is not (DataType.Float32 or DataType.UInt8))
                throw new ArgumentException($"{file.Name}: bench needs a model with one float or uint8 input; it has {string.Join(", ", network.Inputs)}.");
            int[] shape = network.DeclaredInputs(b)[0].Shape;
            long elements = Pipeline.Graph.Compilation.MemoryBudget.ElementCount(shape);
            if (elements > Array.MaxLength)
                throw new ArgumentException($"--batch {b}: the input [{string.Join("x", shape)}] would have {elements} elements, more than one buffer can hold; use a smaller batch.");
            float[]? floatInput = inputType == DataType.Float32 ? SmoothInput(shape) : null;
            Tensor? byteInput = floatInput is null ? PatternInput(shape) : null;
            Action run = floatInput is not null ? FloatRun(network, floatInput, shape) : () => network.Run(byteInput!);

            var compile = Stopwatch.StartNew();
            run();
            compile.Stop();

            // .NET compiles a method quickly first and re-JITs it optimized after ~30 calls: small models would otherwise
            // be timed partly on unoptimized code.
            int warmed = 0;
            for (long start = Stopwatch.GetTimestamp(); warmed < w || Stopwatch.GetElapsedTime(start).TotalSeconds < 1; warmed++)
            {
                cancellation.ThrowIfCancellationRequested();
                run();
            }
            var times = new double[n];
            for (int i = 0; i < n; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                long start = Stopwatch.GetTimestamp();
                run();
                // A run shorter than the clock's resolution counts as one tick, so images/s stays a finite number
                // (a zero median made it Infinity, which JSON writes as a string).
                times[i] = Math.Max(Stopwatch.GetTimestamp() - start, 1) * 1000.0 / Stopwatch.Frequency;
            }
            Array.Sort(times);
            double min = times[0], median = times[n / 2], perSecond = 1000.0 * b / median;
            output.Write(string.Create(CultureInfo.InvariantCulture,
                $"{file.Name}: batch {b}, {network.Threads} threads, {n} runs: median {median:0.###} ms, min {min:0.###} ms, {perSecond:0.##} images/s (first run, planning included: {compile.Elapsed.TotalMilliseconds:0} ms)"),
                new
                {
                    engine = "pipeline",
                    model = file.Name,
                    batch = b,
                    threads = network.Threads,
                    iterations = n,
                    warmup = warmed,
                    medianMs = Math.Round(median, 3),
                    minMs = Math.Round(min, 3),
                    imagesPerSecond = Math.Round(perSecond, 2),
                    firstRunMs = Math.Round(compile.Elapsed.TotalMilliseconds, 3),
                });
            if (parse.GetValue(profile))
            {
                cancellation.ThrowIfCancellationRequested();
                Profile(output, network, byteInput ?? Tensor.Create(floatInput!, shape), n);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    // Bounds that keep a typo from asking for terabytes or years; far beyond any useful measurement.
    private const int MaxBatch = 256, MaxIterations = 1_000_000, MaxWarmup = 100_000;

    /// <summary>Runs the plan <paramref name="runs"/> more times with per-step timers and prints the share of each op type.</summary>
    private static void Profile(CommandOutput output, Network network, Tensor input, int runs)
    {
        (IReadOnlyList<Pipeline.Graph.Execution.PlanStep> steps, double[] ms, bool perImage) = network.Profile(input, runs);
        if (perImage) output.Text("profile: this batch runs image by image; the times are for one image");
        double total = ms.Sum();
        var byOp = steps.Select((s, k) => (Op: s.Node.Operator.Name + (s.Node.Operator is IFusesActivation { Activation.Kind: not Pipeline.Tensors.Kernels.ActivationKind.None } ? " (fused)" : ""), Ms: ms[k]))
            .GroupBy(p => p.Op).Select(g => (Op: g.Key, Count: g.Count(), Ms: g.Sum(p => p.Ms))).OrderByDescending(g => g.Ms);
        output.Text(string.Create(CultureInfo.InvariantCulture, $"profile: {steps.Count} kernels, {total:0.###} ms per run inside kernels"));
        foreach ((string op, int count, double opMs) in byOp)
            output.Write(string.Create(CultureInfo.InvariantCulture, $"  {opMs,9:0.###} ms {100 * opMs / total,5:0.0}%  {count,4} x {op}"),
                new { profile = op, nodes = count, ms = Math.Round(opMs, 4), share = Math.Round(opMs / total, 4) });
        output.Text("profile: the slowest nodes");
        var shapes = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        foreach (NetworkValue value in network.DescribeValues()) shapes.TryAdd(value.Name, value.Shape);
        foreach (int k in Enumerable.Range(0, steps.Count).OrderByDescending(k => ms[k]).Take(12))
        {
            string shape = steps[k].Node.Outputs.Length > 0 && shapes.TryGetValue(steps[k].Node.Outputs[0], out IReadOnlyList<int>? s) ? string.Join("x", s) : "?";
            // GFLOP/s says how far a compute-bound node is from the machine's peak (about 227 per core on the test machine).
            double? gflops = steps[k].Flops > 0 && ms[k] > 0 ? steps[k].Flops / (ms[k] * 1e6) : null;
            string rate = gflops is { } g ? string.Create(CultureInfo.InvariantCulture, $"{g,6:0} GFLOP/s") : new string(' ', 13);
            output.Write(string.Create(CultureInfo.InvariantCulture, $"  {ms[k],9:0.###} ms {100 * ms[k] / total,5:0.0}% {rate}  {steps[k].Node.Operator.Name} {steps[k].Node.Operator.Describe()} -> [{shape}] {steps[k].Node.Identity.Name}"),
                new { node = steps[k].Node.Identity.Name, op = steps[k].Node.Operator.Name, output = shape, ms = Math.Round(ms[k], 4), gflops = gflops is { } r ? Math.Round(r, 1) : (double?)null });
        }
    }
    // The output buffer is reused, so a run allocates nothing.
    private static float[] SmoothInput(int[] shape)
    {
        var input = new float[Pipeline.Graph.Compilation.MemoryBudget.ElementCount(shape)];
        for (int i = 0; i < input.Length; i++) input[i] = MathF.Sin(i * 0.001f);
        return input;
    }

    private static Action FloatRun(Network network, float[] input, int[] shape)
    {
        var result = new float[Tensor.ElementCount(network.GetOutputShape(shape))];
        return () => network.Run(input, shape, result);
    }

    // Quantized models (TFLite uint8 images) take raw pixels: a fixed pattern of bytes.
    private static Tensor PatternInput(int[] shape)
    {
        var pixels = new byte[Pipeline.Graph.Compilation.MemoryBudget.ElementCount(shape)];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(128 + 127 * MathF.Sin(i * 0.001f));
        return Tensor.Create(DataType.UInt8, pixels, shape);
    }
}
