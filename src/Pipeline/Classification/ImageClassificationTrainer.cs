using System.Security.Cryptography;
using Pipeline.Datasets;
using Pipeline.Featurizers;
using Pipeline.Featurizers.Backbones;
using Pipeline.Featurizers.Cache;
using Pipeline.Imaging;
using Pipeline.Persistence;
using Pipeline.Prediction;
using Pipeline.Training;
using Pipeline.Training.Data;
using Pipeline.Training.Metrics;

namespace Pipeline.Classification;

/// <summary>
/// Trains image classifiers: a dataset in, a <see cref="TrainingResult"/> out (an <see cref="ImageClassifier"/> ready to
/// predict and save as model.zip, with its validation metrics). The seed of <see cref="TrainerOptions"/> decides
/// everything random, so the same options and data give the same model bytes, whatever the thread count.
/// <code>
/// var trainer = new ImageClassificationTrainer(new TrainerOptions { Seed = 1 });
/// using TrainingResult result = trainer.Fit(ImageDataset.Load("data/shapes"));
/// result.Save("model.zip");
/// </code>
/// The steps: the images are split into training and validation parts (stratified, from the seed); the featurizer is
/// the pretrained backbone, or the built-in filter bank learned from the training part; every image is featurized (or
/// found in the feature cache); the head trains on the training part and is measured on the validation part.
/// </summary>
public sealed class ImageClassificationTrainer
{
    private readonly TrainerOptions _options;

    /// <summary>Creates a trainer.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public ImageClassificationTrainer(TrainerOptions? options = null)
    {
        _options = options ?? new TrainerOptions();
        _options.Validate();
    }

    /// <summary>The options this trainer runs with.</summary>
    public TrainerOptions Options => _options;

