using Pipeline.Training;
using Pipeline.Training.Data;

namespace Pipeline.Tests.Training.Data;

public sealed class StratifiedSplitsTests
{
    // Classes of 50, 30, 7 and 1 rows, interleaved.
    private static int[] Labels()
    {
        var labels = new List<int>();
        int[] counts = [50, 30, 7, 1];
        for (int round = 0; round < 50; round++)
            for (int c = 0; c < counts.Length; c++) if (round < counts[c]) labels.Add(c);
        return labels.ToArray();
    }

    [Fact]
    public void TrainValidationHoldsOutTheFractionOfEveryClass()
    {
        int[] labels = Labels();
        DataSplit split = StratifiedSplits.TrainValidation(labels, 4, 0.2, seed: 1);
        int[] held = new int[4];
        foreach (int row in split.Validation) held[labels[row]]++;
        Assert.Equal([10, 6, 1, 0], held);                    // round(n_c · 0.2), the single row stays in training
        Assert.Equal(Enumerable.Range(0, labels.Length), split.Train.Concat(split.Validation).Order());
        Assert.True(split.Train.SequenceEqual(split.Train.Order()));
        Assert.Equal(split.Validation, StratifiedSplits.TrainValidation(labels, 4, 0.2, seed: 1).Validation);
        Assert.NotEqual(split.Validation, StratifiedSplits.TrainValidation(labels, 4, 0.2, seed: 2).Validation);
    }

    [Fact]
    public void SmallClassesKeepARowOnEachSide()
    {
        DataSplit split = StratifiedSplits.TrainValidation([0, 0, 1, 1, 1], 2, 0.01, seed: 3);
        Assert.Equal(2, split.Validation.Length);              // one of each class, though 1 % rounds to 0
    }

