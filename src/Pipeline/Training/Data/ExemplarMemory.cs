using System.Buffers.Binary;

namespace Pipeline.Training.Data;

/// <summary>
/// A few training feature vectors of every class, kept in model.zip so a later retrain on data that lacks a class can
/// still train on it (rehearsal, as in iCaRL, Rebuffi et al. 2017). Without rows of a class, softmax training pushes
/// it down everywhere and the other classes take its images; its stored vectors keep it in the fight.
/// <para>
/// Per class, the vectors are chosen by herding: greedily, the row that brings the mean of the chosen rows closest to
/// the class mean, so a small memory still represents the class's centre. Deterministic: same rows, same memory.
/// </para>
/// <para>
/// Bytes: "PEXM", version (uint32 = 1), class count, dimension, then for each class its row count (uint32) and its
/// rows (float32), all little-endian.
/// </para>
/// </summary>
internal sealed class ExemplarMemory
{
    private static ReadOnlySpan<byte> Magic => "PEXM"u8;
    private const uint Version = 1;
    private const int HeaderSize = 16;

    private readonly float[][] _rows; // per class: count × Dimension

    private ExemplarMemory(int dimension, float[][] rows)
    {
        Dimension = dimension;
        _rows = rows;
    }

    /// <summary>Floats per vector.</summary>
    public int Dimension { get; }

    /// <summary>The number of classes (some may hold no vector).</summary>
    public int ClassCount => _rows.Length;

    /// <summary>The number of vectors kept for <paramref name="label"/>.</summary>
    public int CountOf(int label) => _rows[label].Length / Dimension;

