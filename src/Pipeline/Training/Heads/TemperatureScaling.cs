using System.Globalization;

namespace Pipeline.Training.Heads;

/// <summary>
/// Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", 2017): every logit is multiplied by one
/// scalar β = 1/T, fitted to minimize the weighted cross-entropy of out-of-fold logits. A head fitted to a few hundred
/// high-dimensional rows separates them almost perfectly and is overconfident on new images; β below 1 softens it.
/// The argmax never changes, so accuracy is untouched. The objective
/// <code>f(β) = Σ_i w_i · (logsumexp(β·z_i) − β·z_i,y_i) / Σ_i w_i</code>
/// is convex in β (f″ is a weighted variance of the logits), so damped Newton steps from β = 1 reach its minimum.
/// </summary>
internal static class TemperatureScaling
{
    /// <summary>The folds whose held-out logits β is fitted to: each costs one extra head fit on 2/3 of the rows.</summary>
    public const int Folds = 3;

    /// <summary>The range β is kept in: on perfectly separated out-of-fold logits the minimum is at β → ∞.</summary>
    public const double MinInverseTemperature = 1e-2, MaxInverseTemperature = 1e2;

    private const int MaxNewtonSteps = 50;

    // f″ at β = 1 is the mean softmax variance of the logits: below this they are equal to float precision in every row.
    private const double FlatCurvature = 1e-12;

    /// <summary>
    /// Why <paramref name="train"/> cannot be calibrated (a class that counts, with rows and a weight above 0, has fewer
    /// rows than <see cref="Folds"/>, so some fold would not see it), or null when it can. The class is named from
    /// <paramref name="classNames"/> when given, else by its index.
    /// </summary>
    public static string? Unsupported(FeatureSet train, ReadOnlySpan<float> classWeights, IReadOnlyList<string>? classNames = null)
    {
        int[] counts = train.ClassCounts();
        for (int c = 0; c < counts.Length; c++)
            if (counts[c] is > 0 and < Folds && classWeights[c] > 0)
            {
                string name = classNames is not null && c < classNames.Count ? $"'{classNames[c]}'" : c.ToString(CultureInfo.InvariantCulture);
                return $"class {name} has {counts[c]} training row{(counts[c] == 1 ? "" : "s")}; calibration needs {Folds}";
            }
        return null;
    }

    /// <summary>The β minimizing the weighted cross-entropy of <paramref name="logits"/> (rows × k, row-major).</summary>
    public static double FitInverseTemperature(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, ReadOnlySpan<float> rowWeights, int k)
    {
        double beta = 1;
        double loss = Evaluate(logits, labels, rowWeights, k, beta, out double gradient, out double curvature);
        // Logits equal within every row (or a single class) make f flat: any β is as good, so keep 1 rather than drift.
        if (curvature <= FlatCurvature) return beta;
        for (int step = 0; step < MaxNewtonSteps; step++)
        {
            // Where the logits saturate the curvature can vanish: then step as far as allowed, downhill.
            double newton = curvature > 0 ? beta - gradient / curvature : gradient > 0 ? 0 : double.PositiveInfinity;
            double target = Math.Clamp(newton, Math.Max(MinInverseTemperature, beta / 4), Math.Min(MaxInverseTemperature, beta * 4));
            // Backtrack toward β: a full Newton step can overshoot where the curvature changes fast.
            double next = target, nextLoss = double.PositiveInfinity, nextGradient = 0, nextCurvature = 0;
            for (int halving = 0; halving < 30; halving++)
            {
                nextLoss = Evaluate(logits, labels, rowWeights, k, next, out nextGradient, out nextCurvature);
                if (nextLoss <= loss) break;
                next = 0.5 * (beta + next);
            }
            if (!(nextLoss <= loss)) break;
            bool settled = Math.Abs(next - beta) <= 1e-9 * beta;
            (beta, loss, gradient, curvature) = (next, nextLoss, nextGradient, nextCurvature);
            if (settled) break;
        }
        return beta;
    }

    /// <summary>The same head with its last layer (weights and bias) multiplied by <paramref name="beta"/>.</summary>
    public static HeadModel Scale(HeadModel model, double beta)
    {
        float[] parameters = (float[])model.Parameters.Clone();
        int last = model.Layout.LayerCount - 1;
        int start = model.Layout.WeightOffset(last), end = model.Layout.BiasOffset(last) + model.Layout.Out(last);
        for (int i = start; i < end; i++) parameters[i] = (float)(parameters[i] * beta);
        return new HeadModel(model.Kind, model.Layout, parameters, model.Mean, model.Scale);
    }

    /// <summary>f(β) with its first and second derivatives, each row's log-sum-exp shifted by its largest term.</summary>
    private static double Evaluate(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, ReadOnlySpan<float> rowWeights, int k, double beta,
        out double gradient, out double curvature)
    {
        double loss = 0, total = 0;
        gradient = 0;
        curvature = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double w = rowWeights[i];
            if (w == 0) continue;
            ReadOnlySpan<float> z = logits.Slice(i * k, k);
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++) max = Math.Max(max, beta * z[c]);
            double sum = 0, mean = 0, second = 0;
            for (int c = 0; c < k; c++)
            {
                double e = Math.Exp(beta * z[c] - max);
                sum += e;
                mean += e * z[c];
                second += e * z[c] * z[c];
            }
            mean /= sum;
            second /= sum;
            double zy = z[labels[i]];
            loss += w * (max + Math.Log(sum) - beta * zy);
            gradient += w * (mean - zy);
            curvature += w * Math.Max(0, second - mean * mean);
            total += w;
        }
        if (total == 0) return 0;
        gradient /= total;
        curvature /= total;
        return loss / total;
    }
}
