namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>What a microkernel does with its accumulators when it stores a tile.</summary>
[Flags]
internal enum SgemmStore
{
    /// <summary>Overwrite C with A·B.</summary>
    Overwrite = 0,
    /// <summary>Add A·B to what C holds: later K blocks, or a residual the caller placed in C.</summary>
    Accumulate = 1,
    /// <summary>Add the bias (per row and/or per column) after the last K block.</summary>
    Bias = 2,
    /// <summary>Clamp to [Min, Max] after the bias (Relu, Relu6, Clip).</summary>
    Clamp = 4,
}

/// <summary>
/// The fused epilogue of one microkernel tile, its pointers already offset to the tile's first row and column.
/// Activations other than a clamp (sigmoid, leaky relu, hard swish) are applied by the driver on the stored tile.
/// </summary>
internal unsafe struct SgemmEpilogue
{
    /// <summary>One bias value per row of the tile (a conv's output channel), or null.</summary>
    public float* RowBias;

    /// <summary>One bias value per column of the tile (a Gemm's output feature), or null; NR values readable.</summary>
    public float* ColumnBias;

    /// <summary>Lower clamp bound when <see cref="SgemmStore.Clamp"/> is set.</summary>
    public float Min;

    /// <summary>Upper clamp bound when <see cref="SgemmStore.Clamp"/> is set.</summary>
    public float Max;
}

/// <summary>A microkernel's row count as a type, so that the JIT compiles one specialized body per count.</summary>
internal interface IRowCount
{
    /// <summary>The number of rows of the tile that are computed and stored.</summary>
    static abstract int Count { get; }
}

#pragma warning disable CS1591 // The row-count types are self-describing.
internal struct Rows1 : IRowCount { public static int Count => 1; }
internal struct Rows2 : IRowCount { public static int Count => 2; }
internal struct Rows3 : IRowCount { public static int Count => 3; }
internal struct Rows4 : IRowCount { public static int Count => 4; }
internal struct Rows5 : IRowCount { public static int Count => 5; }
internal struct Rows6 : IRowCount { public static int Count => 6; }
internal struct Rows7 : IRowCount { public static int Count => 7; }
internal struct Rows8 : IRowCount { public static int Count => 8; }
internal struct Rows9 : IRowCount { public static int Count => 9; }
internal struct Rows10 : IRowCount { public static int Count => 10; }
internal struct Rows11 : IRowCount { public static int Count => 11; }
internal struct Rows12 : IRowCount { public static int Count => 12; }
internal struct Rows13 : IRowCount { public static int Count => 13; }
internal struct Rows14 : IRowCount { public static int Count => 14; }
#pragma warning restore CS1591
