using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Pipeline.Graph;
using Pipeline.Graph.Onnx;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Benchmarks.Ops;

/// <summary>
/// One run of an operator's kernel on CNN-sized tensors (batch 1), with buffers planned once as the executor does:
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*OperatorBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class OperatorBenchmarks
{
    private OperatorHarness _harness = null!;

    /// <summary>The operator case to run.</summary>
    [Params("Add 1x256x56x56", "Add bias 1x64x112x112", "Relu 1x64x112x112", "BatchNormalization 1x64x112x112",
        "Transpose NCHW>NHWC 1x64x112x112", "Transpose NHWC>NCHW 1x112x112x64", "Transpose shuffle 1x2x116x28x28",
        "Concat 4x1x64x28x28", "Softmax 1x1000", "LRN 1x64x56x56", "Resize nearest x2 1x64x56x56", "Resize linear x2 1x64x56x56",
        "QuantizeLinear 1x3x224x224", "ReduceMean HW 1x512x7x7", "MaxPool 3x3 s2 1x64x111x111",
        "MaxPool 3x3 s1 p1 1x512x13x13")]
    public string Case { get; set; } = "";

    /// <summary>Threads in the pool (the caller included).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _harness = OperatorHarness.For(Case, Threads);

    [GlobalCleanup]
    public void Cleanup() => _harness.Dispose();

    [Benchmark]
    public void Run() => _harness.Run();
}

/// <summary>An operator with its kernel built and its input and output buffers pinned, ready to run repeatedly.</summary>
internal sealed unsafe class OperatorHarness : IDisposable
{
    private readonly Kernel _kernel;
    private readonly List<GCHandle> _pins = [];
    private readonly nint[] _inputs;
    private readonly long[] _inputBytes;
    private readonly nint[] _outputs;
    private readonly long[] _outputBytes;
    private readonly byte[] _scratch;
    private readonly WorkerPool _pool;

