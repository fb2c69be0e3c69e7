using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Pipeline.Datasets;
using Pipeline.Imaging;
using Pipeline.Prediction;

namespace Trainer.Commands;

/// <summary><c>predict</c>: labels for image files from a saved model, with the top-k scores.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var command = new Command("predict", "Classify image files, or every image under a folder, with a saved model.");
        var model = new Option<string>("--model") { Description = "The model.zip to use.", Required = true }.NotBlank("a model.zip file");
        var top = new Option<int>("--top") { Description = "How many labels to show per image, best first.", DefaultValueFactory = _ => 3 };
        var threads = ThreadsOption.Create("Threads to use.");
        var images = new Argument<string[]>("image") { Description = "Image files (JPEG, PNG, BMP, GIF, WebP) or folders (every image under them, recursively, in name order).", Arity = ArgumentArity.OneOrMore }.NotBlank("an image file or a folder");
        foreach (Option option in new Option[] { model, top, threads }) command.Options.Add(option);
        command.Arguments.Add(images);
        CommandKit.SetAction(command, (writer, parse, cancellation) =>
        {
            int k = parse.GetValue(top);
            if (k < 1) throw new ArgumentException($"--top {k}: at least 1.");
            string[] arguments = parse.GetValue(images)!;
            (List<string> paths, HashSet<string> fromFolders, List<ExcludedFile> excluded) = Expand(arguments);
            if (paths.Count == 0)
            {
                // Exit 0 with no output would read as "all fine" to a script that globbed the wrong folder.
                MetricsText.Exclusions(writer, excluded);
                return writer.Error(ExitCodes.InvalidInput, $"no image was found in {string.Join(", ", arguments)}{(excluded.Count > 0 ? $" ({excluded.Count} other file(s) excluded)" : "")}.",
                    arguments[0], "no image found");
            }
            var clock = Stopwatch.StartNew();
            using ImageClassifier classifier = ImageClassifier.Load(InputFiles.RequireModelZip(parse.GetValue(model)!), new ImageClassifierOptions { Threads = ThreadsOption.Read(parse, threads, writer) });
            double loadMs = clock.Elapsed.TotalMilliseconds;
            double firstMs = 0;
            int failed = 0, predicted = 0;
            foreach (string path in paths)
            {
                cancellation.ThrowIfCancellationRequested();
                long start = Stopwatch.GetTimestamp();
                try
                {
                    Prediction prediction = classifier.Predict(path);
                    predicted++;
                    if (firstMs == 0) firstMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    IReadOnlyList<LabelScore> best = prediction.Top(k);
                    writer.Write($"{path}: {string.Join(", ", best.Select(s => s.Label + " " + s.Score.ToString("0.0000", CultureInfo.InvariantCulture)))}",
                        new { image = path, label = prediction.Label, score = prediction.Score, top = best.Select(s => new { label = s.Label, score = s.Score }) });
                }
                catch (Exception e) when (e is InvalidImageException or IOException or UnauthorizedAccessException)
                {
                    string reason = e is InvalidImageException invalid ? invalid.Detail : e.Message;
                    if (fromFolders.Contains(path))
                    {
                        // Found in a folder, not named: listed with the folder's other unusable files.
                        excluded.Add(new ExcludedFile(path, reason));
                        continue;
                    }
                    // One bad named file must not hide the others' answers; it is reported and fails the exit code.
                    failed++;
                    writer.Error(ExitCodes.InvalidInput, e.Message, path, reason);
                }
            }
            MetricsText.Exclusions(writer, excluded);
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"loaded the model in {loadMs:0} ms; first prediction {firstMs:0.0} ms"),
                new
                {
                    summary = true,
                    images = paths.Count,
                    predicted,
                    failed,
                    excludedCount = excluded.Count,
                    excluded = MetricsText.ExclusionRecords(excluded),
                    loadMs = Math.Round(loadMs, 1),
                    firstPredictionMs = Math.Round(firstMs, 1),
                });
            // Not one prediction (every image found failed to decode) must not read as success either.
            return failed == 0 && predicted > 0 ? ExitCodes.Ok : ExitCodes.InvalidInput;
        });
        return command;
    }

    /// <summary>
    /// The files to classify: each file argument as given (a missing one is an error now, an undecodable one when it is
    /// classified), and the images under each folder argument (also returned apart). A folder's files that are not
    /// images (a README, a .DS_Store) or do not decode are listed as excluded, not errors.
    /// </summary>
    private static (List<string> Paths, HashSet<string> FromFolders, List<ExcludedFile> Excluded) Expand(string[] arguments)
    {
        var paths = new List<string>();
        var fromFolders = new HashSet<string>(StringComparer.Ordinal);
        var named = new HashSet<string>(StringComparer.Ordinal);
        var excluded = new List<ExcludedFile>();
        foreach (string argument in arguments)
        {
            if (!Directory.Exists(argument))
            {
                // Checked before the model loads: a typo should not cost a model load, and exits 2 like any missing file.
                if (!File.Exists(argument)) throw new FileNotFoundException($"{argument}: no such image file or folder.", argument);
                // File.Exists is true for a link whose target is gone; reading it would fail later with only the target's name.
                if (new FileInfo(argument).LinkTarget is not null && Pipeline.Files.FileLinks.Resolve(argument) is { Exists: false } target)
                    throw new FileNotFoundException($"{argument}: a symbolic link to {target.FullName}, which does not exist.", argument);
                paths.Add(argument);
                named.Add(Path.GetFullPath(argument));
                continue;
            }
            (List<string> files, List<ExcludedFile> unread) = FolderReader.ReadTree(argument);
            excluded.AddRange(unread);
            foreach (string file in files)
            {
                if (FormatSniffer.Sniff(file, out string? problem) is null) excluded.Add(new ExcludedFile(file, problem!));
                else
                {
                    paths.Add(file);
                    fromFolders.Add(file);
                }
            }
        }
        fromFolders.ExceptWith(named); // a file also named on its own is reported as a named one
        return (paths, fromFolders, excluded);
    }
}
