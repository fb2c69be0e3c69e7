using Pipeline.Prediction;
using Pipeline.Tests.Classification;

namespace Pipeline.Tests.Prediction;

/// <summary>Issue 5, acceptance 4: many threads share one loaded model and get exactly the single-threaded answers.</summary>
public sealed class ThreadSafetyTests(ShapesModel model) : IClassFixture<ShapesModel>
{
    [Fact]
    public void SixteenThreadsTimesTwoHundredPredictionsEqualTheSingleThreadedResults()
    {
        byte[][] files = model.Data.Samples.Select(s => File.ReadAllBytes(s.Path)).ToArray();
        using var stream = new MemoryStream();
        model.Result.Classifier.Save(stream);
        stream.Position = 0;
        using ImageClassifier classifier = ImageClassifier.Load(stream, new ImageClassifierOptions { Threads = 2 });
        float[][] expected = files.Select(f => classifier.Predict(f).Scores.ToArray()).ToArray();

        const int Threads = 16, PerThread = 200;
        var mismatches = new int[Threads];
        var workers = new Thread[Threads];
        using var start = new ManualResetEventSlim();
        for (int t = 0; t < Threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                start.Wait();
                for (int i = 0; i < PerThread; i++)
                {
                    int k = (id * 37 + i * 11) % files.Length;
                    float[] scores = classifier.Predict(files[k]).Scores.ToArray();
                    if (!scores.AsSpan().SequenceEqual(expected[k])) mismatches[id]++;
                }
            });
            workers[t].Start();
        }
        start.Set();
        foreach (Thread worker in workers) worker.Join();
        Assert.All(mismatches, m => Assert.Equal(0, m));
    }
}