    private OperatorHarness(Operator op, Tensor?[] inputs, int threads)
    {
        _pool = new WorkerPool(threads);
        var id = new NodeIdentity("bench", op.Name, 21);
        var infos = new TensorInfo?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) if (inputs[i] is { } t) infos[i] = new TensorInfo(t.Type, t.ShapeArray());
        var shapes = new ShapeContext(id, infos, inputs, 1);
        op.InferOutputs(shapes);
        TensorInfo output = shapes.Output(0)!.Value;
        _kernel = op.CreateKernel(new KernelContext(id, infos, inputs, [output], threads));
        _inputs = new nint[inputs.Length];
        _inputBytes = new long[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is not { } t) continue;
            _inputs[i] = Pin(t.Data);
            _inputBytes[i] = t.Length * DataTypes.SizeOf(t.Type);
        }
        Tensor result = Tensor.Zeros(output.Type, output.Shape);
        _outputs = [Pin(result.Data)];
        _outputBytes = [output.ByteCount];
        _scratch = GC.AllocateArray<byte>((int)_kernel.ScratchBytes + 64, pinned: true);
    }

    private nint Pin(Array data)
    {
        GCHandle h = GCHandle.Alloc(data, GCHandleType.Pinned);
        _pins.Add(h);
        return h.AddrOfPinnedObject();
    }

    public void Run()
    {
        nint scratch = (Marshal.UnsafeAddrOfPinnedArrayElement(_scratch, 0) + 63) & ~(nint)63;
        var io = new KernelIO(_inputs, _inputBytes, _outputs, _outputBytes, scratch, _kernel.ScratchBytes, _pool);
        _kernel.Run(io);
    }

    public void Dispose()
    {
        foreach (GCHandle h in _pins) h.Free();
        _pool.Dispose();
    }

    private static Tensor Floats(params int[] shape)
    {
        var random = new Random(42);
        var data = new float[Tensor.ElementCount(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = random.NextSingle() * 4 - 2;
        return Tensor.Create(data, shape);
    }

    private static Tensor Positive(params int[] shape)
    {
        Tensor t = Floats(shape);
        Span<float> s = t.AsSpan<float>();
        for (int i = 0; i < s.Length; i++) s[i] = Math.Abs(s[i]) + 0.1f;
        return t;
    }

    private static Operator Import(string op, long opset, Dictionary<string, object>? attributes = null, int inputs = 1, bool[]? present = null)
    {
        var names = Enumerable.Range(0, inputs).Select(i => present is null || present[i] ? $"in{i}" : "").ToArray();
        var node = new OnnxNode(new NodeIdentity("bench", op, opset), "", names, ["out"], attributes ?? []);
        return OnnxOperatorTable.Find(op)!(node);
    }

    public static OperatorHarness For(string name, int threads) => name switch
    {
        "Add 1x256x56x56" => new(Import("Add", 14, inputs: 2), [Floats(1, 256, 56, 56), Floats(1, 256, 56, 56)], threads),
        "Add bias 1x64x112x112" => new(Import("Add", 14, inputs: 2), [Floats(1, 64, 112, 112), Floats(1, 64, 1, 1)], threads),
        "Relu 1x64x112x112" => new(Import("Relu", 14), [Floats(1, 64, 112, 112)], threads),
        "BatchNormalization 1x64x112x112" => new(Import("BatchNormalization", 15, inputs: 5),
            [Floats(1, 64, 112, 112), Floats(64), Floats(64), Floats(64), Positive(64)], threads),
        "Transpose NCHW>NHWC 1x64x112x112" => new(Import("Transpose", 13, new() { ["perm"] = new long[] { 0, 2, 3, 1 } }), [Floats(1, 64, 112, 112)], threads),
        "Transpose NHWC>NCHW 1x112x112x64" => new(Import("Transpose", 13, new() { ["perm"] = new long[] { 0, 3, 1, 2 } }), [Floats(1, 112, 112, 64)], threads),
        "Transpose shuffle 1x2x116x28x28" => new(Import("Transpose", 13, new() { ["perm"] = new long[] { 0, 2, 1, 3, 4 } }), [Floats(1, 2, 116, 28, 28)], threads),
        "Concat 4x1x64x28x28" => new(Import("Concat", 13, new() { ["axis"] = 1L }, inputs: 4),
            [Floats(1, 64, 28, 28), Floats(1, 64, 28, 28), Floats(1, 64, 28, 28), Floats(1, 64, 28, 28)], threads),
        "Softmax 1x1000" => new(Import("Softmax", 13), [Floats(1, 1000)], threads),
        "LRN 1x64x56x56" => new(Import("LRN", 13, new() { ["size"] = 5L }), [Floats(1, 64, 56, 56)], threads),
        "Resize nearest x2 1x64x56x56" => new(Import("Resize", 19, inputs: 3, present: [true, false, true]),
            [Floats(1, 64, 56, 56), null, Tensor.Create(new[] { 1f, 1f, 2f, 2f }, 4)], threads),
        "Resize linear x2 1x64x56x56" => new(Import("Resize", 19, new() { ["mode"] = "linear" }, inputs: 3, present: [true, false, true]),
            [Floats(1, 64, 56, 56), null, Tensor.Create(new[] { 1f, 1f, 2f, 2f }, 4)], threads),
        "QuantizeLinear 1x3x224x224" => new(Import("QuantizeLinear", 13, inputs: 3),
            [Floats(1, 3, 224, 224), Tensor.Create(new[] { 0.02f }), Tensor.Create(new byte[] { 128 })], threads),
        "ReduceMean HW 1x512x7x7" => new(Import("ReduceMean", 13, new() { ["axes"] = new long[] { 2, 3 } }), [Floats(1, 512, 7, 7)], threads),
        "MaxPool 3x3 s2 1x64x111x111" => new(Import("MaxPool", 12, new() { ["kernel_shape"] = new long[] { 3, 3 }, ["strides"] = new long[] { 2, 2 } }),
            [Floats(1, 64, 111, 111)], threads),
        "MaxPool 3x3 s1 p1 1x512x13x13" => new(Import("MaxPool", 12, new()
        {
            ["kernel_shape"] = new long[] { 3, 3 },
            ["pads"] = new long[] { 1, 1, 1, 1 },
        }), [Floats(1, 512, 13, 13)], threads),
        _ => throw new ArgumentException(name),
    };
}
