using System.IO.Hashing;
using System.Text;
using Pipeline.Training.Randomness;

namespace Pipeline.Training.Data;

/// <summary>
/// Stratified, seeded, deterministic splits. Each class's rows are shuffled by their own random stream (derived from
/// the seed and the class index), so adding rows of one class never changes how another class is split.
/// </summary>
public static class StratifiedSplits
{
    /// <summary>
    /// Splits the rows into training and validation, holding out <c>round(n_c · fraction)</c> rows of every class c.
    /// A class with at least 2 rows always keeps at least 1 row on each side (when the fraction is above 0);
    /// a class with a single row keeps it for training.
    /// </summary>
    /// <param name="labels">The label of each row, in [0, <paramref name="classCount"/>).</param>
    /// <param name="classCount">The number of classes.</param>
    /// <param name="validationFraction">The fraction held out for validation, in [0, 1).</param>
    /// <param name="seed">The seed.</param>
    public static DataSplit TrainValidation(ReadOnlySpan<int> labels, int classCount, double validationFraction, int seed)
    {
        if (!(validationFraction is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in [0, 1).");
        int[][] byClass = ShuffledByClass(labels, classCount, seed);
        var train = new List<int>(labels.Length);
        var validation = new List<int>();
        foreach (int[] rows in byClass)
        {
            int held = (int)Math.Round(rows.Length * validationFraction, MidpointRounding.AwayFromZero);
            if (validationFraction > 0 && rows.Length >= 2) held = Math.Clamp(held, 1, rows.Length - 1);
            if (rows.Length < 2) held = 0;
            validation.AddRange(rows.AsSpan(0, held));
            train.AddRange(rows.AsSpan(held));
        }
        return new DataSplit(Sorted(train), Sorted(validation));
    }

    /// <summary>
    /// Splits the rows into training and validation by a stable key per row (for images, the path relative to the
    /// dataset): a row is held out when the seeded hash of its key, read as a number in [0, 1), is below
    /// <paramref name="validationFraction"/>. So each row's side depends on its own key alone, and adding rows (new
    /// images in the same folders) never moves a row that was trained on into validation: a model trained before and
    /// one retrained after can be compared fairly on the new validation part. Each class holds out about
    /// <c>n_c · fraction</c> rows, not exactly that many. A class with at least 2 rows keeps at least 1 row on each side
    /// (its lowest-hashed row is held out, or its highest-hashed row trained on, when the draw left a side empty); a
    /// class with a single row keeps it for training. That one exception breaks the guarantee, in tiny classes only:
    /// a row trained on because every row of its class drew validation goes back to validation once the class grows.
    /// </summary>
    /// <param name="labels">The label of each row, in [0, <paramref name="classCount"/>).</param>
    /// <param name="keys">The key of each row; equal keys go to the same side (but for the exception above).</param>
    /// <param name="classCount">The number of classes.</param>
    /// <param name="validationFraction">The fraction held out for validation, in [0, 1).</param>
    /// <param name="seed">The seed.</param>
    public static DataSplit TrainValidation(ReadOnlySpan<int> labels, IReadOnlyList<string> keys, int classCount, double validationFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (!(validationFraction is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in [0, 1).");
        if (keys.Count != labels.Length) throw new ArgumentException($"There are {keys.Count} keys for {labels.Length} rows.", nameof(keys));
        int[][] byClass = ByClass(labels, classCount);
        var draw = new double[labels.Length];
        for (int i = 0; i < draw.Length; i++) draw[i] = UnitHash(keys[i], seed);
        var train = new List<int>(labels.Length);
        var validation = new List<int>();
        foreach (int[] rows in byClass)
        {
            if (rows.Length == 0) continue;
            // Sorted by draw (then row, for equal keys): the held-out rows come first.
            Array.Sort(rows, (a, b) => draw[a] != draw[b] ? draw[a].CompareTo(draw[b]) : a.CompareTo(b));
            int held = 0;
            while (held < rows.Length && draw[rows[held]] < validationFraction) held++;
            if (validationFraction > 0 && rows.Length >= 2) held = Math.Clamp(held, 1, rows.Length - 1);
            if (rows.Length < 2) held = 0;
            validation.AddRange(rows.AsSpan(0, held));
            train.AddRange(rows.AsSpan(held));
        }
        return new DataSplit(Sorted(train), Sorted(validation));
    }

    /// <summary>
    /// Stratified k-fold: every row is in the validation part of exactly one fold and in the training part of the others.
    /// Each class's shuffled rows are dealt to the folds in turn, starting where the previous class stopped, so the
    /// folds' sizes differ by at most one and every class with at least <paramref name="folds"/> rows appears in the
    /// validation part of every fold. A class with fewer rows appears in the validation part of only that many folds
    /// (and a class with one row is missing from the training part of the fold that validates on it).
    /// </summary>
    /// <param name="labels">The label of each row, in [0, <paramref name="classCount"/>).</param>
    /// <param name="classCount">The number of classes.</param>
    /// <param name="folds">The number of folds, at least 2 and at most the number of rows.</param>
    /// <param name="seed">The seed.</param>
    public static DataSplit[] KFold(ReadOnlySpan<int> labels, int classCount, int folds, int seed)
    {
        if (folds < 2 || folds > labels.Length)
            throw new ArgumentOutOfRangeException(nameof(folds), folds, $"The number of folds must be between 2 and the number of rows ({labels.Length}).");
        int[][] byClass = ShuffledByClass(labels, classCount, seed);
        var validation = new List<int>[folds];
        for (int f = 0; f < folds; f++) validation[f] = new List<int>(labels.Length / folds + 1);
        int next = 0;
        foreach (int[] rows in byClass)
        {
            foreach (int row in rows)
            {
                validation[next].Add(row);
                next = (next + 1) % folds;
            }
        }
        var splits = new DataSplit[folds];
        var fold = new int[labels.Length];
        for (int f = 0; f < folds; f++)
            foreach (int row in validation[f]) fold[row] = f;
        for (int f = 0; f < folds; f++)
        {
            var train = new List<int>(labels.Length - validation[f].Count);
            for (int row = 0; row < labels.Length; row++) if (fold[row] != f) train.Add(row);
            splits[f] = new DataSplit(train.ToArray(), Sorted(validation[f]));
        }
        return splits;
    }

    private static int[][] ShuffledByClass(ReadOnlySpan<int> labels, int classCount, int seed)
    {
        int[][] byClass = ByClass(labels, classCount);
        for (int c = 0; c < classCount; c++)
        {
            var random = new Xoshiro256StarStar((ulong)(uint)seed, 0x5EED_0000UL + (ulong)c);
            random.Shuffle(byClass[c]);
        }
        return byClass;
    }

    /// <summary>Each class's rows, in row order.</summary>
    private static int[][] ByClass(ReadOnlySpan<int> labels, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        var counts = new int[classCount];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount) throw new ArgumentException($"Label {labels[i]} of row {i} is outside [0, {classCount}).", nameof(labels));
            counts[labels[i]]++;
        }
        var byClass = new int[classCount][];
        for (int c = 0; c < classCount; c++) byClass[c] = new int[counts[c]];
        Array.Clear(counts);
        for (int i = 0; i < labels.Length; i++) byClass[labels[i]][counts[labels[i]]++] = i;
        return byClass;
    }

    /// <summary>A seeded 64-bit hash of <paramref name="key"/>'s UTF-8 bytes, as a double in [0, 1) (53 bits).</summary>
    private static double UnitHash(string key, int seed)
    {
        ulong hash = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(key), seed);
        return (hash >> 11) * (1.0 / (1UL << 53));
    }

    private static int[] Sorted(List<int> rows)
    {
        int[] array = rows.ToArray();
        Array.Sort(array);
        return array;
    }
}
