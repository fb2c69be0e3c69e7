using Pipeline.Classification;
using Pipeline.Datasets;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Classification;

/// <summary>One model trained on the repo's data/shapes with the built-in featurizer, shared by a test class.</summary>
public sealed class ShapesModel : IDisposable
{
    public ShapesModel()
    {
        Data = ImageDataset.FromFolder(Path.Combine(SharedData.RepoRoot, "data", "shapes"));
        Options = new TrainerOptions { Seed = 7, UseFeatureCache = false, Threads = 2 };
        Result = new ImageClassificationTrainer(Options).Fit(Data);
    }

    public ImageDataset Data { get; }

    public TrainerOptions Options { get; }

    public TrainingResult Result { get; }

    public void Dispose() => Result.Dispose();
}
