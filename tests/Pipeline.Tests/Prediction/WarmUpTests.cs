using Pipeline.Prediction;
using Pipeline.Tests.Classification;

namespace Pipeline.Tests.Prediction;

/// <summary>Warming a model up on load (blank images, alone and batched) leaves every prediction as it was.</summary>
public sealed class WarmUpTests(ShapesModel model) : IClassFixture<ShapesModel>
{
    [Fact]
    public void AWarmedUpClassifierPredictsExactlyWhatAColdOneDoes()
    {
        using var file = new MemoryStream();
        model.Result.Classifier.Save(file);
        file.Position = 0;
        using ImageClassifier warm = ImageClassifier.Load(file, new ImageClassifierOptions { WarmUp = true });
        file.Position = 0;
        using ImageClassifier cold = ImageClassifier.Load(file);

        string[] paths = model.Data.Samples.Take(6).Select(s => s.Path).ToArray();
        IReadOnlyList<global::Pipeline.Prediction.Prediction> warmBatch = warm.Predict(paths), coldBatch = cold.Predict(paths);
        for (int i = 0; i < paths.Length; i++)
        {
            Assert.Equal(cold.Predict(paths[i]).Scores.ToArray(), warm.Predict(paths[i]).Scores.ToArray());
            Assert.Equal(coldBatch[i].Scores.ToArray(), warmBatch[i].Scores.ToArray());
        }
    }
}
