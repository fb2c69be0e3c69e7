using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Pipeline.Tests.Infrastructure;
using Pipeline.Training;

namespace Pipeline.Tests.Training;

public sealed class HeadSerializationTests
{
    private static readonly FeatureSet Data = Synthetic.Blobs(n: 120, d: 10, k: 3, seed: 51);
    private static readonly ClassifierHead Mlp = ClassifierHead.Train(Data, new HeadOptions { Kind = HeadKind.Mlp, HiddenSizes = [8, 4], Epochs = 3 });
    private static readonly ClassifierHead Logistic = ClassifierHead.Train(Data, new HeadOptions { Standardize = false });

    [Fact]
    public void RoundTripsToTheSameBytesAndPredictions()
    {
        foreach (ClassifierHead head in new[] { Mlp, Logistic })
        {
            byte[] bytes = head.Serialize();
            ClassifierHead loaded = ClassifierHead.Deserialize(bytes, head.Spec);
            Assert.Equal(bytes, loaded.Serialize());
            Assert.Equal(head.Spec, loaded.Spec);
            Assert.Null(loaded.Summary);
            var a = new float[Data.Count * 3];
            var b = new float[Data.Count * 3];
            head.PredictProbabilities(Data.Features.Span, Data.Count, a);
            loaded.PredictProbabilities(Data.Features.Span, Data.Count, b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void TheSpecIsCamelCaseJson()
    {
        string json = JsonSerializer.Serialize(Mlp.Spec);
        Assert.Equal("""{"kind":"mlp","featureDimension":10,"classCount":3,"hiddenSizes":[8,4],"activation":"relu","standardized":true,"weightsFormatVersion":1}""", json);
        Assert.Equal(Mlp.Spec, JsonSerializer.Deserialize<HeadSpec>(json));
        string options = JsonSerializer.Serialize(new HeadOptions());
        Assert.Contains("\"kind\":\"logistic\"", options);
        Assert.Contains("\"classWeighting\":\"none\"", options);
        Assert.Equal(new HeadOptions().L2Regularization, JsonSerializer.Deserialize<HeadOptions>(options)!.L2Regularization);
    }

    private static byte[] WithVersion(byte[] bytes, int version)
    {
        byte[] copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(4), version);
        SHA256.HashData(copy.AsSpan(0, copy.Length - 32), copy.AsSpan(copy.Length - 32));
        return copy;
    }

    [Fact]
    public void BadEntriesGiveTypedErrorsWithHints()
    {
        byte[] good = Mlp.Serialize();
        string Message(byte[] bytes) => Assert.Throws<InvalidDataException>(() => ClassifierHead.Deserialize(bytes)).Message;

        Assert.Contains("newer version", Message(WithVersion(good, 2)));
        Assert.Contains("truncated", Message(good[..^5]));
        Assert.Contains("not a head weights entry", Message([.. "PK"u8, .. good[2..]]));
        byte[] flipped = (byte[])good.Clone();
        flipped[100] ^= 1;
        Assert.Contains("checksum", Message(flipped));
        Assert.Contains("inconsistent", Assert.Throws<InvalidDataException>(() => ClassifierHead.Deserialize(good, Logistic.Spec)).Message);
        // A header declaring a huge layer is rejected from the length check, before any allocation.
        byte[] huge = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(24), 60_000);
        Assert.Contains("length", Message(huge));
    }

    [Fact]
    public void MutatedEntriesLoadOrFailTyped()
    {
        FuzzHarness.Result result = FuzzHarness.Run<InvalidDataException>([Mlp.Serialize(), Logistic.Serialize()],
            bytes => ClassifierHead.Deserialize(bytes), seed: 5, defaultCases: 2000, TimeSpan.FromSeconds(2), "head-weights");
        Assert.True(result.Rejected > 0);
    }
}
