using System.Buffers.Binary;
using System.Numerics.Tensors;

namespace Pipeline.Training.Data;

/// <summary>
/// A few training feature vectors of every class, kept in model.zip so a later retrain on data that lacks a class can
/// still train on it (rehearsal, as in iCaRL, Rebuffi et al. 2017). Without rows of a class, softmax training pushes
/// it down everywhere and the other classes take its images; its stored vectors keep it in the fight.
/// <para>
/// Per class, the vectors are chosen by herding: greedily, the row that brings the mean of the chosen rows closest to
/// the class mean, so a small memory still represents the class's centre, and its first vectors are its best.
/// Deterministic: same rows, same memory, whatever the thread count.
/// </para>
/// <para>
/// Bytes: "PEXM", version (int32 = 1), class count (int32), dimension (int32), the SHA-256 of the head weights entry
/// written with it (32 bytes), then for each class its vector count (int32) and its vectors (float32), all
/// little-endian. The hash binds the memory to its head: a library that does not know this entry carries it unchanged
/// through a retrain that rewrites the head, and the stale memory is then ignored rather than trusted.
/// </para>
/// </summary>
internal sealed class ExemplarMemory
{
    private static ReadOnlySpan<byte> Magic => "PEXM"u8;
    private const int Version = 1;
    private const int HashSize = 32;
    private const int HeaderSize = 16 + HashSize;

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

    /// <summary>The size in bytes of the entry that keeps up to <paramref name="perClass"/> of classes of <paramref name="classCounts"/> rows.</summary>
    public static long EntryBytes(IReadOnlyList<int> classCounts, int dimension, int perClass)
    {
        long vectors = 0;
        foreach (int count in classCounts) vectors += Math.Min(count, perClass);
        return HeaderSize + 4L * classCounts.Count + 4L * vectors * dimension;
    }

    /// <summary>Up to <paramref name="perClass"/> rows of each class of <paramref name="train"/>, chosen by herding (classes in parallel).</summary>
    public static ExemplarMemory Select(FeatureSet train, int perClass, int threads = 1, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perClass);
        var members = new List<int>[train.ClassCount];
        for (int c = 0; c < members.Length; c++) members[c] = [];
        ReadOnlySpan<int> labels = train.Labels.Span;
        for (int i = 0; i < labels.Length; i++) members[labels[i]].Add(i);