    /// <summary>Trains a classifier on <paramref name="data"/>.</summary>
    /// <exception cref="InvalidDatasetException">A class with no usable image: none of its files is an image the
    /// decoders read (<see cref="ImageDataset.UnusableClasses"/>; <see cref="ImageDataset.WithoutUnusableClasses"/>
    /// accepts them as left out), or none of its images decodes; or fewer than two classes.</exception>
    /// <exception cref="BackboneUnavailableException">The backbone is neither a file nor a registry name, or cannot be downloaded.</exception>
    /// <exception cref="Graph.InvalidModelException">The backbone file is not a usable model.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was triggered.</exception>
    public TrainingResult Fit(ImageDataset data, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        RequireUsableClasses(data);
        RequireClasses(data);
        var excluded = new ExclusionList(data.Excluded);
        DataSplit split = Split(data);

        (IFeaturizer featurizer, ModelBackbone? backbone) = CreateFeaturizer(data, split.Train, excluded, cancellation);
        try
        {
            RequireExemplarBudget(data, featurizer.Dimension);
            (FeatureSet all, int[] sampleOfRow, FeaturizationReport report) = Featurize(featurizer, data, excluded, cancellation);
            RequireImagesOfEveryClass(all, data, excluded);
            (FeatureSet train, FeatureSet? validation) = Parts(all, sampleOfRow, split, data);
            ClassifierHead head = ClassifierHead.Train(train, _options.HeadSettings(), validation: null, HeadContext(data.Classes, cancellation));
            MulticlassMetrics? metrics = validation is null ? null : head.Evaluate(validation);
            var modelMetrics = new ModelMetrics { Validation = metrics, TrainingImages = train.Count, ValidationImages = validation?.Count ?? 0 };
            TrainingRecord record = Record(data, excluded.Count, _options.HeadSettings(),
                _options.Backbone is { } b ? (File.Exists(b) ? Path.GetFileName(b) : b) : null, retrained: null);
            ModelPackage package = ModelLayout.Compose(data.Classes, featurizer, backbone, head, modelMetrics, record.ToJson(), Exemplars(train, cancellation));
            var classifier = new ImageClassifier(package, featurizer, head, ModelLayout.Describe(package, featurizer, head, modelMetrics),
                new ImageClassifierOptions { Threads = _options.Threads });
            return new TrainingResult(classifier, metrics, train.Count, validation?.Count ?? 0, excluded.ToList(), head.Summary, report);
        }
        catch
        {
            featurizer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Measures how well these options do on <paramref name="data"/> by stratified k-fold cross-validation (folds from the
    /// seed). A learned featurizer (the built-in one) is learned again in each fold from that fold's training images only,
    /// so no validation image influences the features it is scored with; a backbone featurizes every image once.
    /// </summary>
    /// <exception cref="InvalidDatasetException">A class with no usable image, or fewer than two classes (as <see cref="Fit"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="folds"/> is below 2 or above the number of images.</exception>
    public CrossValidationResult CrossValidate(ImageDataset data, int folds = 5, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        RequireUsableClasses(data);
        RequireClasses(data);
        if (folds < 2 || folds > data.Count)
            throw new ArgumentOutOfRangeException(nameof(folds), folds, $"The number of folds must be between 2 and the number of images ({data.Count}).");
        var excluded = new ExclusionList(data.Excluded);
        int k = data.Classes.Count;
        HeadOptions head = _options.HeadSettings();
        var metrics = new MulticlassMetrics[folds];
        var reports = new List<FeaturizationReport>();
        int used;
        if (_options.Backbone is not null)
        {
            (IFeaturizer featurizer, _) = CreateFeaturizer(data, [], excluded, cancellation);
            using (featurizer)
            {
                (FeatureSet all, _, FeaturizationReport report) = Featurize(featurizer, data, excluded, cancellation);
                reports.Add(report);
                used = all.Count;
                RequireImagesOfEveryClass(all, data, excluded);
                DataSplit[] splits = StratifiedSplits.KFold(all.Labels.Span, k, folds, _options.Seed);
                for (int f = 0; f < folds; f++)
                {
                    Report(TrainerStage.CrossValidating, f, folds);
                    ClassifierHead fold = ClassifierHead.Train(all.Subset(splits[f].Train), head, validation: null, HeadContext(data.Classes, cancellation));
                    metrics[f] = fold.Evaluate(all.Subset(splits[f].Validation));
                }
            }
        }
        else
        {
            DataSplit[] splits = StratifiedSplits.KFold(data.Labels(), k, folds, _options.Seed);
            used = 0;
            for (int f = 0; f < folds; f++)
            {
                Report(TrainerStage.CrossValidating, f, folds);
                (IFeaturizer featurizer, _) = CreateFeaturizer(data, splits[f].Train, excluded, cancellation);
                using (featurizer)
                {
                    (FeatureSet all, int[] sampleOfRow, FeaturizationReport report) = Featurize(featurizer, data, excluded, cancellation);
                    reports.Add(report);
                    used = all.Count;
                    RequireImagesOfEveryClass(all, data, excluded);
                    (FeatureSet train, FeatureSet? validation) = Parts(all, sampleOfRow, splits[f], data);
                    ClassifierHead fold = ClassifierHead.Train(train, head, validation: null, HeadContext(data.Classes, cancellation));
                    metrics[f] = fold.Evaluate(validation!);
                }
            }
        }
        Report(TrainerStage.CrossValidating, folds, folds);
        var total = new FeaturizationReport(reports.Sum(r => r.Images), reports.Sum(r => r.CacheHits), reports.Sum(r => r.Computed),
            TimeSpan.FromTicks(reports.Sum(r => r.Elapsed.Ticks)));
        return new CrossValidationResult(CrossValidationSummary.From(metrics), used, excluded.ToList(), total);
    }

    /// <summary>
    /// Retrains <paramref name="model"/> on <paramref name="data"/>, Model Builder style: the featurizer is kept as it is
    /// (same spec, state and backbone, so the feature cache of earlier runs is reused), the head is warm-started from the
    /// old one, and classes the data adds are appended to the labels. The old and the new model are measured on the same
    /// validation images (split from the seed); for the old model, images of classes it does not know count as errors.
    /// The head keeps the old head's kind and hidden sizes; the rest of <see cref="TrainerOptions.Head"/> applies.
    /// </summary>
    /// <exception cref="InvalidDatasetException">The data has a class with no usable image, or images of fewer than two
    /// classes (as <see cref="Fit"/>: a head warm-started on one class learns to answer it for everything), or a class of
    /// the model or the data is left with no training image and none before.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="model"/> was disposed.</exception>
    public RetrainingResult Retrain(ImageClassifier model, ImageDataset data, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        model.ThrowIfDisposed();
        RequireUsableClasses(data);
        RequireClasses(data);
        string[] missing = [.. model.Labels.Where(label => !data.Classes.Contains(label, StringComparer.Ordinal))];
        ImageDataset mapped = data.WithClasses(model.Labels);
        RequireExemplarBudget(mapped, model.Featurizer.Dimension);
        var excluded = new ExclusionList(mapped.Excluded);
        DataSplit split = Split(mapped);
        (FeatureSet all, int[] sampleOfRow, FeaturizationReport report) = Featurize(model.Featurizer, mapped, excluded, cancellation);
        RequireImagesOfEveryClass(all, mapped, excluded);
        (FeatureSet train, FeatureSet? validation) = Parts(all, sampleOfRow, split, mapped);
        // A class with no training row trains on the vectors the model kept of it, so the other classes learn where it is.
        ExemplarMemory? kept = ModelLayout.Exemplars(model.Package, model.Head, file: null);
        int trainingImages = train.Count;
        int[] rehearsed = Rehearsed(train, model.Labels.Count, kept);
        ExemplarMemory? memory = Exemplars(train, cancellation);
        if (rehearsed.Length > 0)
        {
            memory = memory?.Keeping(kept!, rehearsed, _options.ExemplarsPerClass);
            train = kept!.AppendTo(train, rehearsed);
        }

        HeadSpec old = model.Head.Spec;
        HeadOptions options = _options.HeadSettings() with
        {
            Kind = old.Kind,
            HiddenSizes = old.Kind == HeadKind.Mlp ? old.HiddenSizes : _options.Head.HiddenSizes,
            Standardize = old.Standardized,
        };
        ClassifierHead head = model.Head.Retrain(train, options, validation: null, HeadContext(mapped.Classes, cancellation));
        MulticlassMetrics? previous = validation is null ? null : model.Head.Evaluate(validation);
        MulticlassMetrics? metrics = validation is null ? null : head.Evaluate(validation);

        var modelMetrics = new ModelMetrics { Validation = metrics, PreviousModel = previous, TrainingImages = trainingImages, ValidationImages = validation?.Count ?? 0 };
        byte[] oldWeights = model.Package.Entries.TryGetValue(ModelLayout.HeadWeightsEntry, out ReadOnlyMemory<byte> w) ? w.ToArray() : [];
        // The record tells what this model was made with: the old model's backbone and the head options actually used.
        TrainingRecord record = Record(mapped, excluded.Count, options, model.Info.Backbone is { } mb ? mb.RegistryName ?? mb.FileName : null, new TrainingRecord.RetrainedFrom(model.Labels.Count,
            model.Info.CreatedUtc?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            Convert.ToHexStringLower(SHA256.HashData(oldWeights))));
        var entries = new Dictionary<string, ReadOnlyMemory<byte>>(model.Package.Entries, StringComparer.Ordinal) { [ModelLayout.HeadWeightsEntry] = head.Serialize() };
        entries.Remove(ModelLayout.ExemplarsEntry);
        if (memory is not null) entries[ModelLayout.ExemplarsEntry] = memory.Serialize(SHA256.HashData(entries[ModelLayout.HeadWeightsEntry].Span));
        ModelPackage package = model.Package with
        {
            Labels = mapped.Classes,
            Head = System.Text.Json.JsonSerializer.SerializeToElement(head.Spec, ModelLayout.Json),
            Metrics = System.Text.Json.JsonSerializer.SerializeToElement(modelMetrics, ModelLayout.Json),
            TrainingOptions = record.ToJson(),
            Entries = entries,
        };
        ImageClassifier classifier = ImageClassifier.Open(package, new ImageClassifierOptions { Threads = _options.Threads, BackboneCacheFolder = _options.BackboneCacheFolder }, file: null);
        string[] added = [.. mapped.Classes.Skip(model.Labels.Count)];
        return new RetrainingResult(classifier, previous, metrics, added, missing, [.. rehearsed.Select(c => mapped.Classes[c])],
            trainingImages, validation?.Count ?? 0, excluded.ToList(), head.Summary, report);
    }

    /// <summary>
    /// Evaluates <paramref name="model"/> on every image of <paramref name="data"/> (matched to the model's labels by name;
    /// images of classes the model does not know count as errors, as in ML.NET).
    /// </summary>
    /// <exception cref="ObjectDisposedException"><paramref name="model"/> was disposed.</exception>
    public EvaluationResult Evaluate(ImageClassifier model, ImageDataset data, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        model.ThrowIfDisposed();
        ImageDataset mapped = data.WithClasses(model.Labels);
        var excluded = new ExclusionList(mapped.Excluded);
        (FeatureSet all, _, FeaturizationReport report) = Featurize(model.Featurizer, mapped, excluded, cancellation);
        string[] unknown = [.. mapped.Classes.Skip(model.Labels.Count)];
        return new EvaluationResult(model.Head.Evaluate(all), all.Count, unknown, excluded.ToList(), report);
    }

    /// <summary>
    /// Throws when a class of <paramref name="data"/> has no usable image (<see cref="ImageDataset.UnusableClasses"/>),
    /// naming each, its files and why they were left out: a model trained without the class would never answer it,
    /// and the user, who gave its folder, believes it does. Checked first, so one class left beside it is not reported
    /// as "fewer than two classes" instead.
    /// </summary>
    private static void RequireUsableClasses(ImageDataset data)
    {
        if (data.UnusableClasses.Count == 0) return;
        // The files only: the dataset's note for each such class ("...; the class is left out") repeats this message and
        // is not true of a run that is refused.
        var classNotes = new HashSet<string>(data.UnusableClasses.Select(c => c.Path), StringComparer.Ordinal);
        throw new InvalidDatasetException(data.Source, string.Join("; ", data.UnusableClasses.Select(c => c.Message)) + "; " + ClassSummary.Advice)
        {
            Excluded = [.. data.Excluded.Where(e => !classNotes.Contains(e.Path))],
        };
    }

    private static void RequireClasses(ImageDataset data)
    {
        if (data.Classes.Count < 2)
            throw new InvalidDatasetException(data.Source, $"a classifier needs images of at least two classes; the data has {data.Classes.Count} ({string.Join(", ", data.Classes)})"
                + string.Concat(data.LeftOutClasses.Select(c => $"; left out: {c.Message}"))) { Excluded = data.Excluded };
    }

    /// <summary>
    /// Throws when a class with images in <paramref name="data"/> has no row in <paramref name="featurized"/>: every one
    /// of its images failed to decode. A new head never shown a class would still list it, and score it zero, forever;
    /// a retrained one would keep its old weights while the user believes it learned from the new images. (A model's
    /// class with no image in the data at all is kept as it was, and reported as missing.)
    /// </summary>
    private static void RequireImagesOfEveryClass(FeatureSet featurized, ImageDataset data, ExclusionList excluded)
    {
        var seen = new bool[data.Classes.Count];
        foreach (int label in featurized.Labels.Span) seen[label] = true;
        int[] counts = data.ClassCounts();
        for (int c = 0; c < seen.Length; c++)
        {
            if (seen[c] || counts[c] == 0) continue;
            // Said as the dataset says a class none of whose files is an image: every file of the class, by reason.
            var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (ExcludedFile file in excluded.ToList()) reasons.TryAdd(file.Path, file.Reason);
            var items = new List<ClassSummary.Item>();
            foreach (ImageSample sample in data.Samples)
                if (sample.Label == c) items.Add(new ClassSummary.Item(sample.Path, reasons.GetValueOrDefault(sample.Path, "not featurized"), Predicate: "could not be decoded"));
            items.AddRange(data.ExcludedOf(data.Classes[c]));
            string reason = ClassSummary.Describe(items, empty: "it has no file");
            throw new InvalidDatasetException(data.Source, $"{ClassSummary.Refusal(data.Classes[c], reason)}; {ClassSummary.Advice}") { Excluded = excluded.ToList() };
        }
    }

    /// <summary>
    /// The validation split, keyed by each image's path relative to the dataset's folder (or manifest's folder), so
    /// images added later never move an image that was trained on into validation, and moving the whole dataset
    /// elsewhere changes nothing.
    /// </summary>
    internal DataSplit Split(ImageDataset data)
    {
        int[] labels = data.Labels();
        if (_options.ValidationFraction > 0) return StratifiedSplits.TrainValidation(labels, SplitKeys(data), data.Classes.Count, _options.ValidationFraction, _options.Seed);
        var all = new int[labels.Length];
        for (int i = 0; i < all.Length; i++) all[i] = i;
        return new DataSplit(all, []);
    }

    private static string[] SplitKeys(ImageDataset data)
    {
        string? root = Directory.Exists(data.Source) ? Path.GetFullPath(data.Source)
            : File.Exists(data.Source) ? Path.GetDirectoryName(Path.GetFullPath(data.Source))
            : null;
        var keys = new string[data.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            string path = data.Samples[i].Path;
            string relative = root is null ? path : Path.GetRelativePath(root, path);
            if (Path.IsPathRooted(relative) || relative.StartsWith("..", StringComparison.Ordinal)) relative = path;
            keys[i] = Path.DirectorySeparatorChar == '/' ? relative : relative.Replace('\\', '/');
        }
        return keys;
    }

    /// <summary>The backbone featurizer, or the built-in filter bank learned from the samples at <paramref name="trainingSamples"/>.</summary>
    private (IFeaturizer Featurizer, ModelBackbone? Backbone) CreateFeaturizer(ImageDataset data, int[] trainingSamples, ExclusionList excluded, CancellationToken cancellation)
    {
        var featurizerOptions = new FeaturizerOptions { Threads = _options.Threads };
        if (_options.Backbone is { } wanted)
        {
            var store = new BackboneStore(_options.BackboneCacheFolder);
            var download = _options.Progress is { } p ? new Progress<DownloadProgress>(d => p.Report(new TrainerProgress(TrainerStage.DownloadingBackbone, d.BytesReceived, d.TotalBytes, d.Name))) : null;
            ResolvedBackbone resolved = store.ResolveAsync(wanted, download, cancellation).GetAwaiter().GetResult();
            byte[] bytes = Graph.ModelFile.ReadAllBytes(resolved.Path);
            IFeaturizer featurizer;
            try
            {
                featurizer = BackboneFeaturizer.Create(bytes, _options.BackboneSettings(), resolved.Entry, featurizerOptions, _options.Preprocessing);
            }
            catch (Graph.InvalidModelException e) when (e.File is null)
            {
                // Loaded from bytes, the importer cannot know the file: name the one the user gave (or the registry's).
                throw e.WithFile(Path.GetFileName(resolved.Path));
            }
            ModelBackbone backbone = _options.BackboneStorage == BackboneStorage.Referenced && resolved.Entry is { } entry
                ? ModelBackbone.Referenced(entry.Name, entry.FileName, entry.Sha256, entry.Size)
                : ModelBackbone.Embedded(Path.GetFileName(resolved.Path), bytes, resolved.Entry?.Name);
            return (featurizer, backbone);
        }

        // The built-in featurizer learns from the training images, decoded and rendered at its input size (small: the
        // whole training part stays in memory); images that fail to decode are excluded here and again, by path, later.
        Featurizers.FilterBank.FilterBankSpec spec = _options.FilterBankSettings();
        Imaging.Processing.ImagePreprocessing preprocessing = spec.Preprocessing;
        DecoderOptions decoding = preprocessing.DecoderHint();
        var rendered = new Image?[trainingSamples.Length];
        var failures = new string?[trainingSamples.Length];
        int done = 0;
        Report(TrainerStage.Decoding, 0, trainingSamples.Length);
        Parallel.For(0, trainingSamples.Length, new ParallelOptions { MaxDegreeOfParallelism = _options.ThreadCount, CancellationToken = cancellation }, i =>
        {
            string path = data.Samples[trainingSamples[i]].Path;
            try
            {
                rendered[i] = preprocessing.Render(ImageDecoder.Decode(path, decoding));
            }
            catch (Exception e) when (e is InvalidImageException or IOException or UnauthorizedAccessException)
            {
                failures[i] = e is InvalidImageException invalid ? invalid.Detail : e.Message;
            }
            int now = Interlocked.Increment(ref done);
            if (now % 16 == 0) Report(TrainerStage.Decoding, now, trainingSamples.Length);
        });
        Report(TrainerStage.Decoding, trainingSamples.Length, trainingSamples.Length);
        var images = new List<Image>(trainingSamples.Length);
        for (int i = 0; i < rendered.Length; i++)
        {
            if (rendered[i] is { } image) images.Add(image);
            else excluded.Add(data.Samples[trainingSamples[i]].Path, failures[i]!);
        }
        if (images.Count == 0) throw new InvalidDatasetException(data.Source, "no training image could be decoded") { Excluded = excluded.ToList() };
        Report(TrainerStage.LearningFeaturizer, 0, 1);
        IFeaturizer bank = FeaturizerFactory.TrainFilterBank(images, spec, featurizerOptions, cancellation);
        Report(TrainerStage.LearningFeaturizer, 1, 1);
        return (bank, null);
    }

    /// <summary>Features of every sample that decodes (cache first); rows are in sample order, <c>sampleOfRow</c> maps back.</summary>
    private (FeatureSet All, int[] SampleOfRow, FeaturizationReport Report) Featurize(IFeaturizer featurizer, ImageDataset data, ExclusionList excluded, CancellationToken cancellation)
    {
        var paths = new string[data.Count];
        for (int i = 0; i < paths.Length; i++) paths[i] = data.Samples[i].Path;
        FeatureCache? cache = _options.UseFeatureCache
            ? new FeatureCache(_options.FeatureCacheFolder, new FeatureCacheOptions { ReadOnly = _options.FeatureCacheReadOnly })
            : null;
        var progress = _options.Progress is { } p
            ? new SynchronousProgress<FeatureExtractionProgress>(e => p.Report(new TrainerProgress(TrainerStage.Featurizing, e.Done, e.Total, e.CacheHits > 0 ? $"{e.CacheHits} cached" : null)))
            : null;
        Report(TrainerStage.Featurizing, 0, paths.Length);
        ExtractedFeatures extracted = FeatureExtraction.FromFiles(featurizer, paths, cache, new FeaturizerOptions { Threads = _options.Threads }, progress, cancellation);
        foreach (ExtractionFailure failure in extracted.Failures) excluded.Add(failure.Path, failure.Reason);
        var labels = new int[extracted.Rows.Length];
        for (int r = 0; r < labels.Length; r++) labels[r] = data.Samples[extracted.Rows[r]].Label;
        var all = new FeatureSet(extracted.Features, extracted.Dimension, labels, data.Classes.Count);
        return (all, extracted.Rows, new FeaturizationReport(extracted.Rows.Length, extracted.CacheHits, extracted.Computed, extracted.Elapsed));
    }

    /// <summary>The training and validation rows of a split of the samples, without the samples that failed to featurize.</summary>
    private static (FeatureSet Train, FeatureSet? Validation) Parts(FeatureSet all, int[] sampleOfRow, DataSplit split, ImageDataset data)
    {
        var rowOfSample = new int[data.Count];
        Array.Fill(rowOfSample, -1);
        for (int r = 0; r < sampleOfRow.Length; r++) rowOfSample[sampleOfRow[r]] = r;
        int[] Rows(int[] samples)
        {
            var rows = new List<int>(samples.Length);
            foreach (int s in samples) if (rowOfSample[s] >= 0) rows.Add(rowOfSample[s]);
            return [.. rows];
        }
        int[] trainRows = Rows(split.Train);
        if (trainRows.Length == 0) throw new InvalidDatasetException(data.Source, "no training image could be featurized");
        int[] validationRows = Rows(split.Validation);
        return (all.Subset(trainRows), validationRows.Length > 0 ? all.Subset(validationRows) : null);
    }

    private ExemplarMemory? Exemplars(FeatureSet train, CancellationToken cancellation)
        => _options.ExemplarsPerClass > 0 ? ExemplarMemory.Select(train, _options.ExemplarsPerClass, _options.ThreadCount, cancellation) : null;

    /// <summary>Refuses, before the head is trained, stored vectors that would make model.zip too large to save.</summary>
    private void RequireExemplarBudget(ImageDataset data, int dimension)
    {
        int[] counts = data.ClassCounts();
        long bytes = ExemplarMemory.EntryBytes(counts, dimension, _options.ExemplarsPerClass), limit = ModelPackageLimits.Default.MaxEntryBytes / 4;
        if (_options.ExemplarsPerClass > 0 && bytes > limit)
            throw new ArgumentException($"TrainerOptions.ExemplarsPerClass = {_options.ExemplarsPerClass} would store up to {bytes:N0} bytes of feature vectors "
                + $"({counts.Length} classes of {dimension} features) in model.zip, over the {limit:N0} allowed: keep fewer per class.", nameof(TrainerOptions.ExemplarsPerClass));
    }

    /// <summary>The model's classes that have no training row but stored vectors to train on.</summary>
    private static int[] Rehearsed(FeatureSet train, int modelClasses, ExemplarMemory? memory)
    {
        if (memory is null) return [];
        int[] counts = train.ClassCounts();
        var classes = new List<int>();
        for (int c = 0; c < modelClasses; c++)
            if (counts[c] == 0 && memory.CountOf(c) > 0) classes.Add(c);
        return [.. classes];
    }

    private TrainingContext HeadContext(IReadOnlyList<string> classes, CancellationToken cancellation) => new()
    {
        MaxThreads = _options.Threads,
        ClassNames = classes,
        CancellationToken = cancellation,
        Progress = _options.Progress is { } p
            ? new SynchronousProgress<TrainingProgress>(t => p.Report(new TrainerProgress(TrainerStage.TrainingHead, t.Step, t.MaxSteps, $"loss {t.TrainingLoss:0.0000}")))
            : null,
    };

    private TrainingRecord Record(ImageDataset data, int excludedFiles, HeadOptions head, string? backbone, TrainingRecord.RetrainedFrom? retrained) => new()
    {
        Seed = _options.Seed,
        Backbone = backbone,
        ValidationFraction = _options.ValidationFraction,
        ExemplarsPerClass = _options.ExemplarsPerClass,
        Head = head,
        ClassImages = data.ClassCounts(),
        ExcludedFiles = excludedFiles,
        Retrained = retrained,
    };

    private void Report(TrainerStage stage, long done, long total, string? detail = null) => _options.Progress?.Report(new TrainerProgress(stage, done, total, detail));

    /// <summary>Reports on the calling thread (System.Progress would post to the thread pool and reorder reports).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>Exclusions in the order found, each path once.</summary>
    private sealed class ExclusionList
    {
        private readonly List<ExcludedFile> _list;
        private readonly HashSet<string> _paths = new(StringComparer.Ordinal);

        public ExclusionList(IEnumerable<ExcludedFile> initial)
        {
            _list = [.. initial];
            foreach (ExcludedFile e in _list) _paths.Add(e.Path);
        }

        public int Count
        {
            get
            {
                lock (_list) return _list.Count;
            }
        }

        public void Add(string path, string reason)
        {
            lock (_list)
            {
                if (_paths.Add(path)) _list.Add(new ExcludedFile(path, reason));
            }
        }

        public IReadOnlyList<ExcludedFile> ToList()
        {
            lock (_list) return _list.ToArray();
        }
    }
}
