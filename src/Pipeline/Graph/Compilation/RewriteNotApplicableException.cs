namespace Pipeline.Graph.Compilation;

/// <summary>
/// Thrown while planning when a load-time rewrite turns out not to fit the actual shapes (a residual Add fused into a
/// Conv, but the Add broadcasts). The network then plans with the graph as the model wrote it.
/// </summary>
internal sealed class RewriteNotApplicableException(string message) : Exception(message);
