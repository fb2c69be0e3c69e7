using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// A MobileNetV2 inverted residual block as one kernel: expand (1×1 conv) → depthwise conv → project (1×1 conv,
/// optionally adding a residual). Run on one thread, it runs the three convs one after another over whole planes, as
/// unfused, with the intermediates in scratch. Run on several threads, a block whose expanded tensor exceeds L2
/// (MobileNetV2's 112×112 and 56×56 blocks) is made in strips of output rows instead: each thread owns a contiguous
/// range of rows and takes it through all three convs, a strip's expanded and depthwise rows staying in a per-thread
/// buffer. Unfused, those blocks barely gained from a second thread: every conv split its small GEMMs across both
/// threads and waited for both at every stage, and the expanded tensor (4.8 MB at 112×112) went through memory twice.
/// One thread keeps whole planes, because strips measured 10–17 % slower there (shorter GEMMs and depthwise planes,
/// and the traffic they save mostly stays in L3 when one core runs).
/// <para>
/// Consecutive strips of a range share kH − stride expanded rows (the depthwise window's overlap); those are carried
/// over, not recomputed, so only the first strip of a range repeats a few rows its neighbour range also expands. Every
/// output element is computed by the same microkernels over K in the same order as the unfused convs (the K blocking
/// depends on K alone), so the floats are the same at any thread count and in either mode.
/// </para>
/// </summary>
internal sealed unsafe class InvertedResidualConvolution
{
    /// <summary>Expanded tensors up to this size run whole on any thread count (they stay in L2 anyway, and whole planes make wider GEMMs).</summary>
    private const long WholeBytes = 1L << 20;

    /// <summary>Target size of one strip's expanded rows plus depthwise rows.</summary>
    private const long StripBytes = 384 * 1024;

    private readonly ConvGeometry _expand, _depthwise, _project;
    private readonly FusedActivation _expandActivation, _depthwiseActivation, _projectActivation;
    private readonly int _threads;

    // Whole mode, always available: the unfused kernels.
    private readonly GemmConvolution _expandConv, _projectConv;
    private readonly DepthwiseConvolution _depthwiseConv;

    // Strip mode, only for several threads and a large expanded tensor: every thread's strips, the same for every
    // image. The strips' GEMMs read the whole-plane convs' packed weights.
    private readonly Strip[][]? _strips;
    private readonly long _expandBufferFloats, _carryFloats, _depthwiseBufferFloats, _gemmScratchFloats;

