namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>A narrow kernel's column count as a type, so that the JIT compiles one specialized body per count.</summary>
internal interface IColumnCount
{
    /// <summary>The number of columns of the tile that are computed.</summary>
    static abstract int Count { get; }
}

#pragma warning disable CS1591 // The column-count types are self-describing.
internal struct Columns1 : IColumnCount { public static int Count => 1; }
internal struct Columns2 : IColumnCount { public static int Count => 2; }
internal struct Columns3 : IColumnCount { public static int Count => 3; }
internal struct Columns4 : IColumnCount { public static int Count => 4; }
internal struct Columns5 : IColumnCount { public static int Count => 5; }
internal struct Columns6 : IColumnCount { public static int Count => 6; }
internal struct Columns7 : IColumnCount { public static int Count => 7; }
internal struct Columns8 : IColumnCount { public static int Count => 8; }
internal struct Columns9 : IColumnCount { public static int Count => 9; }
internal struct Columns10 : IColumnCount { public static int Count => 10; }
internal struct Columns11 : IColumnCount { public static int Count => 11; }
internal struct Columns12 : IColumnCount { public static int Count => 12; }
internal struct Columns13 : IColumnCount { public static int Count => 13; }
internal struct Columns14 : IColumnCount { public static int Count => 14; }
internal struct Columns15 : IColumnCount { public static int Count => 15; }
internal struct Columns16 : IColumnCount { public static int Count => 16; }
internal struct Columns17 : IColumnCount { public static int Count => 17; }
internal struct Columns18 : IColumnCount { public static int Count => 18; }
internal struct Columns19 : IColumnCount { public static int Count => 19; }
internal struct Columns20 : IColumnCount { public static int Count => 20; }
#pragma warning restore CS1591