    /// <summary>Up to <paramref name="perClass"/> rows of each class of <paramref name="train"/>, chosen by herding.</summary>
    public static ExemplarMemory Select(FeatureSet train, int perClass)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perClass);
        int d = train.Dimension;
        var members = new List<int>[train.ClassCount];
        for (int c = 0; c < members.Length; c++) members[c] = [];
        ReadOnlySpan<int> labels = train.Labels.Span;
        for (int i = 0; i < labels.Length; i++) members[labels[i]].Add(i);

        var rows = new float[train.ClassCount][];
        var mean = new double[d];
        var sum = new double[d];
        for (int c = 0; c < rows.Length; c++)
        {
            List<int> pool = members[c];
            int take = Math.Min(perClass, pool.Count);
            rows[c] = new float[take * d];
            if (take == 0) continue;
            Array.Clear(mean);
            Array.Clear(sum);
            foreach (int r in pool)
            {
                ReadOnlySpan<float> x = train.Row(r);
                for (int j = 0; j < d; j++) mean[j] += x[j];
            }
            for (int j = 0; j < d; j++) mean[j] /= pool.Count;

            var used = new bool[pool.Count];
            for (int k = 0; k < take; k++)
            {
                // The candidate x minimising |mean − (sum + x)/(k+1)|²; ties go to the earlier row.
                int best = -1;
                double bestDistance = double.PositiveInfinity;
                for (int p = 0; p < pool.Count; p++)
                {
                    if (used[p]) continue;
                    ReadOnlySpan<float> x = train.Row(pool[p]);
                    double distance = 0;
                    for (int j = 0; j < d; j++)
                    {
                        double e = mean[j] - (sum[j] + x[j]) / (k + 1);
                        distance += e * e;
                    }
                    if (distance < bestDistance)
                    {
                        bestDistance = distance;
                        best = p;
                    }
                }
                used[best] = true;
                ReadOnlySpan<float> chosen = train.Row(pool[best]);
                for (int j = 0; j < d; j++) sum[j] += chosen[j];
                chosen.CopyTo(rows[c].AsSpan(k * d, d));
            }
        }
        return new ExemplarMemory(d, rows);
    }

    /// <summary>
    /// This memory with the vectors of <paramref name="classes"/> taken from <paramref name="previous"/> instead, as many
    /// as this memory keeps per class at most (herding chose them in order of use, so the first are the best). For a
    /// retrain: classes without new rows keep the vectors they had.
    /// </summary>
    public ExemplarMemory Keeping(ExemplarMemory previous, IReadOnlyList<int> classes, int perClass)
    {
        if (previous.Dimension != Dimension) throw new ArgumentException($"the memories hold {previous.Dimension}- and {Dimension}-float vectors", nameof(previous));
        var rows = (float[][])_rows.Clone();
        foreach (int c in classes) rows[c] = previous._rows[c][..(Math.Min(perClass, previous.CountOf(c)) * Dimension)];
        return new ExemplarMemory(Dimension, rows);
    }

    /// <summary>
    /// The training rows for a retrain: <paramref name="train"/>, then the stored vectors of every class in
    /// <paramref name="classes"/> (labels keep their indices; the result has <paramref name="train"/>'s class count).
    /// </summary>
    public FeatureSet AppendTo(FeatureSet train, IReadOnlyList<int> classes)
    {
        if (train.Dimension != Dimension) throw new ArgumentException($"the memory holds {Dimension}-float vectors, the data {train.Dimension}", nameof(train));
        int extra = 0;
        foreach (int c in classes) extra += CountOf(c);
        var features = new float[(long)(train.Count + extra) * Dimension];
        var labels = new int[train.Count + extra];
        train.Features.Span.CopyTo(features);
        train.Labels.Span.CopyTo(labels);
        int row = train.Count;
        foreach (int c in classes)
        {
            _rows[c].CopyTo(features.AsSpan(row * Dimension));
            labels.AsSpan(row, CountOf(c)).Fill(c);
            row += CountOf(c);
        }
        return new FeatureSet(features, Dimension, labels, train.ClassCount);
    }

    /// <summary>The bytes of the model.zip entry.</summary>
    public byte[] Serialize()
    {
        long floats = 0;
        foreach (float[] r in _rows) floats += r.Length;
        var bytes = new byte[checked(HeaderSize + 4 * _rows.Length + 4 * floats)];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), _rows.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), Dimension);
        int at = HeaderSize;
        foreach (float[] r in _rows)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), r.Length / Dimension);
            at += 4;
            foreach (float v in r)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), v);
                at += 4;
            }
        }
        return bytes;
    }

    /// <summary>Reads an entry written by <see cref="Serialize"/>, checking it fits a head of <paramref name="classCount"/> classes and
    /// <paramref name="dimension"/> features.</summary>
    /// <exception cref="InvalidDataException">The bytes are not such an entry (the message says what is wrong).</exception>
    public static ExemplarMemory Deserialize(ReadOnlySpan<byte> bytes, int classCount, int dimension)
    {
        if (bytes.Length < HeaderSize || !bytes.StartsWith(Magic)) throw new InvalidDataException("the exemplar memory does not start with its signature 'PEXM'");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        if (version != Version) throw new InvalidDataException($"the exemplar memory has version {version}; this library reads version {Version}");
        int classes = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        int d = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if (classes != classCount) throw new InvalidDataException($"the exemplar memory has {classes} classes; the head scores {classCount}");
        if (d != dimension) throw new InvalidDataException($"the exemplar memory holds {d}-float vectors; the head takes {dimension}");
        var rows = new float[classes][];
        int at = HeaderSize;
        for (int c = 0; c < classes; c++)
        {
            if (bytes.Length - at < 4) throw new InvalidDataException($"the exemplar memory ends before class {c}");
            int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            at += 4;
            if (count < 0 || (long)count * d * 4 > bytes.Length - at)
                throw new InvalidDataException($"class {c} of the exemplar memory claims {count} vectors, more than the entry holds");
            var r = new float[count * d];
            for (int i = 0; i < r.Length; i++, at += 4) r[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[at..]);
            int bad = FeatureSet.FirstNonFinite(r);
            if (bad >= 0) throw new InvalidDataException($"vector {bad / d} of class {c} in the exemplar memory has a non-finite value");
            rows[c] = r;
        }
        if (at != bytes.Length) throw new InvalidDataException($"the exemplar memory has {bytes.Length - at} bytes after its last vector");
        return new ExemplarMemory(d, rows);
    }
}