    /// <summary>
    /// Plans the block. <paramref name="expandWeights"/> is [C·t, C] (1×1), <paramref name="projectWeights"/> [M, C·t];
    /// the depthwise weights and the biases are passed to <see cref="Run"/>. Each stage's activation is applied as it
    /// stores (the project's after the residual is added).
    /// </summary>
    public InvertedResidualConvolution(ConvGeometry expand, ConvGeometry depthwise, ConvGeometry project,
        ReadOnlySpan<float> expandWeights, ReadOnlySpan<float> projectWeights,
        FusedActivation expandActivation, FusedActivation depthwiseActivation, FusedActivation projectActivation, SgemmKernel kernel, int threadCount)
    {
        if (!expand.IsPointwise || expand.Groups != 1 || !project.IsPointwise || project.Groups != 1 || !depthwise.IsDepthwise || depthwise.Rank != 2
            || depthwise.OutChannels != depthwise.InChannels || depthwise.Dilations[0] != 1 || depthwise.Dilations[1] != 1 || expand.Rank != 2
            || depthwise.InChannels != expand.OutChannels || project.InChannels != depthwise.OutChannels
            || !depthwise.InputSize.AsSpan().SequenceEqual(expand.OutputSize) || !project.InputSize.AsSpan().SequenceEqual(depthwise.OutputSize))
            throw new ArgumentException("not an expand → depthwise → project block");
        _expand = expand;
        _depthwise = depthwise;
        _project = project;
        _expandActivation = expandActivation;
        _depthwiseActivation = depthwiseActivation;
        _projectActivation = projectActivation;
        _threads = Math.Max(1, threadCount);

        int channels = expand.OutChannels, height = expand.OutputSize[0], width = expand.OutputSize[1];
        int outHeight = depthwise.OutputSize[0], outWidth = depthwise.OutputSize[1], stride = depthwise.Strides[0];
        _expandConv = new GemmConvolution(expand, expandWeights, true, kernel, _threads);
        _depthwiseConv = new DepthwiseConvolution(depthwise, KernelIsa.Current);
        _projectConv = new GemmConvolution(project, projectWeights, true, kernel, _threads);
        long perRow = (long)channels * (stride * width + outWidth) * sizeof(float);
        int rowsPerThread = (outHeight + _threads - 1) / _threads;
        int stripRows = (int)Math.Clamp(StripBytes / perRow, 1, rowsPerThread);
        if (_threads == 1 || (long)channels * height * width * sizeof(float) <= WholeBytes || stripRows >= outHeight) return;
        // A pad as tall as the window would leave a strip with no input rows; such convs keep whole planes.
        if (depthwise.PadsBegin[0] >= depthwise.KernelSize[0] || depthwise.PadsEnd[0] >= depthwise.KernelSize[0]) return;
        // Strips must give whole planes' floats. A transposed GEMM conv (a small plane with many channels) adds its
        // residual after the bias, the strips' GEMMs before it; and an activation applied over a span (sigmoid, through
        // TensorPrimitives) rounds its short tail element by element, so a strip's shorter spans would round differently.
        // Clamps, and no activation, are the same on any span.
        if (_expandConv.Transposed || _projectConv.Transposed
            || !expandActivation.IsClampOrNone || !depthwiseActivation.IsClampOrNone || !projectActivation.IsClampOrNone) return;

        var geometries = new Dictionary<(int, int, int), DepthwiseConvolution>();
        var expandPlans = new Dictionary<int, SgemmPlan>();
        var projectPlans = new Dictionary<int, SgemmPlan>();
        int kernelHeight = depthwise.KernelSize[0], padTop = depthwise.PadsBegin[0];
        _strips = new Strip[_threads][];
        int maxInRows = 0;
        long gemmScratch = 0;
        for (int t = 0; t < _threads; t++)
        {
            int first = t * rowsPerThread, end = Math.Min(outHeight, first + rowsPerThread);
            var strips = new List<Strip>();
            int previousHigh = int.MinValue;
            for (int row = first; row < end; row += stripRows)
            {
                int rows = Math.Min(stripRows, end - row);
                int top = row * stride - padTop, bottom = (row + rows - 1) * stride - padTop + kernelHeight;
                int low = Math.Max(0, top), high = Math.Min(height, bottom);
                int fresh = Math.Max(low, Math.Min(high, previousHigh));
                (int, int, int) key = (high - low, Math.Max(0, -top), Math.Max(0, bottom - height));
                if (!geometries.TryGetValue(key, out DepthwiseConvolution? strip))
                {
                    var g = new ConvGeometry(1, channels, channels, channels, [high - low, width], depthwise.KernelSize, depthwise.Strides, [1, 1],
                        [key.Item2, depthwise.PadsBegin[1]], [key.Item3, depthwise.PadsEnd[1]], AutoPad.NotSet);
                    if (g.OutputSize[0] != rows || g.OutputSize[1] != outWidth) throw new InvalidOperationException($"strip geometry {g} does not make {rows} rows");
                    geometries[key] = strip = new DepthwiseConvolution(g, KernelIsa.Current);
                }
                int expandColumns = (high - fresh) * width, projectColumns = rows * outWidth;
                SgemmPlan expandPlan = PlanFor(expandPlans, kernel, channels, expandColumns, expand.InChannels);
                SgemmPlan projectPlan = PlanFor(projectPlans, kernel, project.OutChannels, projectColumns, channels);
                gemmScratch = Math.Max(gemmScratch, Math.Max(expandPlan.ScratchBytes, projectPlan.ScratchBytes) / sizeof(float));
                strips.Add(new Strip(row, rows, low, high, fresh, strip, expandPlan, projectPlan));
                maxInRows = Math.Max(maxInRows, high - low);
                previousHigh = high;
            }
            _strips[t] = [.. strips];
        }
        _expandBufferFloats = RoundUp((long)channels * maxInRows * width);
        _carryFloats = RoundUp((long)channels * kernelHeight * width);
        _depthwiseBufferFloats = RoundUp((long)channels * stripRows * outWidth);
        _gemmScratchFloats = RoundUp(gemmScratch);
    }

