using Pipeline.Tensors;

namespace Pipeline.Graph.Compilation;

/// <summary>
/// Calls into operators on behalf of the compiler. Operators report bad models with <see cref="InvalidModelException"/>;
/// any other exception escaping them (an index out of range on a hostile attribute) is still the model's fault as far
/// as the caller can tell, so it is wrapped into one naming the node, with the original as the inner exception.
/// </summary>
internal static class OperatorCalls
{
    /// <summary>Runs <see cref="Operator.InferOutputs"/>; <see cref="ValueNotKnownException"/> passes through for the compiler.</summary>
    public static void InferOutputs(GraphNode node, ShapeContext context)
    {
        try
        {
            node.Operator.InferOutputs(context);
        }
        catch (Exception e) when (ShouldWrap(e))
        {
            throw node.Identity.Fail($"shape inference failed ({e.GetType().Name}: {e.Message})", e);
        }
    }

    /// <summary>Runs <see cref="Operator.CreateKernel"/>.</summary>
    public static Kernel CreateKernel(GraphNode node, KernelContext context)
    {
        try
        {
            return node.Operator.CreateKernel(context);
        }
        catch (Exception e) when (ShouldWrap(e))
        {
            throw node.Identity.Fail($"building the kernel failed ({e.GetType().Name}: {e.Message})", e);
        }
    }

    /// <summary>Evaluates the node on known inputs (constant folding).</summary>
    public static Tensor?[] Evaluate(GraphNode node, Tensor?[] inputs)
    {
        try
        {
            return OperatorEvaluator.Evaluate(node.Operator, inputs, node.Outputs.Length, node.Identity);
        }
        catch (ValueNotKnownException e)
        {
            throw node.Identity.Fail($"input {e.Input} must be known but is absent", e);
        }
        catch (Exception e) when (ShouldWrap(e))
        {
            throw node.Identity.Fail($"evaluating the node on constant inputs failed ({e.GetType().Name}: {e.Message})", e);
        }
    }

    private static bool ShouldWrap(Exception e) => e is not (InvalidModelException or ValueNotKnownException or RewriteNotApplicableException or OutOfMemoryException);
}
