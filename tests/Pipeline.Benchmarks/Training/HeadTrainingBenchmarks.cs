using BenchmarkDotNet.Attributes;
using Pipeline.Training;

namespace Pipeline.Benchmarks.Training;

/// <summary>
/// Training a head on synthetic backbone-sized features: 4,000 × 1,280 floats, 5 classes (Gaussian blobs).
/// Logistic regression runs L-BFGS to convergence; the MLP runs a fixed 10 epochs (no early stopping).
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*HeadTraining*'</c>
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MemoryDiagnoser]
public class HeadTrainingBenchmarks
{
    private FeatureSet _data = null!;

    [Params(1, 2)] public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const int n = 4000, d = 1280, k = 5;
        var random = new Random(1);
        var centres = new float[k * d];
        for (int i = 0; i < centres.Length; i++) centres[i] = (float)(random.NextDouble() - 0.5) * 0.2f;
        var x = new float[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % k;
            for (int j = 0; j < d; j++)
            {
                double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
                double noise = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                x[i * d + j] = centres[y[i] * d + j] + (float)noise;
            }
        }
        _data = new FeatureSet(x, d, y, k);
    }

    [Benchmark]
    public TrainingSummary LogisticLbfgsToConvergence()
        => ClassifierHead.Train(_data, new HeadOptions(), context: new TrainingContext { MaxThreads = Threads }).Summary!;

    [Benchmark]
    public TrainingSummary Mlp256TenEpochs()
        => ClassifierHead.Train(_data, new HeadOptions { Kind = HeadKind.Mlp, HiddenSizes = [256], Epochs = 10, Patience = 0 },
            context: new TrainingContext { MaxThreads = Threads }).Summary!;
}