    /// <summary>True when runs on several threads make the block in strips (the expanded tensor is larger than L2).</summary>
    public bool Strips => _strips is not null;

    /// <summary>Scratch bytes per run: the larger of the two modes' needs.</summary>
    public long ScratchBytes
    {
        get
        {
            long whole = (RoundUp(ExpandedFloats) + RoundUp(FilteredFloats)) * sizeof(float) + Math.Max(_expandConv.ScratchBytes, _projectConv.ScratchBytes) + 64;
            return _strips is null ? whole : Math.Max(whole, SlotFloats * _threads * sizeof(float));
        }
    }

    /// <summary>The whole expanded tensor, every image (whole mode).</summary>
    private long ExpandedFloats => (long)_expand.Batch * _expand.OutChannels * _expand.OutputPlane;

    /// <summary>The whole depthwise output, every image (whole mode).</summary>
    private long FilteredFloats => (long)_depthwise.Batch * _depthwise.OutChannels * _depthwise.OutputPlane;

    private long SlotFloats => _expandBufferFloats + _carryFloats + _depthwiseBufferFloats + _gemmScratchFloats;

    /// <summary>
    /// Y = project(depthwise(expand(X))) with each stage's bias and activation, plus <paramref name="residual"/> (added
    /// before the project's activation) when not null. Biases may be null. <paramref name="scratch"/> is 64-byte aligned.
    /// </summary>
    public void Run(float* x, float* expandBias, float* depthwiseWeights, float* depthwiseBias, float* projectBias, float* residual, float* y,
        WorkerPool pool, float* scratch)
    {
        var stages = new Stages(expandBias, depthwiseWeights, depthwiseBias, projectBias);
        // Strips write output rows while other strips still read the input: an output in the input's buffer (a residual
        // run in place that is the block's own input) needs whole planes, which finish reading it first.
        if (_strips is null || pool.ThreadCount == 1 || y == x)
        {
            float* expanded = scratch;
            float* filtered = expanded + RoundUp(ExpandedFloats);
            float* gemmScratch = (float*)(((nint)(filtered + RoundUp(FilteredFloats)) + 63) & ~(nint)63);
            _expandConv.Run(x, null, expandBias, expanded, _expandActivation, false, pool, gemmScratch);
            _depthwiseConv.Run(expanded, depthwiseWeights, depthwiseBias, filtered, _depthwiseActivation, false, pool);
            if (residual != null && residual != y)
            {
                long count = (long)_project.Batch * _project.OutChannels * _project.OutputPlane;
                Buffer.MemoryCopy(residual, y, count * sizeof(float), count * sizeof(float));
            }
            _projectConv.Run(filtered, null, projectBias, y, _projectActivation, residual != null, pool, gemmScratch);
            return;
        }
        var body = new StripBody(this, stages, x, residual, y, scratch);
        pool.For(_threads, ref body);
    }

    /// <summary>One thread's range of output rows, strip by strip, for every image.</summary>
    private readonly struct StripBody(InvertedResidualConvolution owner, Stages stages, float* x, float* residual, float* y, float* scratch) : IParallelBody
    {
        public void Invoke(int slot)
        {
            float* expanded = scratch + slot * owner.SlotFloats;
            float* carry = expanded + owner._expandBufferFloats;
            float* filtered = carry + owner._carryFloats;
            float* gemmScratch = filtered + owner._depthwiseBufferFloats;
            ConvGeometry e = owner._expand, p = owner._project;
            for (int image = 0; image < e.Batch; image++)
            {
                float* input = x + (long)image * e.InChannels * e.InputPlane;
                float* output = y + (long)image * p.OutChannels * p.OutputPlane;
                float* shortcut = residual == null ? null : residual + (long)image * p.OutChannels * p.OutputPlane;
                Strip? previous = null;
                foreach (Strip strip in owner._strips![slot])
                {
                    owner.RunStrip(strip, previous, stages, input, shortcut, output, expanded, carry, filtered, gemmScratch);
                    previous = strip;
                }
            }
        }
    }