        var rows = new float[train.ClassCount][];
        Parallel.For(0, rows.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellation },
            c => rows[c] = Herd(train, members[c], perClass, cancellation));
        return new ExemplarMemory(train.Dimension, rows);
    }

    private static float[] Herd(FeatureSet train, List<int> pool, int perClass, CancellationToken cancellation)
    {
        int d = train.Dimension, take = Math.Min(perClass, pool.Count);
        var chosen = new float[checked(take * d)];
        if (take == 0) return chosen;
        var mean = new double[d];
        foreach (int r in pool)
        {
            ReadOnlySpan<float> x = train.Row(r);
            for (int j = 0; j < d; j++) mean[j] += x[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= pool.Count;

        // Picking x to minimise |mean − (sum + x)/(k+1)| is picking the x nearest target = (k+1)·mean − sum.
        var sum = new double[d];
        var target = new float[d];
        var used = new bool[pool.Count];
        for (int k = 0; k < take; k++)
        {
            cancellation.ThrowIfCancellationRequested();
            for (int j = 0; j < d; j++) target[j] = (float)((k + 1) * mean[j] - sum[j]);
            int best = -1;
            float bestDistance = float.PositiveInfinity;
            for (int p = 0; p < pool.Count; p++)
            {
                if (used[p]) continue;
                float distance = TensorPrimitives.Distance(train.Row(pool[p]), target);
                if (distance < bestDistance || best < 0) // ties go to the earlier row
                {
                    bestDistance = distance;
                    best = p;
                }
            }
            used[best] = true;
            ReadOnlySpan<float> row = train.Row(pool[best]);
            for (int j = 0; j < d; j++) sum[j] += row[j];
            row.CopyTo(chosen.AsSpan(k * d, d));
        }
        return chosen;
    }

    /// <summary>
    /// This memory with the vectors of <paramref name="classes"/> taken from <paramref name="previous"/> instead, at most
    /// <paramref name="perClass"/> of each (herding chose them in order of use, so the first are the best). For a
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

    /// <summary>The bytes of the model.zip entry, bound to the head whose weights entry hashes to <paramref name="headWeightsSha256"/>.</summary>
    public byte[] Serialize(ReadOnlySpan<byte> headWeightsSha256)
    {
        if (headWeightsSha256.Length != HashSize) throw new ArgumentException("a SHA-256 has 32 bytes", nameof(headWeightsSha256));
        long floats = 0;
        foreach (float[] r in _rows) floats += r.Length;
        var bytes = new byte[checked(HeaderSize + 4 * _rows.Length + 4 * floats)];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), _rows.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), Dimension);
        headWeightsSha256.CopyTo(bytes.AsSpan(16));
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

    /// <summary>
    /// Checks the structure of an entry (signature, and that the vector counts tile it exactly) without reading the
    /// vectors: what loading a model checks. An entry of a later version passes unread: a newer library wrote it, and
    /// the model works without it.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not such an entry.</exception>
    public static void Validate(ReadOnlySpan<byte> bytes) => Walk(bytes, out _, out _, out _);

    /// <summary>
    /// Reads an entry written by <see cref="Serialize"/>, or returns null when it belongs to another head than the one
    /// whose weights entry hashes to <paramref name="headWeightsSha256"/>, with <paramref name="classCount"/> classes and
    /// <paramref name="dimension"/> features (a memory an older library carried through a retrain), or has a later
    /// version than this library reads.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not such an entry, or hold a non-finite value.</exception>
    public static ExemplarMemory? ReadFor(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> headWeightsSha256, int classCount, int dimension)
    {
        if (!Walk(bytes, out int classes, out int d, out ReadOnlySpan<byte> hash)) return null;
        if (classes != classCount || d != dimension || !hash.SequenceEqual(headWeightsSha256)) return null;
        var rows = new float[classes][];
        int at = HeaderSize;
        for (int c = 0; c < classes; c++)
        {
            int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            at += 4;
            var r = new float[count * d];
            for (int i = 0; i < r.Length; i++, at += 4) r[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[at..]);
            int bad = FeatureSet.FirstNonFinite(r);
            if (bad >= 0) throw new InvalidDataException($"vector {bad / d} of class {c} in the exemplar memory has a non-finite value");
            rows[c] = r;
        }
        return new ExemplarMemory(d, rows);
    }

    // False for a later version, whose layout past the signature and version this library cannot know.
    private static bool Walk(ReadOnlySpan<byte> bytes, out int classes, out int dimension, out ReadOnlySpan<byte> hash)
    {
        classes = dimension = 0;
        hash = default;
        if (bytes.Length < 8 || !bytes.StartsWith(Magic)) throw new InvalidDataException("the exemplar memory does not start with its signature 'PEXM'");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (version > Version) return false;
        if (version != Version) throw new InvalidDataException($"the exemplar memory has version {version}, which never existed (this library reads version {Version})");
        if (bytes.Length < HeaderSize) throw new InvalidDataException("the exemplar memory ends inside its 48-byte header");
        classes = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        dimension = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if (classes < 0 || dimension < 1) throw new InvalidDataException($"the exemplar memory claims {classes} classes of {dimension}-float vectors");
        hash = bytes.Slice(16, HashSize);
        long at = HeaderSize;
        for (int c = 0; c < classes; c++)
        {
            if (bytes.Length - at < 4) throw new InvalidDataException($"the exemplar memory ends before class {c}");
            int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[(int)at..]);
            at += 4;
            if (count < 0 || (long)count * dimension * 4 > bytes.Length - at)
                throw new InvalidDataException($"class {c} of the exemplar memory claims {count} vectors, more than the entry holds");
            at += (long)count * dimension * 4;
        }
        if (at != bytes.Length) throw new InvalidDataException($"the exemplar memory has {bytes.Length - at} bytes after its last vector");
        return true;
    }
}
