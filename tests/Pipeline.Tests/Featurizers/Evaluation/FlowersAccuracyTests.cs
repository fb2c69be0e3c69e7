using System.Diagnostics;
using Pipeline.Featurizers;
using Pipeline.Featurizers.Backbones;
using Pipeline.Featurizers.Evaluation;
using Pipeline.Featurizers.FilterBank;
using Pipeline.Imaging;
using Pipeline.Tests.Infrastructure;
using Pipeline.Training;
using Pipeline.Training.Metrics;

namespace Pipeline.Tests.Featurizers.Evaluation;

/// <summary>
/// Accuracy on ../shared/datasets/flowers-small (issue 5, acceptance lines 1 and 2). A small 2-fold smoke test always
/// runs when the data is present; the full 5-fold runs (seed 1) are behind PIPELINE_ACCURACY=1 and print their tables.
/// </summary>
public sealed class FlowersAccuracyTests
{
    private const string Flowers = "datasets/flowers-small";

    [Fact]
    public void Built_in_featurizer_beats_chance_by_far_on_a_two_fold_subset()
    {
        LabeledImages data = LabeledImages.FromFolder(SharedData.Require(Flowers));
        // 16 images per class (the first ones in name order), 2 folds: a few seconds.
        int[] subset = Enumerable.Range(0, data.Count).Where(i => Array.IndexOf(data.Labels, data.Labels[i]) + 16 > i).ToArray();
        LabeledImages small = data.Subset(subset);
        var spec = new FilterBankSpec { Centroids = 100, TrainingPatches = 10_000, Seed = 1 };
        Image[] images = Decode(small, spec.Preprocessing.DecoderHint());
        CrossValidationSummary summary = FeaturizerEvaluation.CrossValidatePerFold(images, small.Labels, small.Classes.Length,
            train => FeaturizerFactory.TrainFilterBank(train, spec, cancellation: TestContext.Current.CancellationToken),
            new HeadOptions { Seed = 1 }, folds: 2);
        TestContext.Current.TestOutputHelper?.WriteLine($"2-fold, 80 images: microAccuracy {summary.MicroAccuracy}");
        Assert.True(summary.MicroAccuracy.Mean >= 0.45, $"microAccuracy {summary.MicroAccuracy} (chance is 0.2)");
    }

    [Fact]
    public void Built_in_featurizer_five_fold_accuracy()
    {
        RequireAccuracyRun();
        LabeledImages data = LabeledImages.FromFolder(SharedData.Require(Flowers));
        var spec = new FilterBankSpec { Seed = 1 };
        Image[] images = Decode(data, spec.Preprocessing.DecoderHint());
        var clock = Stopwatch.StartNew();
        CrossValidationSummary summary = FeaturizerEvaluation.CrossValidatePerFold(images, data.Labels, data.Classes.Length,
            train => FeaturizerFactory.TrainFilterBank(train, spec, cancellation: TestContext.Current.CancellationToken),
            new HeadOptions { Seed = 1 }, folds: 5, new TestOutputWriter());
        Report($"built-in filter bank, 5-fold, seed 1: microAccuracy {summary.MicroAccuracy} ({clock.Elapsed.TotalSeconds:F0} s)");
        Assert.True(summary.MicroAccuracy.Mean >= 0.60, $"microAccuracy {summary.MicroAccuracy}");
    }

    [Fact]
    public void MobileNetV2_pooling_by_head_table()
    {
        RequireAccuracyRun();
        string model = SharedData.Require("models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite");
        LabeledImages data = LabeledImages.FromFolder(SharedData.Require(Flowers));
        BackboneEntry entry = BackboneRegistry.Default.Find("mobilenet_v2_1.0_224_quant")!;
        var heads = new (string Name, HeadOptions Options)[]
        {
            ("logistic", new HeadOptions { Seed = 1 }),
            ("logistic, raw features", new HeadOptions { Seed = 1, Standardize = false }),
            ("mlp", new HeadOptions { Seed = 1, Kind = HeadKind.Mlp }),
        };
        double best = 0;
        Report("pooling (+ mirror averaging) | logistic        | logistic, raw   | mlp");
        foreach (string pooling in new[] { "gap", "gem", "gem:4", "spp", "concat" })
        {
            using IFeaturizer featurizer = FeaturizerFactory.CreateBackbone(model, new BackboneSpec { Pooling = pooling, MirrorAverage = true }, entry);
            ExtractedFeatures features = FeatureExtraction.FromFiles(featurizer, data.Paths, cancellation: TestContext.Current.CancellationToken);
            Assert.Empty(features.Failures);
            var cells = new List<string>();
            foreach ((string _, HeadOptions head) in heads)
            {
                CrossValidationSummary summary = FeaturizerEvaluation.CrossValidate(features.Features, features.Dimension, data.Labels, data.Classes.Length, head, folds: 5);
                cells.Add(summary.MicroAccuracy.ToString());
                best = Math.Max(best, summary.MicroAccuracy.Mean);
            }
            Report($"{pooling,-28} | {string.Join(" | ", cells)}   ({features.Elapsed.TotalSeconds:F1} s to featurize {data.Count} images)");
        }
        // The issue's target is 0.93; the best cell measured so far is 0.905 (gem:4, raw features). This guards against
        // regressions below ML.NET's published 0.852 for ResNetV2-101 on the same set.
        Assert.True(best >= 0.86, $"best microAccuracy {best}");
    }

    internal static Image[] Decode(LabeledImages data, DecoderOptions options)
    {
        try
        {
            return data.Paths.Select(p => ImageDecoder.Decode(p, options)).ToArray();
        }
        catch (InvalidImageException e) when (e.Message.Contains("no Jpeg decoder", StringComparison.Ordinal))
        {
            Assert.Skip("This build has no JPEG decoder yet; flowers-small is JPEG.");
            throw;
        }
    }

    private static void RequireAccuracyRun()
    {
        if (Environment.GetEnvironmentVariable("PIPELINE_ACCURACY") != "1")
            Assert.Skip("Full cross-validation runs take minutes; set PIPELINE_ACCURACY=1 to run them.");
    }

    private static void Report(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        Console.WriteLine(line);
    }

    private sealed class TestOutputWriter : StringWriter
    {
        public override void WriteLine(string? value) => Report(value ?? string.Empty);
    }
}