    private void RunStrip(Strip strip, Strip? previous, in Stages stages, float* input, float* shortcut, float* output,
        float* expanded, float* carry, float* filtered, float* gemmScratch)
    {
        int channels = _expand.OutChannels, width = _expand.OutputSize[1], height = _expand.OutputSize[0];
        int inRows = strip.High - strip.Low;
        long plane = (long)inRows * width;

        // The rows this strip shares with the previous one move to the top of each channel's new plane.
        int kept = strip.Fresh - strip.Low;
        if (kept > 0)
        {
            long previousPlane = (long)(previous!.High - previous.Low) * width, keptFloats = (long)kept * width;
            long offset = (long)(strip.Low - previous.Low) * width;
            for (int c = 0; c < channels; c++)
                Buffer.MemoryCopy(expanded + c * previousPlane + offset, carry + c * keptFloats, keptFloats * sizeof(float), keptFloats * sizeof(float));
            for (int c = 0; c < channels; c++)
                Buffer.MemoryCopy(carry + c * keptFloats, expanded + c * plane, keptFloats * sizeof(float), keptFloats * sizeof(float));
        }

        if (strip.High > strip.Fresh)
        {
            var operands = new SgemmOperands { PackedA = _expandConv.PackedWeights, Groups = 1, C = expanded + (long)kept * width, Ldc = (nint)plane };
            var result = new SgemmOutput { RowBias = stages.ExpandBias, Activation = _expandActivation };
            var source = new StridedB(input + (long)strip.Fresh * width, (nint)height * width, 1);
            Sgemm.Run(strip.ExpandPlan, operands, source, result, WorkerPool.Inline, gemmScratch);
        }

        strip.Depthwise.Run(expanded, stages.DepthwiseWeights, stages.DepthwiseBias, filtered, _depthwiseActivation, false, WorkerPool.Inline);

        int outWidth = _project.OutputSize[1];
        long outPlane = _project.OutputPlane, stripFloats = (long)strip.Rows * outWidth, first = (long)strip.Row * outWidth;
        if (shortcut != null && shortcut != output)
            for (int m = 0; m < _project.OutChannels; m++)
                Buffer.MemoryCopy(shortcut + m * outPlane + first, output + m * outPlane + first, stripFloats * sizeof(float), stripFloats * sizeof(float));
        var projectOperands = new SgemmOperands { PackedA = _projectConv.PackedWeights, Groups = 1, C = output + first, Ldc = (nint)outPlane };
        var projectResult = new SgemmOutput { RowBias = stages.ProjectBias, Activation = _projectActivation, AccumulateIntoC = shortcut != null };
        Sgemm.Run(strip.ProjectPlan, projectOperands, new StridedB(filtered, (nint)stripFloats, 1), projectResult, WorkerPool.Inline, gemmScratch);
    }

    private static SgemmPlan PlanFor(Dictionary<int, SgemmPlan> plans, SgemmKernel kernel, int m, int n, int k)
    {
        if (!plans.TryGetValue(n, out SgemmPlan? plan)) plans[n] = plan = new SgemmPlan(kernel, m, n, k, 1, 1);
        return plan;
    }

    private static long RoundUp(long floats) => (floats + 15) / 16 * 16;

    /// <summary>One strip: output rows [Row, Row + Rows), expanded rows [Low, High) of which [Fresh, High) are computed here.</summary>
    private sealed record Strip(int Row, int Rows, int Low, int High, int Fresh, DepthwiseConvolution Depthwise, SgemmPlan ExpandPlan, SgemmPlan ProjectPlan);

    /// <summary>The per-run operands of the three stages (the activations are the plan's).</summary>
    private readonly struct Stages(float* expandBias, float* depthwiseWeights, float* depthwiseBias, float* projectBias)
    {
        public float* ExpandBias { get; } = expandBias;
        public float* DepthwiseWeights { get; } = depthwiseWeights;
        public float* DepthwiseBias { get; } = depthwiseBias;
        public float* ProjectBias { get; } = projectBias;
    }
}