    [Fact]
    public void KFoldsAreDisjointCoverEverythingAndAreStratified()
    {
        int[] labels = Labels();
        DataSplit[] folds = StratifiedSplits.KFold(labels, 4, 5, seed: 9);
        Assert.Equal(5, folds.Length);
        Assert.Equal(Enumerable.Range(0, labels.Length), folds.SelectMany(f => f.Validation).Order());
        foreach (DataSplit fold in folds)
        {
            Assert.Equal(Enumerable.Range(0, labels.Length), fold.Train.Concat(fold.Validation).Order());
            int[] perClass = new int[4];
            foreach (int row in fold.Validation) perClass[labels[row]]++;
            Assert.Equal(10, perClass[0]);                     // 50 / 5
            Assert.Equal(6, perClass[1]);                      // 30 / 5
            Assert.InRange(perClass[2], 1, 2);                 // 7 rows: every fold gets 1 or 2
        }
        int[] sizes = folds.Select(f => f.Validation.Length).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 1);
        Assert.Equal(folds.Select(f => f.Validation), StratifiedSplits.KFold(labels, 4, 5, seed: 9).Select(f => f.Validation));
    }

    [Fact]
    public void AddingRowsOfOneClassDoesNotReshuffleAnother()
    {
        int[] before = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
        int[] after = [.. before, 2, 2, 2];
        int[] Class0(DataSplit s, int[] labels) => s.Validation.Where(r => labels[r] == 0).ToArray();
        Assert.Equal(Class0(StratifiedSplits.TrainValidation(before, 2, 0.5, 4), before),
                     Class0(StratifiedSplits.TrainValidation(after, 3, 0.5, 4), after));
    }

    private static string[] Keys(int[] labels, int first = 0) => labels.Select((label, i) => $"class{label}/img{first + i:D4}.jpg").ToArray();

    [Fact]
    public void KeyedSplitNeverMovesATrainedRowIntoValidationWhenRowsAreAdded()
    {
        // A model trained on the first split and one retrained on the grown data are compared on the second split's
        // validation part: it must hold nothing the first model was trained on, for any growth.
        int[] labels = Labels();
        string[] keys = Keys(labels);
        for (int seed = 1; seed <= 20; seed++)
        {
            DataSplit before = StratifiedSplits.TrainValidation(labels, keys, 4, 0.2, seed);
            var trained = new HashSet<string>(before.Train.Select(r => keys[r]));
            int added = 3 * seed; // rows of every class, appended after the old ones
            int[] moreLabels = [.. labels, .. Enumerable.Range(0, added).Select(i => i % 3)];
            string[] moreKeys = [.. keys, .. Keys(moreLabels[labels.Length..], first: 1000)];
            DataSplit after = StratifiedSplits.TrainValidation(moreLabels, moreKeys, 4, 0.2, seed);
            Assert.DoesNotContain(after.Validation, r => trained.Contains(moreKeys[r]));
        }
    }

    [Fact]
    public void KeyedSplitDependsOnTheKeysNotTheRowOrder()
    {
        int[] labels = Labels();
        string[] keys = Keys(labels);
        int[] order = Enumerable.Range(0, labels.Length).Reverse().ToArray();
        DataSplit split = StratifiedSplits.TrainValidation(labels, keys, 4, 0.2, seed: 5);
        DataSplit reversed = StratifiedSplits.TrainValidation(order.Select(i => labels[i]).ToArray(), order.Select(i => keys[i]).ToList(), 4, 0.2, seed: 5);
        Assert.Equal(split.Validation.Select(r => keys[r]).Order(), reversed.Validation.Select(r => keys[order[r]]).Order());
        Assert.NotEqual(split.Validation, StratifiedSplits.TrainValidation(labels, keys, 4, 0.2, seed: 6).Validation);
    }

    [Fact]
    public void KeyedSplitHoldsOutAboutTheFractionAndKeepsARowOnEachSide()
    {
        int[] labels = Labels();
        DataSplit split = StratifiedSplits.TrainValidation(labels, Keys(labels), 4, 0.2, seed: 1);
        int[] held = new int[4];
        foreach (int row in split.Validation) held[labels[row]]++;
        Assert.InRange(held[0], 4, 18);   // 50 rows at 0.2: 10 expected, a binomial spread of ±2.8
        Assert.InRange(held[1], 1, 12);
        Assert.InRange(held[2], 1, 6);    // 7 rows: at least one held out, at least one trained on
        Assert.Equal(0, held[3]);         // the single row stays in training
        Assert.Equal(Enumerable.Range(0, labels.Length), split.Train.Concat(split.Validation).Order());

        DataSplit tiny = StratifiedSplits.TrainValidation([0, 0, 1, 1, 1], ["a", "b", "c", "d", "e"], 2, 0.01, seed: 3);
        Assert.Equal(2, tiny.Validation.Length);
        DataSplit most = StratifiedSplits.TrainValidation([0, 0, 1, 1, 1], ["a", "b", "c", "d", "e"], 2, 0.99, seed: 3);
        Assert.Equal(2, most.Train.Length);
        Assert.Throws<ArgumentException>(() => StratifiedSplits.TrainValidation([0, 1], ["a"], 2, 0.5, 1));
    }

    [Fact]
    public void CrossValidationRunsEveryFold()
    {
        FeatureSet data = Synthetic.Blobs(n: 150, d: 6, k: 3, seed: 71, separation: 5);
        var summary = CrossValidation.Run(data, new HeadOptions(), folds: 3);
        Assert.Equal(3, summary.Folds.Length);
        Assert.Equal(150, summary.Folds.Sum(f => f.InstanceCount));
        Assert.True(summary.MicroAccuracy.Mean > 0.95);
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplits.KFold([0, 1], 2, 3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplits.TrainValidation([0, 1], 2, 1.0, 1));
        Assert.Throws<ArgumentException>(() => StratifiedSplits.TrainValidation([0, 5], 2, 0.5, 1));
    }
}
