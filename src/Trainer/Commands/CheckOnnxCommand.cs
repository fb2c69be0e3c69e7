using System.CommandLine;
using System.Globalization;
using Pipeline.Graph;
using Pipeline.Graph.Conformance;

namespace Trainer.Commands;

/// <summary>
/// <c>check-onnx &lt;case-dir&gt;...</c>: runs ONNX test-case folders (model.onnx plus test_data_set_*/input_*.pb and
/// output_*.pb) on the engine and prints pass or fail with the largest absolute and relative error of each. A folder
/// holding case folders (like the ONNX suite's node/ folder) runs all of them.
/// </summary>
internal static class CheckOnnxCommand
{
    public static Command Create()
    {
        var cases = new Argument<string[]>("case-dir") { Description = "Test-case folders (or folders of them).", Arity = ArgumentArity.OneOrMore }.NotBlank("a test-case folder");
        var rtol = new Option<double>("--rtol") { Description = "Relative tolerance for float outputs.", DefaultValueFactory = _ => Tolerance.NodeCases.Relative }.FiniteNonNegative();
        var atol = new Option<double>("--atol") { Description = "Absolute tolerance for float outputs.", DefaultValueFactory = _ => Tolerance.NodeCases.Absolute }.FiniteNonNegative();
        var threads = ThreadsOption.Create("Threads per run.");
        var command = new Command("check-onnx", "Run ONNX test-case folders and report pass/fail with the max abs/rel error.");
        command.Arguments.Add(cases);
        command.Options.Add(rtol);
        command.Options.Add(atol);
        command.Options.Add(threads);
        CommandKit.SetAction(command, (output, parse, cancellation) =>
        {
            var tolerance = new Tolerance(parse.GetValue(rtol), parse.GetValue(atol));
            int threadCount = ThreadsOption.Read(parse, threads, output);

            var folders = new List<string>();
            foreach (string path in parse.GetValue(cases) ?? [])
            {
                if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: no such folder");
                if (File.Exists(Path.Combine(path, "model.onnx"))) folders.Add(path);
                else
                {
                    string[] inner = Directory.GetDirectories(path).Where(d => File.Exists(Path.Combine(d, "model.onnx"))).Order(StringComparer.Ordinal).ToArray();
                    if (inner.Length == 0) throw new ArgumentException($"{path}: no model.onnx in it or in its subfolders");
                    folders.AddRange(inner);
                }
            }

            int passed = 0;
            var options = new NetworkOptions { Threads = threadCount };
            foreach (string folder in folders)
            {
                cancellation.ThrowIfCancellationRequested();
                CaseResult r = ConformanceRunner.RunCase(folder, tolerance, options);
                if (r.Passed) passed++;
                output.Write(r.ToString() + string.Create(CultureInfo.InvariantCulture, $" ({r.Elapsed.TotalMilliseconds:0} ms)"), new
                {
                    @case = r.Name,
                    path = folder,
                    passed = r.Passed,
                    maxAbsError = Finite(r.MaxAbsError),
                    maxRelError = Finite(r.MaxRelError),
                    message = r.Message,
                    elapsedMs = Math.Round(r.Elapsed.TotalMilliseconds, 3),
                });
            }
            output.Write($"{passed} of {folders.Count} cases passed ({tolerance})",
                new { summary = true, cases = folders.Count, passed, failed = folders.Count - passed, rtol = tolerance.Relative, atol = tolerance.Absolute });
            return passed == folders.Count ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
