using Pipeline.Graph;
using Pipeline.Graph.Onnx;
using Pipeline.Tensors;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Graph;

/// <summary>
/// The network on a real backbone (light SqueezeNet from shared/conformance): batches, taps and concurrent runs must
/// give the same numbers as single runs. Skips until the operators it uses are on the branch.
/// </summary>
public sealed class NetworkModelTests
{
    private static Network LoadSqueezeNet(int threads)
    {
        string path = SharedData.Require("conformance/onnx-models/light_squeezenet.onnx");
        try
        {
            return Network.Load(path, new NetworkOptions { Threads = threads });
        }
        catch (InvalidModelException e) when (e.Reason.StartsWith("unsupported op", StringComparison.Ordinal))
        {
            Assert.Skip($"light_squeezenet needs operators this branch lacks ({e.OpType}).");
            throw;
        }
    }

    private static Tensor Images(int batch, int seed)
    {
        var random = new Random(seed);
        var data = new float[batch * 3 * 224 * 224];
        for (int i = 0; i < data.Length; i++) data[i] = (float)random.NextDouble();
        return Tensor.Create(data, batch, 3, 224, 224);
    }

    private static Tensor Slice(Tensor batch, int index)
    {
        int[] shape = batch.ShapeArray();
        int per = (int)(batch.Length / shape[0]);
        shape[0] = 1;
        return Tensor.Create(batch.AsSpan<float>().Slice(index * per, per).ToArray(), shape);
    }

    [Fact]
    public void BatchesAndConcurrentRunsMatchSingleRuns()
    {
        using Network network = LoadSqueezeNet(threads: 2);
        Tensor batch = Images(3, 1);
        float[][] singles = Enumerable.Range(0, 3).Select(b => network.Run(Slice(batch, b))[0].AsSpan<float>().ToArray()).ToArray();
        Tensor batched = network.Run(batch)[0];
        Assert.Equal(3, batched.Shape[0]);
        int per = singles[0].Length;
        for (int b = 0; b < 3; b++)
            Assert.Equal(singles[b], batched.AsSpan<float>().Slice(b * per, per).ToArray());

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            for (int i = 0; i < 3; i++)
            {
                int b = (t + i) % 3;
                float[] y = network.Run(Slice(batch, b))[0].AsSpan<float>().ToArray();
                if (!y.AsSpan().SequenceEqual(singles[b])) failures.Add($"thread {t} image {b}");
            }
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void TapsAnIntermediateFeatureMap()
    {
        using Network network = LoadSqueezeNet(threads: 1);
        NetworkValue tap = network.DescribeValues(2).Last(v => v.Shape.Count == 4 && !v.IsConstant);
        Tensor features = network.Run(Images(2, 2), tap.Name)[0];
        Assert.Equal(tap.Shape, features.ShapeArray());
    }
}
