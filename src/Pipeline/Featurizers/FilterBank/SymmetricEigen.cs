namespace Pipeline.Featurizers.FilterBank;

/// <summary>
/// Eigendecomposition of a small symmetric matrix by the cyclic Jacobi method (Golub and Van Loan, §8.5): plane
/// rotations in a fixed row-by-row order, each zeroing one off-diagonal entry, until the off-diagonal mass is
/// negligible. Slow for large n (O(n³) per sweep) but exact to working precision, simple, and deterministic: the
/// same matrix always gives the same bits. Used for the ~100 × 100 patch covariance.
/// </summary>
internal static class SymmetricEigen
{
    private const int MaxSweeps = 100;

    /// <summary>
    /// Decomposes the symmetric <paramref name="matrix"/> (n × n, row-major; only its values are read, it is not
    /// modified) into eigenvalues (ascending) and eigenvectors (the columns of the returned n × n row-major matrix, in
    /// the same order), so that <c>A = V · diag(λ) · Vᵀ</c>.
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(ReadOnlySpan<double> matrix, int n)
    {
        if (matrix.Length != n * n) throw new ArgumentException($"A {n}×{n} matrix has {n * n} entries, not {matrix.Length}.", nameof(matrix));
        double[] a = matrix.ToArray();
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;

        double total = 0;
        foreach (double x in a) total += x * x;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
            if (off <= 1e-30 * total || off == 0) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                    Rotate(a, v, n, p, q);
        }

        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = a[i * n + i];
        // Sort ascending (a stable insertion sort on indices: ties keep their order, so the result is deterministic).
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = 1; i < n; i++)
        {
            int key = order[i], j = i - 1;
            while (j >= 0 && values[order[j]] > values[key]) { order[j + 1] = order[j]; j--; }
            order[j + 1] = key;
        }
        var sortedValues = new double[n];
        var sortedVectors = new double[n * n];
        for (int k = 0; k < n; k++)
        {
            sortedValues[k] = values[order[k]];
            for (int r = 0; r < n; r++) sortedVectors[r * n + k] = v[r * n + order[k]];
        }
        return (sortedValues, sortedVectors);
    }

    /// <summary>Applies the rotation that zeroes a[p, q] to A (both sides) and accumulates it into V.</summary>
    private static void Rotate(double[] a, double[] v, int n, int p, int q)
    {
        double apq = a[p * n + q];
        if (apq == 0) return;
        double app = a[p * n + p], aqq = a[q * n + q];
        // tan θ solves t² + 2τt − 1 = 0 with τ = (aqq − app) / (2 apq); the smaller root keeps the rotation stable.
        double tau = (aqq - app) / (2 * apq);
        double t = Math.Sign(tau == 0 ? 1 : tau) / (Math.Abs(tau) + Math.Sqrt(1 + tau * tau));
        double c = 1 / Math.Sqrt(1 + t * t), s = t * c;
        for (int k = 0; k < n; k++)
        {
            double akp = a[k * n + p], akq = a[k * n + q];
            a[k * n + p] = c * akp - s * akq;
            a[k * n + q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++)
        {
            double apk = a[p * n + k], aqk = a[q * n + k];
            a[p * n + k] = c * apk - s * aqk;
            a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = a[q * n + p] = 0;
        for (int k = 0; k < n; k++)
        {
            double vkp = v[k * n + p], vkq = v[k * n + q];
            v[k * n + p] = c * vkp - s * vkq;
            v[k * n + q] = s * vkp + c * vkq;
        }
    }
}
